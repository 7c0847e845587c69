"""Small valid tables for every dataset kind, built from the schemas (list columns included)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from mathpref.schemas import get_schema, known_kinds


def _value(t: pa.DataType, i: int):
    if pa.types.is_list(t):
        return [_value(t.value_type, i + k) for k in range(i % 3)]
    if pa.types.is_string(t):
        return f"v{i}-é"
    if pa.types.is_boolean(t):
        return i % 2 == 0
    if pa.types.is_integer(t):
        return i
    if pa.types.is_floating(t):
        return i / 4
    if pa.types.is_timestamp(t):
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i)
    raise AssertionError(t)


def sample_table(kind: str, n: int = 7) -> pa.Table:
    schema = get_schema(kind)
    cols = {}
    for f in schema.arrow:
        values = [_value(f.type, (i * 5) % n) for i in range(n)]
        if f.name in schema.key:
            values = [f"{f.name}-{i:03d}" if pa.types.is_string(f.type) else i for i in range(n)]
        elif f.nullable and n > 2:
            values[1] = None
        cols[f.name] = pa.array(values, f.type)
    return pa.table(cols, schema=schema.arrow)


KINDS = known_kinds()
