"""Record readers that keep line numbers, so every error names file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mathpref.errors import InputError

FORMATS = ("auto", "jsonl", "json", "parquet", "hf")


def detect_format(path: str, fmt: str) -> str:
    if fmt != "auto":
        if fmt not in FORMATS:
            raise InputError(f"unknown format '{fmt}'; valid: {list(FORMATS)}", path=path)
        return fmt
    p = Path(path)
    if p.is_dir():
        return "hf"
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix == ".parquet":
        return "parquet"
    if not p.exists():
        return "hf"  # a Hub id
    raise InputError(
        "cannot tell the file format; set format = jsonl | json | parquet | hf", path=path
    )


def read_records(
    path: str,
    fmt: str = "auto",
    *,
    config: str | None = None,
    split: str | None = None,
    revision: str | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (1-based line or row number, record) from JSONL, JSON array, Parquet or a dataset."""
    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        with open(path, encoding="utf-8") as fh:
            for no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=no
                    ) from None
                if not isinstance(rec, dict):
                    raise InputError(
                        f"expected a JSON object, got {type(rec).__name__}", path=path, line=no
                    )
                yield no, rec
    elif fmt == "json":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None
        if not isinstance(data, list):
            raise InputError("expected a JSON array of objects", path=path)
        for no, rec in enumerate(data, 1):
            if not isinstance(rec, dict):
                raise InputError(f"element {no} is not an object", path=path, line=no)
            yield no, rec
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        no = 0
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=10_000):  # consumed fully (see PITFALLS)
            for rec in batch.to_pylist():
                no += 1
                yield no, rec
    else:
        yield from _read_hf(path, config, split, revision)


def _read_hf(path: str, config: str | None, split: str | None, revision: str | None):
    try:
        import datasets
    except ImportError:  # pragma: no cover - datasets is a core dependency
        raise InputError("reading a dataset needs `pip install datasets`", path=path) from None
    try:
        ds = datasets.load_dataset(path, config, split=split, revision=revision)
    except Exception as exc:
        raise InputError(f"load_dataset failed: {type(exc).__name__}: {exc}", path=path) from None
    if isinstance(ds, datasets.DatasetDict):
        if len(ds) != 1:
            raise InputError(f"the dataset has splits {sorted(ds)}; set split = ...", path=path)
        ds = next(iter(ds.values()))
    yield from enumerate(ds, 1)


def get_field(rec: dict[str, Any], dotted: str) -> Any:
    """Look up a field path (`a.b.c`, `messages[-1].content`, `responses[*]`, see
    :mod:`.paths`); raises KeyError if any part is missing."""
    from mathpref.sources.paths import get_path

    return get_path(rec, dotted)


def truncate(obj: Any, limit: int = 2000) -> str:
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def quarantine_row(
    stage: str, source: str, line: int | None, field: str | None, reason: str, rec: Any
) -> dict[str, Any]:
    """A row for the quarantine dataset: where the bad input was and why it was not used."""
    return {
        "stage": stage,
        "source": str(source),
        "line": line,
        "field": field,
        "reason": reason,
        "raw": truncate(rec),
    }
