"""Content fingerprint of a table: its sorted logical rows, minus volatile columns.

Each column is reduced to canonical bytes that do not depend on chunking, slicing or buffer layout
(offsets rebased, validity as an explicit mask), so equal logical rows give equal fingerprints.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.hashing import canonical_json


def sort_table(table: pa.Table, key: list[str] | tuple[str, ...]) -> pa.Table:
    """Sort by the key columns, then by every sortable column, so the order is total."""
    if table.num_rows < 2:
        return table
    order = list(key) + [
        n
        for n in table.column_names
        if n not in key and not pa.types.is_nested(table.schema.field(n).type)
    ]
    return table.sort_by([(n, "ascending") for n in order])


def _column_bytes(arr: pa.Array, h: hashlib._Hash) -> None:
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=np.uint8)
    h.update(valid.tobytes())
    t = arr.type
    if (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_string_view(t)
    ):
        arr = arr.cast(pa.large_binary()).fill_null(b"")
        lengths = pc.binary_length(arr).to_numpy(zero_copy_only=False).astype(np.int64)
        h.update(lengths.tobytes())
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
            arr.offset : arr.offset + len(arr) + 1
        ]
        if len(offsets):
            h.update(memoryview(arr.buffers()[2])[offsets[0] : offsets[-1]])
    elif (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_boolean(t)
        or pa.types.is_timestamp(t)
    ):
        h.update(str(t).encode())
        filled = arr.fill_null(False if pa.types.is_boolean(t) else 0)
        h.update(np.ascontiguousarray(filled.to_numpy(zero_copy_only=False)).tobytes())
    else:  # nested or rare types: canonical JSON per value
        for value in arr.to_pylist():
            h.update(canonical_json(value).encode() + b"\x1e")


def fingerprint(table: pa.Table, key: list[str] | tuple[str, ...], volatile: list[str] = ()) -> str:
    """Fingerprint of the logical rows of `table` (sorted by `key`), ignoring `volatile` columns."""
    table = table.drop_columns([c for c in volatile if c in table.column_names])
    table = sort_table(table, key)
    h = hashlib.sha256()
    h.update(str(table.num_rows).encode())
    for name in table.column_names:
        h.update(b"\x1d" + name.encode() + b"\x1d")
        col = table.column(name).combine_chunks() if table.num_rows else table.column(name)
        if isinstance(col, pa.ChunkedArray):
            col = pa.concat_arrays(col.chunks) if col.num_chunks else pa.array([], col.type)
        _column_bytes(col, h)
    return "fp:" + h.hexdigest()[:32]
