"""Executors: where a stage's shards run. The runner plans, reuses and writes; an executor only
runs (or resumes) shards.

Each shard is a pure function of the tables `Stage.shard_inputs` cuts for it (and the config):
an executor runs `stage.run_shard` in a context that serves only those tables, publishes the
shard's outputs as Parquet files in the stage's work dir and then writes a completion marker
(`mathpref.pipeline.shards`). A restarted build skips every shard with a marker, so a build
killed at any point finishes with the same rows, under either executor.

- `LocalExecutor`: shards one after another in this process (the default).
- `RayExecutor` (`mathpref.pipeline.ray_executor`): shards on a Ray cluster, in actors.

Pools and loaded models are the worker's (`ctx.resource`, `mathpref.stages.resources`): the
local worker is this process; its worker-lifetime resources last until the process exits.
"""

from __future__ import annotations

import atexit
import os
import time
from typing import Any

import pyarrow as pa

from mathpref.errors import SpecError, StageError
from mathpref.memory import release_memory
from mathpref.pipeline.shards import lone_outputs, publish_shard, read_shards, shard_plan
from mathpref.stages.base import Stage, StageContext
from mathpref.stages.resources import Resources
from mathpref.store import Store

__all__ = ["Executor", "InputReader", "LocalExecutor", "get_executor", "read_shards", "run_shards"]

EXECUTORS = ("local", "ray")


class Executor:
    """Runs (or resumes) the shards of one stage run; returns the number of shards."""

    name = "base"

    def run_shards(self, stage: Stage, ctx: StageContext, vid: str, reporter) -> int:
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the executor holds (a Ray connection it opened)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LOCAL_WORKER = Resources()  # worker-lifetime resources of this process (e.g. math-verify pool)
atexit.register(_LOCAL_WORKER.close)


class LocalExecutor(Executor):
    """Shards in this process, in order. `resources` (with `keep_resources=True`) keeps stage
    resources, such as a loaded model, from one stage run to the next (tests, notebooks)."""

    name = "local"

    def __init__(self, resources: Resources | None = None, keep_resources: bool = False):
        self.resources, self.keep_resources = resources, keep_resources

    def run_shards(self, stage: Stage, ctx: StageContext, vid: str, reporter) -> int:
        work = ctx.work_dir
        n, done = shard_plan(stage, ctx, vid)
        reporter.stage_start(stage.name, stage.kind, n, len(done))
        delay = shard_delay()
        ctx.resources = (
            Resources(parent=_LOCAL_WORKER) if self.resources is None else self.resources
        )
        try:
            for i in range(n):
                if i in done:
                    continue
                tables = stage.run_shard(ctx.for_shard(stage.shard_inputs(ctx, i)), i, n)
                if n == 1 and not stage.checkpoint_lone_shard:
                    # Straight to finalize and the store, which check them against the schemas.
                    ctx.kept_outputs = lone_outputs(stage, tables)
                else:
                    # One shard: its checked outputs go on to finalize in memory (the file and
                    # marker are still written, for a resumed run).
                    ctx.kept_outputs = publish_shard(stage, work, i, tables, keep=n == 1)
                del tables  # not held while the next shard runs or the shards are read back
                release_memory()
                reporter.shard_done(stage.name)
                if delay:
                    time.sleep(delay)
        finally:
            if not self.keep_resources:
                ctx.resources.close()
        return n


_DEFAULT: list[Executor] = []


def default_executor() -> Executor:
    """The executor of a `Runner` given none: a new LocalExecutor unless one was set."""
    return _DEFAULT[-1] if _DEFAULT else LocalExecutor()


def set_default_executor(executor: Executor | None) -> None:
    """Make `executor` every later Runner's default (None: back to a fresh LocalExecutor per
    Runner). For a notebook or a test that builds through code it does not call directly."""
    _DEFAULT.clear()
    if executor is not None:
        _DEFAULT.append(executor)


def run_shards(stage: Stage, ctx: StageContext, vid: str, reporter) -> int:
    """Run (or resume) the stage's shards in this process."""
    return LocalExecutor().run_shards(stage, ctx, vid, reporter)


def get_executor(name: str, **options: Any) -> Executor:
    """`local` or `ray` (options: address, max_workers); ray is imported only when asked for."""
    if name == "local":
        if options:
            raise SpecError(f"executor 'local' takes no options, got {sorted(options)}")
        return LocalExecutor()
    if name == "ray":
        from mathpref.pipeline.ray_executor import RayExecutor

        return RayExecutor(**options)
    raise SpecError(f"unknown executor '{name}'; valid: {', '.join(EXECUTORS)}")


def executor_from_cli(name: str, address: str | None, workers: int | None) -> Executor:
    """The executor of `mathpref build --executor NAME [--ray-address A] [--ray-workers N]`."""
    if name != "ray" and (address or workers):
        raise SpecError("--ray-address and --ray-workers need --executor ray")
    if name != "ray":
        return get_executor(name)
    if workers is not None and workers < 1:
        raise SpecError(f"--ray-workers must be >= 1, not {workers}")
    return get_executor("ray", address=address, max_workers=workers)


def shard_delay() -> float:
    """Seconds to pause after each shard (MATHPREF_DEBUG_SHARD_DELAY; kill/resume tests)."""
    return float(os.environ.get("MATHPREF_DEBUG_SHARD_DELAY", "0") or 0)


class InputReader:
    """A stage's input tables, read from the store once and cached for the stage run.

    `reader(role)` is the whole table; `reader(role, columns)` reads only those columns (a
    cached whole table is used when there is one); `reader.uncached(role, columns)` reads them
    without caching them. `clear()` drops the cache.
    """

    def __init__(self, store: Store, stage: str, dataset_ids: dict[str, list[str]]):
        self.store, self.stage, self.dataset_ids = store, stage, dataset_ids
        self.cache: dict[tuple[str, tuple[str, ...] | None], pa.Table] = {}

    def __call__(self, role: str, columns: list[str] | None = None) -> pa.Table:
        cols = tuple(columns) if columns is not None else None
        if (role, None) in self.cache and cols is not None:
            return self.cache[(role, None)].select(list(cols))
        if (role, cols) not in self.cache:
            self.cache[(role, cols)] = self._read(role, cols)
        return self.cache[(role, cols)]

    def uncached(self, role: str, columns: list[str]) -> pa.Table:
        """`columns` of `role`, read for this call only (from the cache when it holds them)."""
        cached = self.cache.get((role, tuple(columns))) or self.cache.get((role, None))
        if cached is not None:
            return cached.select(list(columns))
        return self._read(role, tuple(columns))

    def _read(self, role: str, cols: tuple[str, ...] | None) -> pa.Table:
        if role not in self.dataset_ids:
            raise StageError(f"stage '{self.stage}' has no input '{role}'")
        tables = [
            self.store.read(d, columns=list(cols) if cols else None) for d in self.dataset_ids[role]
        ]
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]

    def clear(self) -> None:
        self.cache.clear()


def release_inputs(ctx: StageContext) -> None:
    ctx.release_inputs()
    release_memory()
