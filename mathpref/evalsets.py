"""The registry of evaluation sets: GSM8K test, GSM8K-Platinum and MATH-500.

One place that names each eval set, where its copy lives and how to read it, so decontamination
(`mathpref.decontam`) and evaluation read the same items. An eval set is read from the data
directory (`$MATHPREF_DATA_DIR`, default `../../shared/data` from the shipped `pipelines/` folder,
exactly as the shipped specs resolve it), where each file's sha256 is checked against the pinned
copy, or from the Hub at a pinned revision (`source="hub"`). A missing eval set is an error, never
a silent skip.

    from mathpref.evalsets import load_eval_set
    table = load_eval_set("gsm8k-test")   # eval_set, item_id, index, question, answer

User files (JSONL, JSON, Parquet) load with `load_eval_file(path, question_field=...)` and give
the same columns.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from mathpref.errors import MathprefError

DATA_DIR_ENV = "MATHPREF_DATA_DIR"
SOURCES = ("auto", "local", "hub")


class EvalSetError(MathprefError):
    """An eval set is unknown, missing, or not the pinned copy."""


@dataclass(frozen=True)
class EvalSet:
    name: str
    title: str
    local_path: str  # relative to the data directory
    sha256: str  # of the local copy (shared/data/PROVENANCE.md)
    question_field: str
    answer_field: str
    hub_repo: str
    hub_config: str | None
    hub_split: str
    hub_revision: str  # a pinned commit of the Hub dataset repo
    license: str
    rows: int

    def describe(self) -> str:
        return f"{self.title} ({self.rows} items; Hub {self.hub_repo}@{self.hub_revision[:8]})"


EVAL_SETS: dict[str, EvalSet] = {
    s.name: s
    for s in (
        EvalSet(
            name="gsm8k-test",
            title="GSM8K test",
            local_path="gsm8k/test.jsonl",
            sha256="3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
            question_field="question",
            answer_field="answer",
            hub_repo="openai/gsm8k",
            hub_config="main",
            hub_split="test",
            hub_revision="cc7b047b6e5bb11b4f1af84efc572db110a51b3c",
            license="mit",
            rows=1319,
        ),
        EvalSet(
            name="gsm8k-platinum",
            title="GSM8K-Platinum",
            local_path="gsm8k_platinum/gsm8k_platinum.jsonl",
            sha256="1cddc40ef614d23590591cc257586c81503f3ec6d953909ddc9a38f97ff5a4aa",
            question_field="question",
            answer_field="answer",
            hub_repo="madrylab/gsm8k-platinum",
            hub_config="main",
            hub_split="test",
            hub_revision="e762492455a1cf7967de89f05b6bef72fc713b66",
            license="mit",
            rows=1209,
        ),
        EvalSet(
            name="math500",
            title="MATH-500",
            local_path="math500/test.jsonl",
            sha256="35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
            question_field="problem",
            answer_field="answer",
            hub_repo="HuggingFaceH4/MATH-500",
            hub_config=None,
            hub_split="test",
            hub_revision="6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be",
            license="mit",
            rows=500,
        ),
    )
}

EVAL_COLUMNS = ("eval_set", "item_id", "index", "question", "answer")


def eval_set_names() -> list[str]:
    return list(EVAL_SETS)


def get_eval_set(name: str) -> EvalSet:
    try:
        return EVAL_SETS[name]
    except KeyError:
        raise EvalSetError(f"unknown eval set '{name}'; known: {eval_set_names()}") from None


def data_dir() -> Path:
    """`$MATHPREF_DATA_DIR`, else `../../shared/data` from the shipped pipelines folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    from mathpref.resources import resource_dir

    return (resource_dir("pipelines") / ".." / ".." / "shared" / "data").resolve()


def local_file(name: str, root: str | Path | None = None) -> Path:
    return (
        Path(root).resolve() / get_eval_set(name).local_path
        if root
        else (data_dir() / get_eval_set(name).local_path)
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_eval_set(
    name: str,
    *,
    source: str = "auto",
    root: str | Path | None = None,
    check_sha256: bool = True,
) -> pa.Table:
    """The items of eval set `name` as a table of `EVAL_COLUMNS`, in the set's own order.

    `source`: "local" reads the data directory (or `root`), "hub" the pinned Hub revision, and
    "auto" the local copy, failing with a message naming both ways when it is not there.
    """
    spec = get_eval_set(name)
    if source not in SOURCES:
        raise EvalSetError(f"eval set source must be one of {list(SOURCES)}, not '{source}'")
    if source == "hub":
        return _from_hub(spec)
    path = local_file(name, root)
    if not path.is_file():
        raise EvalSetError(
            f"eval set '{name}' not found at {path}: set {DATA_DIR_ENV} to the folder holding "
            f"{spec.local_path}, or read it from the Hub ({spec.hub_repo} at revision "
            f"{spec.hub_revision}) with source 'hub'"
        )
    if check_sha256:
        got = _sha256(path)
        if got != spec.sha256:
            raise EvalSetError(
                f"eval set '{name}' at {path} is not the pinned copy (sha256 {got[:12]}..., "
                f"expected {spec.sha256[:12]}...)"
            )
    return load_eval_file(
        path, question_field=spec.question_field, answer_field=spec.answer_field, name=name
    )


def load_eval_file(
    path: str | Path,
    *,
    question_field: str = "question",
    answer_field: str | None = "answer",
    name: str | None = None,
) -> pa.Table:
    """A user's eval file (JSONL, JSON array or Parquet) as a table of `EVAL_COLUMNS`.

    Every record must have a non-empty string `question_field`; a missing one names file and line.
    """
    from mathpref.errors import InputError
    from mathpref.sources.readers import get_field, read_records

    path = Path(path)
    if not path.is_file():
        raise EvalSetError(f"eval file {path} does not exist")
    label = name or path.stem
    questions, answers = [], []
    for no, rec in read_records(str(path)):
        try:
            q = get_field(rec, question_field)
        except KeyError:
            raise InputError(
                f"field '{question_field}' missing",
                path=str(path),
                line=no,
                hint=f"fields here: {sorted(rec)}",
            ) from None
        if not isinstance(q, str) or not q.strip():
            raise InputError(
                f"field '{question_field}' is not a non-empty string", path=str(path), line=no
            )
        questions.append(q)
        a = None
        if answer_field:
            try:
                a = get_field(rec, answer_field)
            except KeyError:
                a = None
        answers.append(None if a is None else str(a))
    if not questions:
        raise EvalSetError(f"eval file {path} holds no items")
    return _table(label, questions, answers)


def _table(label: str, questions: list[str], answers: list[str | None]) -> pa.Table:
    n = len(questions)
    return pa.table(
        {
            "eval_set": pa.array([label] * n, pa.string()),
            "item_id": pa.array([f"{label}:{i}" for i in range(n)], pa.string()),
            "index": pa.array(range(n), pa.int64()),
            "question": pa.array(questions, pa.string()),
            "answer": pa.array(answers, pa.string()),
        }
    )


def _from_hub(spec: EvalSet) -> pa.Table:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a core dependency
        raise EvalSetError(
            "the `datasets` package is needed to read eval sets from the Hub"
        ) from exc
    try:
        ds = datasets.load_dataset(
            spec.hub_repo, spec.hub_config, split=spec.hub_split, revision=spec.hub_revision
        )
    except Exception as exc:
        raise EvalSetError(
            f"eval set '{spec.name}': cannot read {spec.hub_repo} at revision "
            f"{spec.hub_revision} from the Hub ({type(exc).__name__}: {exc})"
        ) from None
    questions = [str(q) for q in ds[spec.question_field]]
    answers = [None if a is None else str(a) for a in ds[spec.answer_field]]
    return _table(spec.name, questions, answers)
