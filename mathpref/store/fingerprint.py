"""Content fingerprint of a table: its sorted logical rows, minus volatile columns.

Rows are put in a total order (key columns, then every other non-volatile scalar column) and each
column is hashed as canonical parts that do not depend on chunking, slicing or buffer layout: a
validity mask, then for strings the lengths and the bytes, for numbers the values, for nested
values canonical JSON (lists of strings are encoded column-wise, `_string_lists_json`, with the
same bytes as `canonical_json` row by row). Each part has its own hash stream, so feeding the sorted rows slice by
slice (as the store does while it writes) gives the same fingerprint as the whole table at once.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.hashing import canonical_json

SLICE_ROWS = 65_536


def sort_keys(schema: pa.Schema, key, volatile=()) -> list[tuple[str, str]]:
    """Sort order: the key columns, then every non-volatile scalar column (a total order)."""
    rest = [
        f.name
        for f in schema
        if f.name not in key and f.name not in volatile and not pa.types.is_nested(f.type)
    ]
    return [(n, "ascending") for n in [*key, *rest]]


def sort_indices(table: pa.Table, key, volatile=(), unique: bool = False) -> pa.Array:
    """The rows' fingerprint order. `unique`: the key columns are known to be unique (checked
    by the caller), so they alone give the same order as the full list of sort keys."""
    keys = [(n, "ascending") for n in key] if unique else sort_keys(table.schema, key, volatile)
    return pc.sort_indices(table, sort_keys=keys)


def sort_table(table: pa.Table, key, volatile=()) -> pa.Table:
    return table if table.num_rows < 2 else table.take(sort_indices(table, key, volatile))


def _binary_like(t: pa.DataType) -> bool:
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_string_view(t)
    )


def _numeric(t: pa.DataType) -> bool:
    return (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_timestamp(t)
    )


def type_name(t: pa.DataType) -> str:
    """A type's name without the child field names of lists: a table read back from Parquet has
    `list<element: T>` where the schema says `list<item: T>`, and both must fingerprint alike."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return str(pa.list_(pa.field("item", type_name_type(t.value_type))))
    return str(t)


def type_name_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(type_name_type(t.value_type))
    return t


def _string_list(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t)) and pa.types.is_string(t.value_type)


# What json.dumps(ensure_ascii=False) escapes in a string: these two-character escapes, and
# every other control character as \u00XX (those rows take the per-value path).
_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_JSON_ESCAPES += (("\b", "\\b"), ("\f", "\\f"))
_OTHER_CONTROL = r"[\x00-\x07\x0b\x0e-\x1f]"
_NEEDS_ESCAPE = r'[\x00-\x1f"\\]'


def _string_lists_json(arr: pa.Array) -> bytes | None:
    """`canonical_json(v) + "\\x1e"` for every value of a list<string> array, concatenated;
    None when a string holds a control character other than \\b \\t \\n \\f \\r."""
    n = len(arr)
    if n == 0:
        return b""
    values = pc.list_flatten(arr)  # the elements of the valid lists, in order
    # One scan finds the (rare) values JSON escapes; most columns have none to replace.
    if len(values) and pc.any(pc.match_substring_regex(values, _NEEDS_ESCAPE)).as_py():
        if pc.any(pc.match_substring_regex(values, _OTHER_CONTROL)).as_py():
            return None
        for plain, escaped in _JSON_ESCAPES:
            values = pc.replace_substring(values, plain, escaped)
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    quoted = pc.fill_null(quoted, "null")
    lengths = pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), quoted)
    text = pc.binary_join_element_wise("[", pc.binary_join(lists, ","), "]\x1e", "")
    text = pc.if_else(arr.is_valid(), text, "null\x1e").cast(pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    ends = np.frombuffer(text.buffers()[1], np.int64)[text.offset : text.offset + n + 1]
    return bytes(memoryview(text.buffers()[2])[ends[0] : ends[-1]])


class Fingerprinter:
    """Incremental fingerprint over row slices already in sorted order."""

    def __init__(self, schema: pa.Schema, volatile=()):
        self.fields = [f for f in schema if f.name not in volatile]
        self.parts = {f.name: [hashlib.sha256() for _ in range(3)] for f in self.fields}
        self.rows = 0

    def update(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for f in self.fields:
            valid, first, second = self.parts[f.name]
            for arr in table.column(f.name).chunks:
                valid.update(
                    np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), np.uint8).tobytes()
                )
                if _binary_like(f.type):
                    arr = arr.cast(pa.large_binary()).fill_null(b"")
                    first.update(
                        pc.binary_length(arr)
                        .to_numpy(zero_copy_only=False)
                        .astype(np.int64)
                        .tobytes()
                    )
                    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
                        arr.offset : arr.offset + len(arr) + 1
                    ]
                    if len(offsets):
                        second.update(memoryview(arr.buffers()[2])[offsets[0] : offsets[-1]])
                elif _numeric(f.type):
                    filled = arr.fill_null(False if pa.types.is_boolean(f.type) else 0)
                    first.update(
                        np.ascontiguousarray(filled.to_numpy(zero_copy_only=False)).tobytes()
                    )
                else:
                    fast = _string_lists_json(arr) if _string_list(f.type) else None
                    if fast is not None:
                        first.update(fast)
                        continue
                    for value in arr.to_pylist():
                        first.update(canonical_json(value).encode() + b"\x1e")

    def hexdigest(self) -> str:
        h = hashlib.sha256(str(self.rows).encode())
        for f in self.fields:
            h.update(b"\x1d" + f.name.encode() + b"\x1d" + type_name(f.type).encode())
            for part in self.parts[f.name]:
                h.update(part.digest())
        return "fp:" + h.hexdigest()[:32]


def fingerprint(table: pa.Table, key, volatile=()) -> str:
    """Fingerprint of the logical rows of `table` (sorted by `key`), ignoring `volatile` columns."""
    table = table.drop_columns([c for c in volatile if c in table.column_names])
    order = sort_indices(table, key) if table.num_rows > 1 else None
    fp = Fingerprinter(table.schema)
    for start in range(0, table.num_rows, SLICE_ROWS):
        idx = None if order is None else order.slice(start, SLICE_ROWS)
        fp.update(table.slice(start, SLICE_ROWS) if idx is None else table.take(idx))
    return fp.hexdigest()
