"""Logs already in mathpref's trajectories schema (e.g. exported from another store), read whole
with Arrow: no per-row Python on the way in."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from mathpref.errors import InputError

# -- table adapters: a whole file in, one Arrow table out ------------------------------------

# Columns a native log may omit: the trajectory id is derived when missing or null.
NATIVE_DERIVED = ("trajectory_id",)


def read_native(path: str, fmt: str = "auto") -> pa.Table:
    """Read a log already in the `trajectories` schema as an Arrow table with exactly the schema's
    columns, in order, cast to the schema types.

    A missing non-nullable column (other than `trajectory_id`) is an `InputError` naming it; a
    missing nullable column is filled with nulls; columns the schema does not know are an error
    listing them. Nulls in non-nullable columns are left for the caller to quarantine.
    """
    from mathpref.schemas import get_schema
    from mathpref.sources.readers import detect_format

    schema = get_schema("trajectories")
    fmt = detect_format(path, fmt)
    if fmt == "parquet":
        _check_native_columns(pq.read_schema(path).names, schema, path)
        pf = pq.ParquetFile(path)
        # iter_batches is consumed to the end (a partly consumed stream can hang at exit).
        batches = list(pf.iter_batches(batch_size=65_536))
        table = pa.Table.from_batches(batches, schema=pf.schema_arrow)
        del batches
    elif fmt == "jsonl":
        try:
            table = pa_json.read_json(path)
        except pa.ArrowInvalid as exc:
            raise InputError(f"not a JSONL table: {exc}", path=path) from None
        _check_native_columns(table.column_names, schema, path)
    elif fmt == "json":
        try:
            rows = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg}", path=path, line=exc.lineno) from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError("expected a JSON array of objects", path=path)
        table = pa.Table.from_pylist(rows)
        _check_native_columns(table.column_names, schema, path)
    else:
        raise InputError(f"the native adapter reads parquet, jsonl or json, not {fmt}", path=path)
    n = table.num_rows
    columns = []
    for field in schema.arrow:
        if field.name not in table.column_names:
            columns.append(pa.nulls(n, field.type))
            continue
        col = table.column(field.name)
        if col.type != field.type:
            try:
                col = col.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InputError(
                    f"field '{field.name}' has type {col.type}, the trajectories schema wants "
                    f"{field.type} ({exc})",
                    path=path,
                ) from None
        columns.append(col)
    del table
    nullable = pa.schema([f.with_nullable(True) for f in schema.arrow])
    return pa.Table.from_arrays(columns, schema=nullable)


def _check_native_columns(names: list[str], schema, path: str) -> None:
    extra = [n for n in names if n not in schema.names]
    if extra:
        raise InputError(
            f"column(s) {extra} are not in the trajectories schema",
            path=path,
            hint=f"expected a subset of {schema.names}",
        )
    for f in schema.fields:
        if not f.nullable and f.name not in names and f.name not in NATIVE_DERIVED:
            raise InputError(
                f"required field '{f.name}' missing",
                path=path,
                field=f.name,
                hint="the native adapter reads tables in the trajectories schema "
                "(schemas/trajectories.json)",
            )


TABLE_ADAPTERS = {"native": read_native}
