"""RowTaker (the store's sorted gathers) equals pyarrow's take, whichever path a column takes."""

import numpy as np
import pyarrow as pa

from mathpref.store.take import RowTaker, _long_strings


def _table():
    long = ["é" * 70 + str(i) if i % 5 else None for i in range(40)]  # multi-byte, with nulls
    t = pa.table(
        {
            "id": [f"t{i:03d}" for i in range(40)],
            "text": long,
            "n": pa.array([i if i % 7 else None for i in range(40)], pa.int32()),
            "values": pa.array([[str(i), None] if i % 3 else None for i in range(40)]),
            "score": pa.array([float("nan") if i == 4 else i / 3 for i in range(40)]),
        },
        metadata={"mathpref.kind": "x"},
    )
    return pa.concat_tables([t.slice(0, 11), t.slice(11, 17), t.slice(28)])


def test_gathers_equal_arrow_take():
    t = _table()
    assert _long_strings(t["text"]) and not _long_strings(t["id"])
    taker = RowTaker(t)
    assert set(taker.frames) == {"text"}  # only the long strings go through polars
    order = np.random.default_rng(3).permutation(t.num_rows)
    for lo in range(0, 40, 9):
        got, want = taker.take(pa.array(order[lo : lo + 9])), t.take(pa.array(order[lo : lo + 9]))
        assert got.schema.equals(want.schema, check_metadata=True)
        assert got.to_pylist() == want.to_pylist() or _same_with_nan(got, want)


def _same_with_nan(a, b):
    return all(
        a[c].to_pylist() == b[c].to_pylist() for c in a.column_names if c != "score"
    ) and np.allclose(a["score"].to_numpy(), b["score"].to_numpy(), equal_nan=True)


def test_single_chunk_tables_use_arrow_only():
    t = _table().combine_chunks()
    assert RowTaker(t).frames == {}
