"""Benchmarks: fixed problem sets with fixed source names, so every run of a benchmark shares its
problem ids (`problem_id = content_id("problem", source, question)`).

A problems stage with `benchmark = "gsm8k" | "gsm8k-platinum" | "math500"` reads the eval set's
file from `$MATHPREF_DATA_DIR` (default: the `shared/data` folder beside a source checkout, as
the shipped specs do), checks its sha256 against the pinned copy, and fixes the field layout and
the source name. A missing or different file is an error, never a silent fallback.

The GSM8K source name is `gsm8k-test`, the one the shipped `gsm8k-openai-solutions` spec uses, so
an evaluation run and that build share problem ids.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from mathpref.errors import SpecError
from mathpref.resources import resource_dir


@dataclass(frozen=True)
class Benchmark:
    name: str
    source: str  # the fixed source name stored on each problem
    relpath: str  # under the data dir
    sha256: str
    rows: int
    preset: str  # problems-stage field preset
    metadata_fields: tuple[str, ...] = ()
    description: str = ""


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "gsm8k",
            "gsm8k-test",
            "gsm8k/test.jsonl",
            "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14",
            1319,
            "gsm8k",
            description="GSM8K test (Cobbe et al. 2021), 1,319 problems",
        ),
        Benchmark(
            "gsm8k-platinum",
            "gsm8k-platinum",
            "gsm8k_platinum/gsm8k_platinum.jsonl",
            "1cddc40ef614d23590591cc257586c81503f3ec6d953909ddc9a38f97ff5a4aa",
            1209,
            "gsm8k",
            description="GSM8K-Platinum (Vendrow et al. 2025), 1,209 relabelled GSM8K test problems",
        ),
        Benchmark(
            "math500",
            "math500",
            "math500/test.jsonl",
            "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
            500,
            "math",
            metadata_fields=("subject", "level", "unique_id"),
            description="MATH-500 (Lightman et al. 2023), 500 MATH test problems",
        ),
    )
}

# Few-shot exemplars are drawn from here only (never from a test set).
GSM8K_TRAIN = Benchmark(
    "gsm8k-train",
    "gsm8k-train",
    "gsm8k/train.jsonl",
    "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465",
    7473,
    "gsm8k",
    description="GSM8K train, 7,473 problems (few-shot exemplars only)",
)

SOURCE_TO_BENCHMARK = {b.source: b.name for b in BENCHMARKS.values()}


def get_benchmark(name: str) -> Benchmark:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise SpecError(f"unknown benchmark '{name}'; valid: {sorted(BENCHMARKS)}") from None


def data_dir() -> Path:
    """`$MATHPREF_DATA_DIR`, else `shared/data` beside the checkout (as in the shipped specs)."""
    env = os.environ.get("MATHPREF_DATA_DIR")
    if env:
        return Path(env)
    return (resource_dir("pipelines") / ".." / ".." / "shared" / "data").resolve()


def benchmark_path(bench: Benchmark, *, check: bool = True) -> Path:
    """The local file of an eval set, checked against its pinned sha256."""
    path = data_dir() / bench.relpath
    if not path.is_file():
        raise SpecError(
            f"eval set '{bench.name}' not found at {path}: set MATHPREF_DATA_DIR to the folder "
            f"that holds {bench.relpath}"
        )
    if check:
        got = _sha256(path)
        if got != bench.sha256:
            raise SpecError(
                f"eval set '{bench.name}' at {path} has sha256 {got[:12]}..., not the pinned "
                f"{bench.sha256[:12]}...: problem ids would not match other runs"
            )
    return path


_DIGESTS: dict[tuple[str, float, int], str] = {}


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime, st.st_size)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def apply_benchmark(config) -> None:
    """Fill a problems-stage config from its `benchmark` key (raises ValueError on conflicts)."""
    bench = BENCHMARKS.get(config.benchmark)
    if bench is None:
        raise ValueError(f"benchmark '{config.benchmark}' unknown; valid: {sorted(BENCHMARKS)}")
    given = {
        k: getattr(config, k)
        for k in ("path", "source", "question_field", "answer_field", "solution_field")
        if getattr(config, k)
    }
    if config.preset not in ("custom", bench.preset):
        given["preset"] = config.preset
    if given:
        raise ValueError(
            f"benchmark = '{bench.name}' fixes the file, source name and fields; drop "
            f"{sorted(given)} (or drop benchmark to read any problems file)"
        )
    try:
        config.path = str(benchmark_path(bench))
    except SpecError as exc:
        raise ValueError(str(exc)) from None
    config.preset, config.source = bench.preset, bench.source
    config.format = "jsonl"
    if not config.metadata_fields:
        config.metadata_fields = list(bench.metadata_fields)
