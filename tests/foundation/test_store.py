import multiprocessing as mp
import os

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from mathpref.errors import SchemaError, StoreError, StoreLockedError
from mathpref.store import Store, fingerprint, open_store


def _problems(n=5, offset=0):
    return pa.Table.from_pylist(
        [
            {
                "problem_id": f"p{i:03d}",
                "source": "hand",
                "source_index": i,
                "question": f"q{i}?",
                "gold_answer": str(i),
                "gold_status": "ok",
                "gold_solution": None,
                "metadata": None,
                "source_id": None,
            }
            for i in range(offset, offset + n)
        ]
    )


def test_fingerprint_ignores_order_chunking_and_volatile():
    t = _problems(6)
    shuffled = t.take([3, 1, 5, 0, 2, 4])
    chunked = pa.concat_tables([t.slice(0, 2), t.slice(2)])
    key = ["problem_id"]
    assert fingerprint(t, key) == fingerprint(shuffled, key) == fingerprint(chunked, key)
    changed = t.set_column(3, "question", pa.array(["q0?", "q1?", "q2?", "q3?", "q4?", "Q5?"]))
    assert fingerprint(changed, key) != fingerprint(t, key)
    assert fingerprint(changed, key, volatile=["question"]) == fingerprint(t, key, ["question"])
    nulls = t.set_column(4, "gold_answer", pa.array([None, "1", "2", "3", "4", "5"]))
    empty = t.set_column(4, "gold_answer", pa.array(["", "1", "2", "3", "4", "5"]))
    assert fingerprint(nulls, key) != fingerprint(empty, key)


def test_write_read_and_other_readers(tmp_path):
    st = Store(tmp_path / "s")
    man = st.write_dataset(
        "problems", _problems(5).take([4, 2, 0, 1, 3]), dataset_id="d1", manifest={"stage": "x"}
    )
    assert man["rows"] == 5 and man["schema_version"] == 2 and man["stage"] == "x"
    back = st.read("d1")
    assert back["problem_id"].to_pylist() == [f"p{i:03d}" for i in range(5)]  # sorted by key
    files = [str(p) for p in st.files("d1")]
    assert files[0].endswith(".parquet")
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet({files})").fetchall()[0][0] == 5
    assert pl.read_parquet(files[0]).height == 5
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 5 and "question" in ds.column_names
    assert open_store(str(tmp_path / "s")).manifest("d1")["fingerprint"] == man["fingerprint"]


def test_failed_write_leaves_nothing_visible(tmp_path):
    st = Store(tmp_path / "s")
    bad = _problems(3).drop_columns(["question"])
    with pytest.raises(SchemaError):
        st.write_dataset("problems", bad, dataset_id="bad", manifest={})
    assert not list((tmp_path / "s" / "datasets").rglob("*.parquet"))
    with pytest.raises(StoreError):
        st.read("bad")


def test_interrupted_publication_is_invisible(tmp_path, monkeypatch):
    st = Store(tmp_path / "s")
    import mathpref.store.store as store_mod

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(store_mod, "publish_dir", boom)
    with pytest.raises(KeyboardInterrupt):
        st.write_dataset("problems", _problems(3), dataset_id="d", manifest={})
    assert not st.has_dataset("problems", "d")
    assert list((tmp_path / "s" / "tmp").iterdir())  # leftovers only in tmp/, which gc clears
    monkeypatch.undo()
    assert any(r.startswith("tmp/") for r in st.gc())
    assert not list((tmp_path / "s" / "tmp").iterdir())


def _hold_lock(root, ready, release):
    st = Store(root)
    with st.lock():
        ready.set()
        release.wait(30)


def test_lock_excludes_a_second_builder(tmp_path):
    root = tmp_path / "s"
    Store(root)
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_hold_lock, args=(root, ready, release))
    p.start()
    try:
        assert ready.wait(30)
        with pytest.raises(StoreLockedError, match=f"pid {p.pid}"):
            Store(root).lock().acquire()
    finally:
        release.set()
        p.join(30)
    with Store(root).lock():  # free again once the holder exits
        pass


def test_open_missing_store(tmp_path):
    with pytest.raises(StoreError, match="no mathpref store"):
        open_store(str(tmp_path / "none"))
    assert not os.path.exists(tmp_path / "none")


@pytest.mark.parametrize("chunks", [1, 4])  # 4: the polars gather of many-chunk tables
def test_streamed_write_matches_whole_table_fingerprint(tmp_path, monkeypatch, chunks):
    import sys

    fpmod = sys.modules["mathpref.store.fingerprint"]
    import mathpref.store.parts as parts_mod

    monkeypatch.setattr(parts_mod, "SLICE_ROWS", 7)  # many slices, several files
    monkeypatch.setattr(parts_mod, "ROWS_PER_FILE", 21)
    from mathpref.schemas import get_schema

    t = get_schema("problems").conform(_problems(50).take(list(reversed(range(50)))))
    if chunks > 1:
        t = pa.concat_tables([t.slice(i, 13) for i in range(0, 50, 13)])
        assert t.column(0).num_chunks == chunks
    st = Store(tmp_path / "s")
    man = st.write_dataset("problems", t, dataset_id="d", manifest={})
    assert len(man["files"]) == 3 and man["rows"] == 50
    assert man["fingerprint"] == fingerprint(t, ["problem_id"])
    monkeypatch.setattr(fpmod, "SLICE_ROWS", 3)
    assert man["fingerprint"] == fingerprint(st.read("d"), ["problem_id"])
    assert st.read("d")["problem_id"].to_pylist() == sorted(t["problem_id"].to_pylist())
