"""The decontamination settings shared by the `decontaminate` stage and `mathpref release`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from mathpref.decontam.match import DEFAULT_N, DEFAULT_THRESHOLD
from mathpref.hashing import file_digest


def opt(default, help: str):
    """A config field with help text (as `mathpref.stages.base.opt`, which imports the stages)."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class DecontamConfig:
    eval_sets: list = opt(
        ["gsm8k-test", "gsm8k-platinum", "math500"],
        "Registry eval sets to check against (mathpref.evalsets); a missing one is an error.",
    )
    files: list = opt(
        [],
        "Extra eval files: tables {path, question_field = 'question', name = file stem}.",
    )
    n: int = opt(DEFAULT_N, "Word n-gram size (an eval item shorter than n uses its length).")
    threshold: float = opt(DEFAULT_THRESHOLD, "Flag at n-gram coverage >= this (0 < t <= 1).")
    source: str = opt("auto", "Where registry eval sets are read: auto | local | hub.")

    def __post_init__(self):
        from mathpref.evalsets import SOURCES, EvalSetError, get_eval_set

        if not isinstance(self.eval_sets, list):
            raise ValueError("eval_sets must be a list of registry names")
        for name in self.eval_sets:
            try:
                get_eval_set(name)
            except EvalSetError as exc:
                raise ValueError(str(exc)) from None
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {list(SOURCES)}, not '{self.source}'")
        for f in self.files:
            if not isinstance(f, dict) or "path" not in f:
                raise ValueError(f"each of files must be a table with a path, got {f!r}")
            unknown = set(f) - {"path", "question_field", "name"}
            if unknown:
                raise ValueError(f"files entry {f!r}: unknown key(s) {sorted(unknown)}")
        if not self.eval_sets and not self.files:
            raise ValueError("give at least one eval set or file to check against")


def eval_tables(config: DecontamConfig, resolve=lambda p: Path(p)) -> list[pa.Table]:
    """The eval tables `config` names, registry sets first (raises if any is missing)."""
    from mathpref.evalsets import load_eval_file, load_eval_set

    tables = [load_eval_set(name, source=config.source) for name in config.eval_sets]
    for f in config.files:
        path = resolve(f["path"])
        tables.append(
            load_eval_file(
                path,
                question_field=f.get("question_field", "question"),
                answer_field=None,
                name=f.get("name") or Path(path).stem,
            )
        )
    return tables


def eval_digests(config: DecontamConfig, resolve=lambda p: Path(p)) -> dict:
    """What the result depends on beyond the config: the eval files' content."""
    from mathpref.evalsets import get_eval_set

    out = {name: get_eval_set(name).sha256 for name in config.eval_sets}
    for f in config.files:
        path = resolve(f["path"])
        out[f"file:{f.get('name') or Path(path).stem}"] = (
            file_digest(path) if Path(path).exists() else "missing"
        )
    return out
