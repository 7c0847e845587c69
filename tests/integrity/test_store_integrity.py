"""Item 1: verified reads, fingerprints that reproduce manifests, old manifests still readable."""

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mathpref.errors import StoreCorruptError
from mathpref.schemas import get_schema
from mathpref.store import Store, fingerprint
from mathpref.store.integrity import HASH
from tests.integrity.kinds import KINDS, sample_table


def _write(st, kind="verifications", did="d1", n=7):
    return st.write_dataset(kind, sample_table(kind, n), dataset_id=did, manifest={"stage": "s"})


@pytest.mark.parametrize("kind", KINDS)
def test_fingerprint_of_a_read_reproduces_the_manifest(tmp_path, kind):
    st = Store(tmp_path / "s")
    man = _write(st, kind)
    schema = get_schema(kind)
    back = st.read("d1")
    assert back.schema.types == schema.arrow.types  # list<element> normalised on read
    assert fingerprint(back, schema.key, schema.volatile) == man["fingerprint"]
    # the raw Parquet file too (list<element: T> as Parquet gives it back)
    raw = pq.read_table(st.files("d1")[0])
    assert fingerprint(raw, schema.key, schema.volatile) == man["fingerprint"]
    part = man["parts"][0]
    assert part["rows"] == 7 and part["bytes"] == os.path.getsize(st.files("d1")[0])
    assert len(part[HASH]) == 32


def test_list_column_type_names_do_not_change_old_fingerprints():
    t = sample_table("verifications")
    key = get_schema("verifications").key
    element = pa.list_(pa.field("element", pa.string()))
    renamed = t.set_column(
        t.column_names.index("step_statuses"),
        pa.field("step_statuses", element),
        t["step_statuses"].cast(element),
    )
    assert fingerprint(renamed, key) == fingerprint(t, key)


def _corrupt_with(path, data: bytes):
    os.chmod(path, 0o644)
    with open(path, "r+b") as fh:
        fh.seek(0)
        fh.write(data)


def test_changed_truncated_or_missing_part_raises_naming_dataset_and_fix(tmp_path):
    st = Store(tmp_path / "s")
    _write(st)
    part = st.files("d1")[0]
    original = part.read_bytes()
    # same size, different bytes (one flipped byte in the middle)
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0xFF
    _corrupt_with(part, bytes(flipped))
    with pytest.raises(StoreCorruptError, match=r"verifications/d1 .*hash.*datasets repair d1"):
        st.read("d1")
    with pytest.raises(StoreCorruptError):
        st.read("d1", columns=["trajectory_id"])  # a column-selective read is checked too
    os.truncate(part, len(original) // 2)
    with pytest.raises(StoreCorruptError, match=r"has \d+ bytes, the manifest says"):
        st.read("d1")
    os.unlink(part)
    with pytest.raises(StoreCorruptError, match="is missing"):
        st.read("d1")


def test_a_valid_parquet_file_with_fewer_rows_is_caught(tmp_path):
    """The issue's case: rows dropped from a part, written back as a well-formed file."""
    st = Store(tmp_path / "s")
    _write(st)
    part = st.files("d1")[0]
    fewer = pq.read_table(part).slice(0, 5)
    os.chmod(part, 0o644)
    pq.write_table(fewer, part, compression="zstd")
    with pytest.raises(StoreCorruptError, match="verifications/d1"):
        st.read("d1")


def test_write_replaces_a_corrupt_version_with_the_rows_in_hand(tmp_path):
    st = Store(tmp_path / "s")
    man = _write(st)
    part = st.files("d1")[0]
    os.chmod(part, 0o644)
    part.write_bytes(b"garbage")
    again = _write(st)
    assert again["fingerprint"] == man["fingerprint"]
    assert st.read("d1").num_rows == 7


def test_old_manifest_without_hashes_is_read_with_row_checks(tmp_path):
    st = Store(tmp_path / "s")
    _write(st)
    d = st.dataset_dir("d1")
    man = json.loads((d / "manifest.json").read_text())
    del man["parts"]  # as written before part hashes existed
    os.chmod(d, 0o755)
    os.chmod(d / "manifest.json", 0o644)
    (d / "manifest.json").write_text(json.dumps(man))
    assert st.read("d1").num_rows == 7
    part = st.files("d1")[0]
    os.chmod(part, 0o644)
    pq.write_table(pq.read_table(part).slice(0, 3), part)
    with pytest.raises(StoreCorruptError, match="parts hold 3 rows, the manifest says 7"):
        st.read("d1")


def test_published_files_are_read_only(tmp_path):
    st = Store(tmp_path / "s")
    _write(st)
    d = st.dataset_dir("d1")
    assert oct(d.stat().st_mode & 0o777) == "0o555"
    assert oct((d / "data").stat().st_mode & 0o777) == "0o555"
    assert oct(st.files("d1")[0].stat().st_mode & 0o777) == "0o444"
    assert oct((d / "manifest.json").stat().st_mode & 0o777) == "0o444"
