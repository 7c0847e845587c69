"""A stage run's work dir: the shard plan, shard outputs with completion markers, shard inputs.

```
work/<version_id>/plan.json                  {"n_shards": N, "version_id": ...}
work/<version_id>/<role>/shard-00003.parquet one output of shard 3 (atomic rename)
work/<version_id>/done/3                     completion marker, written after all its outputs
work/<version_id>/inputs/shard-00003/*.parquet, shard-00003.json   what shard 3 reads (Ray)
work/<version_id>/journal/shard-00003.jsonl  finished generation requests of shard 3
```

Every executor uses these, so a run killed under one executor resumes under any other. Each
shard's output is one file under a fixed name, replaced atomically: a rerun overwrites, never
appends (unlike `ray.data.Dataset.write_parquet`, whose default mode appends).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mathpref.schemas import get_schema
from mathpref.stages.base import Stage, StageContext
from mathpref.store.atomic import read_json, write_json_atomic


def shard_plan(stage: Stage, ctx: StageContext, vid: str) -> tuple[int, set[int]]:
    """(number of shards, shards already done). The count is fixed by the first attempt."""
    work = ctx.work_dir
    (work / "done").mkdir(parents=True, exist_ok=True)
    plan_path = work / "plan.json"
    if plan_path.is_file():
        n = read_json(plan_path)["n_shards"]
    else:
        n = stage.num_shards(ctx)
        write_json_atomic(plan_path, {"n_shards": n, "version_id": vid})
    return n, done_shards(work)


def done_shards(work: Path) -> set[int]:
    done = work / "done"
    return {int(p.name) for p in done.iterdir() if p.name.isdigit()} if done.is_dir() else set()


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def publish_shard(stage: Stage, work: Path, shard: int, tables: dict[str, pa.Table]) -> None:
    """Check shard `shard`'s outputs against their schemas, write them, then its marker."""
    for role, kind in stage.outputs.items():
        table = tables.get(role)
        table = get_schema(kind).conform(
            get_schema(kind).empty() if table is None else table,
            what=f"stage '{stage.name}' shard {shard} {role}",
        )
        _write_parquet(table, work / role / f"shard-{shard:05d}.parquet")
        del table
    write_json_atomic(work / "done" / str(shard), {"shard": shard})


def read_shards(work: Path, role: str, kind: str, n: int) -> pa.Table:
    parts = [pq.read_table(work / role / f"shard-{i:05d}.parquet") for i in range(n)]
    return pa.concat_tables(parts) if parts else get_schema(kind).empty()


# -- shard inputs as files (executors whose workers are other processes or machines) -------
def _inputs_index(work: Path, shard: int) -> Path:
    return work / "inputs" / f"shard-{shard:05d}.json"


def write_shard_inputs(work: Path, shard: int, tables: dict[str, pa.Table]) -> None:
    """Write what shard `shard` reads; the index is written last, so its presence means the
    files are complete (a resumed run reuses them)."""
    if _inputs_index(work, shard).is_file():
        return
    folder = work / "inputs" / f"shard-{shard:05d}"
    for name, table in tables.items():
        _write_parquet(table, folder / f"{name}.parquet")
    write_json_atomic(_inputs_index(work, shard), {"shard": shard, "tables": sorted(tables)})


def has_shard_inputs(work: Path, shard: int) -> bool:
    return _inputs_index(work, shard).is_file()


def read_shard_inputs(work: Path, shard: int) -> dict[str, pa.Table]:
    names = read_json(_inputs_index(work, shard))["tables"]
    folder = work / "inputs" / f"shard-{shard:05d}"
    return {name: pq.read_table(folder / f"{name}.parquet") for name in names}
