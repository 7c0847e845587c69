"""Benchmarks: the eval sets of `mathpref.evalsets` with fixed source names and field layouts, so
every run of a benchmark shares its problem ids (`content_id("problem", source, question)`).

A problems stage with `benchmark = "gsm8k" | "gsm8k-platinum" | "math500"` reads the eval set's
pinned local copy (`$MATHPREF_DATA_DIR`, sha256 checked) or, with `benchmark_source = "hub"`, its
pinned Hub revision, and fixes the preset and the source name. A missing or different file is an
error, never a silent fallback.

The GSM8K source name is `gsm8k-test`, the one the shipped `gsm8k-openai-solutions` spec uses, so
an evaluation run and that build share problem ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mathpref.errors import SpecError
from mathpref.evalsets import EvalSet, data_dir, get_eval_set, local_file


@dataclass(frozen=True)
class Benchmark:
    name: str
    eval_set: str  # name in mathpref.evalsets
    source: str  # the fixed source name stored on each problem
    preset: str  # problems-stage field preset
    metadata_fields: tuple[str, ...] = ()

    @property
    def spec(self) -> EvalSet:
        return get_eval_set(self.eval_set)


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("gsm8k", "gsm8k-test", "gsm8k-test", "gsm8k"),
        Benchmark("gsm8k-platinum", "gsm8k-platinum", "gsm8k-platinum", "gsm8k"),
        Benchmark("math500", "math500", "math500", "math", ("subject", "level", "unique_id")),
    )
}
BENCHMARK_SOURCES = ("local", "hub")

# Few-shot exemplars come from here only, never from a test set (pinned copy, PROVENANCE.md).
GSM8K_TRAIN_PATH = "gsm8k/train.jsonl"
GSM8K_TRAIN_SHA256 = "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465"

SOURCE_TO_BENCHMARK = {b.source: b.name for b in BENCHMARKS.values()}


def get_benchmark(name: str) -> Benchmark:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise SpecError(f"unknown benchmark '{name}'; valid: {sorted(BENCHMARKS)}") from None


def checked_file(path: Path, sha256: str, what: str) -> Path:
    """`path` when it exists and has the pinned sha256; else a SpecError saying what to do."""
    if not path.is_file():
        raise SpecError(
            f"{what} not found at {path}: set MATHPREF_DATA_DIR to the folder that holds it"
        )
    got = _sha256(path)
    if got != sha256:
        raise SpecError(
            f"{what} at {path} has sha256 {got[:12]}..., not the pinned {sha256[:12]}...: "
            "problem ids would not match other runs"
        )
    return path


def benchmark_path(bench: Benchmark) -> Path:
    """The pinned local copy of a benchmark's eval set."""
    return checked_file(local_file(bench.eval_set), bench.spec.sha256, f"eval set '{bench.name}'")


def gsm8k_train_path() -> Path:
    return checked_file(data_dir() / GSM8K_TRAIN_PATH, GSM8K_TRAIN_SHA256, "GSM8K train")


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
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
    if config.benchmark_source not in BENCHMARK_SOURCES:
        raise ValueError(
            f"benchmark_source must be one of {list(BENCHMARK_SOURCES)}, "
            f"not '{config.benchmark_source}'"
        )
    fixed = ("path", "source", "question_field", "answer_field", "solution_field", "hf_config")
    given = {k: getattr(config, k) for k in (*fixed, "split", "revision") if getattr(config, k)}
    if config.preset not in ("custom", bench.preset):
        given["preset"] = config.preset
    if given:
        raise ValueError(
            f"benchmark = '{bench.name}' fixes the file, source name and fields; drop "
            f"{sorted(given)} (or drop benchmark to read any problems file)"
        )
    spec = bench.spec
    if config.benchmark_source == "hub":
        config.path, config.format = f"hf://{spec.hub_repo}", "hf"
        config.hf_config, config.split = spec.hub_config or "", spec.hub_split
        config.revision = spec.hub_revision
    else:
        try:
            config.path = str(benchmark_path(bench))
        except SpecError as exc:
            raise ValueError(str(exc)) from None
        config.format = "jsonl"
    config.preset, config.source = bench.preset, bench.source
    if not config.metadata_fields:
        config.metadata_fields = list(bench.metadata_fields)
