"""A resumed run trusts a shard's marker only while the shard's files match it."""

import types

import pyarrow as pa
import pyarrow.parquet as pq

from mathpref.pipeline.shards import publish_shard, read_shards, shard_plan
from mathpref.schemas import get_schema


def _stage():
    return types.SimpleNamespace(
        name="q", outputs={"quarantine": "quarantine"}, num_shards=lambda ctx: 3
    )


def _rows(n):
    schema = get_schema("quarantine")
    return {
        "quarantine": schema.conform(
            pa.table(
                {
                    f.name: pa.array(
                        [f"{f.name}-{i}" if pa.types.is_string(f.type) else i for i in range(n)],
                        type=f.type,
                    )
                    for f in schema.arrow
                }
            ),
            what="test",
        )
    }


def _ctx(work, notes):
    return types.SimpleNamespace(work_dir=work, note=notes.append)


def test_damaged_or_missing_shard_files_are_run_again(tmp_path):
    work, stage = tmp_path / "w", _stage()
    ctx_notes: list[str] = []
    ctx = _ctx(work, ctx_notes)
    n, done = shard_plan(stage, ctx, "v1")
    assert (n, done) == (3, set())
    for i in range(3):
        publish_shard(stage, work, i, _rows(i + 2))
    ctx_notes.clear()
    assert shard_plan(stage, ctx, "v1") == (3, {0, 1, 2}) and not ctx_notes

    f1 = work / "quarantine" / "shard-00001.parquet"
    f1.write_bytes(f1.read_bytes()[:-7])  # truncated by a crash
    (work / "quarantine" / "shard-00002.parquet").unlink()
    n, done = shard_plan(stage, ctx, "v1")
    assert done == {0}
    assert any("shard 1" in t and "differs from its marker" in t for t in ctx_notes)
    assert any("shard 2" in t and "missing" in t for t in ctx_notes)
    # the bad markers are gone: the shards are redone and then trusted again
    assert sorted(p.name for p in (work / "done").iterdir()) == ["0"]
    for i in (1, 2):
        publish_shard(stage, work, i, _rows(i + 2))
    assert shard_plan(stage, ctx, "v1")[1] == {0, 1, 2}
    assert read_shards(work, "quarantine", "quarantine", 3).num_rows == 2 + 3 + 4
    assert pq.read_table(f1).num_rows == 3
