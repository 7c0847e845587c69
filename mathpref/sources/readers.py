"""Record readers that keep line numbers, so every error names file and line.

Bad bytes never abort a read without a location: a JSONL line that is not UTF-8, or a record
holding a lone surrogate (a `\ud800` escape, or for a JSON array a byte that is not UTF-8), is
handed to `on_bad(line, field, reason, raw)` so the stage quarantines it; without `on_bad` it
raises InputError naming file, line and field. Malformed JSON syntax still aborts, with its line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mathpref.errors import InputError
from mathpref.sources.values import find_bad_text

OnBad = Callable[[int, str | None, str, Any], None]

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
    on_bad: OnBad | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (1-based line or row number, record) from JSONL, JSON array, Parquet or a dataset;
    records with bad bytes go to `on_bad` (see the module docstring)."""

    def bad(no: int, field: str | None, reason: str, raw: Any) -> None:
        if on_bad is None:
            raise InputError(reason, path=path, line=no, field=field)
        on_bad(no, field, reason, raw)

    def checked(no: int, rec: dict[str, Any]) -> bool:
        field = find_bad_text(rec)
        if field is None:
            return True
        bad(
            no, field, f"invalid Unicode (lone surrogate or non-UTF-8 byte) in field '{field}'", rec
        )
        return False

    fmt = detect_format(path, fmt)
    if fmt == "jsonl":
        with open(path, "rb") as fh:
            for no, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    shown = raw.decode("utf-8", "backslashreplace")
                    bad(
                        no,
                        None,
                        f"line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                        f"{exc.start + 1})",
                        shown,
                    )
                    continue
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=no
                    ) from None
                except RecursionError:
                    bad(no, None, "JSON nested too deeply", line)
                    continue
                if not isinstance(rec, dict):
                    raise InputError(
                        f"expected a JSON object, got {type(rec).__name__}", path=path, line=no
                    )
                if checked(no, rec):
                    yield no, rec
    elif fmt == "json":
        try:  # bytes that are not UTF-8 become lone surrogates, found per element below
            text = Path(path).read_bytes().decode("utf-8", "surrogateescape")
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None
        except RecursionError:
            raise InputError("JSON nested too deeply", path=path) from None
        if not isinstance(data, list):
            raise InputError("expected a JSON array of objects", path=path)
        for no, rec in enumerate(data, 1):
            if not isinstance(rec, dict):
                raise InputError(f"element {no} is not an object", path=path, line=no)
            if checked(no, rec):
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
    text = text if len(text) <= limit else text[:limit] + "…"
    # the quarantine stores text: lone surrogates (invalid Unicode) are shown, escaped
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
