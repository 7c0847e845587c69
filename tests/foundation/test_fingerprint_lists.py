"""The column-wise JSON of list<string> values hashes the same bytes as canonical_json per row."""

import sys

import pyarrow as pa

from mathpref.hashing import canonical_json
from mathpref.store import fingerprint

fpmod = sys.modules["mathpref.store.fingerprint"]

# Hand-made: plain, null, empty, every JSON escape, a null element, non-ASCII, U+2028, numbers.
VALUES = [
    ["a", "b"],
    None,
    [],
    ['x"y', "back\\slash", "tab\tnl\nret\r", "\x08\x0c/", None],
    ["é ü 中文 🙂", "\u2028", "\x7f"],
    ["612", "33", "891"],
]
FLOATS = [[1.0, 0.1], None, [], [1e20, float("nan")], [-0.0], [2.5]]


def _table():
    return pa.table(
        {
            "id": pa.array([f"t{i}" for i in range(len(VALUES))]),
            "v": pa.array(VALUES, pa.list_(pa.string())),
            "f": pa.array(FLOATS, pa.list_(pa.float64())),
        }
    )


def _per_row(arr) -> bytes:
    return b"".join(canonical_json(v).encode() + b"\x1e" for v in arr.to_pylist())


def test_column_json_equals_canonical_json_row_by_row():
    arr = pa.array(VALUES, pa.list_(pa.string()))
    for part in (arr, arr.slice(1, 4), arr.slice(3)):
        assert fpmod._string_lists_json(part) == _per_row(part)
    # A null list whose offsets still span values (as a filter or a writer may leave them).
    odd = pa.ListArray.from_arrays(
        pa.array([0, 2, 4, 5], pa.int32()),
        pa.array(list("abcde")),
        mask=pa.array([False, True, False]),
    )
    assert odd.to_pylist() == [["a", "b"], None, ["e"]]
    assert fpmod._string_lists_json(odd) == _per_row(odd)


def test_other_control_characters_take_the_per_row_path():
    arr = pa.array([["ok"], ["bell\x07"]], pa.list_(pa.string()))
    assert fpmod._string_lists_json(arr) is None
    t = pa.table({"id": ["a", "b"], "v": arr})
    assert fingerprint(t, ["id"]) == fingerprint(t.slice(0), ["id"])


def test_fingerprint_unchanged_since_the_per_row_encoder():
    # Computed with the per-row canonical_json encoder (before the column-wise path).
    t = _table()
    assert fingerprint(t, ["id"]) == "fp:ce0c8514b0f0bb2f1926a39f925f7fa9"
    assert fingerprint(t.slice(1, 4), ["id"]) == "fp:e514d272d33d1d89482e291af28ffd14"
    assert fingerprint(pa.concat_tables([t.slice(0, 2), t.slice(2)]), ["id"]) == fingerprint(
        t, ["id"]
    )
