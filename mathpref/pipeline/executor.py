"""Stage execution apart from the stages: shards with completion markers, inputs, memory.

`run_shards` runs (or resumes) a stage's shards. Each finished shard's outputs are published as
Parquet files in the stage's work dir, then a completion marker is written; a restarted build
skips every shard with a marker, so a build killed at any point finishes with the same rows.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mathpref.errors import StageError
from mathpref.schemas import get_schema
from mathpref.stages.base import Stage, StageContext
from mathpref.store import Store
from mathpref.store.atomic import read_json, write_json_atomic


def run_shards(stage: Stage, ctx: StageContext, vid: str, reporter) -> int:
    """Run (or resume) the stage's shards; each output shard is a Parquet file in the work
    dir. Returns the number of shards."""
    work = ctx.work_dir
    (work / "done").mkdir(parents=True, exist_ok=True)
    plan_path = work / "plan.json"
    if plan_path.is_file():
        n = read_json(plan_path)["n_shards"]
    else:
        n = stage.num_shards(ctx)
        write_json_atomic(plan_path, {"n_shards": n, "version_id": vid})
    done = {int(p.name) for p in (work / "done").iterdir() if p.name.isdigit()}
    reporter.stage_start(stage.name, stage.kind, n, len(done))
    delay = float(os.environ.get("MATHPREF_DEBUG_SHARD_DELAY", "0") or 0)
    for i in range(n):
        if i in done:
            continue
        tables = stage.run_shard(ctx, i, n)
        for role, kind in stage.outputs.items():
            table = tables.get(role)
            table = get_schema(kind).conform(
                get_schema(kind).empty() if table is None else table,
                what=f"stage '{stage.name}' shard {i} {role}",
            )
            path = work / role / f"shard-{i:05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, path)
        del tables, table  # not held while the next shard runs or the shards are read back
        release_memory()
        write_json_atomic(work / "done" / str(i), {"shard": i})
        reporter.shard_done(stage.name)
        if delay:
            time.sleep(delay)
    return n


def read_shards(work: Path, role: str, kind: str, n: int) -> pa.Table:
    parts = [pq.read_table(work / role / f"shard-{i:05d}.parquet") for i in range(n)]
    return pa.concat_tables(parts) if parts else get_schema(kind).empty()


class InputReader:
    """A stage's input tables, read from the store once and cached for the stage run.

    `reader(role)` is the whole table; `reader(role, columns)` reads only those columns (a
    cached whole table is used when there is one). `clear()` drops the cache.
    """

    def __init__(self, store: Store, stage: str, dataset_ids: dict[str, list[str]]):
        self.store, self.stage, self.dataset_ids = store, stage, dataset_ids
        self.cache: dict[tuple[str, tuple[str, ...] | None], pa.Table] = {}

    def __call__(self, role: str, columns: list[str] | None = None) -> pa.Table:
        if role not in self.dataset_ids:
            raise StageError(f"stage '{self.stage}' has no input '{role}'")
        cols = tuple(columns) if columns is not None else None
        if (role, None) in self.cache and cols is not None:
            return self.cache[(role, None)].select(list(cols))
        if (role, cols) not in self.cache:
            tables = [
                self.store.read(d, columns=list(cols) if cols else None)
                for d in self.dataset_ids[role]
            ]
            self.cache[(role, cols)] = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        return self.cache[(role, cols)]

    def clear(self) -> None:
        self.cache.clear()


def release_inputs(ctx: StageContext) -> None:
    ctx.release_inputs()
    release_memory()


def release_memory() -> None:
    """Hand memory that Arrow's allocator keeps after tables are freed back to the OS (without
    this, a stage's peak stays resident for the rest of the build)."""
    pa.default_memory_pool().release_unused()
