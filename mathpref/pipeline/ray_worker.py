"""The Ray actor that runs shards: one per worker of a stage run (`map_batches` actor pool).

It reads a shard's inputs from the Parquet files the driver wrote, runs `stage.run_shard` in a
context that serves only those, publishes the outputs and the completion marker in the work dir
(and, for generation, appends finished requests to the shard's journal there), exactly as the
local executor does. Its `Resources` (pools, a loaded backend) live as long as the actor, so
the shards it runs share them; they are closed when Ray ends the actor. Errors come back as
rows (the pickled exception), so the driver raises what the local executor would have.
"""

from __future__ import annotations

import base64
import json
import pickle
import time
from pathlib import Path
from typing import Any

from mathpref.pipeline.shards import publish_shard, read_shard_inputs
from mathpref.stages.base import Stage, StageContext, TableInputs
from mathpref.stages.resources import Resources


class ShardWorker:
    def __init__(self, stage: Stage, context: dict[str, Any], n_shards: int, delay: float = 0):
        self.stage, self.n_shards, self.delay = stage, n_shards, delay
        self.context = context
        self.work = Path(context["work_dir"])
        self.worker = Resources(cpus=_assigned_cpus())
        self.resources = Resources(parent=self.worker)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        rows: dict[str, list] = {"shard": [], "error": [], "notes": [], "seconds": []}
        for shard in batch["shard"]:
            t0 = time.perf_counter()
            notes, error = self._run(int(shard))
            rows["shard"].append(int(shard))
            rows["error"].append(error)
            rows["notes"].append(json.dumps(notes))
            rows["seconds"].append(time.perf_counter() - t0)
        return rows

    def _run(self, shard: int) -> tuple[list[str], str]:
        c = self.context
        if not (self.work / "inputs").is_dir():
            import socket

            from mathpref.errors import StageError

            exc = StageError(
                f"stage '{c['name']}': the store's work dir {self.work} is not visible on node "
                f"{socket.gethostname()}; put the store on a filesystem every Ray node mounts "
                "at the same path"
            )
            return [], _pickled(exc)
        notes: list[str] = []
        try:
            tables = read_shard_inputs(self.work, shard)
            ctx = StageContext(
                name=c["name"],
                base_dir=Path(c["base_dir"]),
                work_dir=self.work,
                read_input=TableInputs(c["name"], tables),
                input_roles=list(tables),
                cache_dir=Path(c["cache_dir"]) if c.get("cache_dir") else None,
                notes=notes,
                resources=self.resources,
            )
            outputs = self.stage.run_shard(ctx, shard, self.n_shards)
            del tables
            publish_shard(self.stage, self.work, shard, outputs)
        except Exception as exc:  # noqa: BLE001 - sent back to the driver, raised there
            return notes, _pickled(exc)
        if self.delay:
            time.sleep(self.delay)
        return notes, ""

    def __del__(self) -> None:
        for res in (getattr(self, "resources", None), getattr(self, "worker", None)):
            if res is not None:
                try:
                    res.close()
                except Exception:  # noqa: BLE001 - the actor is going away
                    pass


def _assigned_cpus() -> int:
    try:
        import ray

        return max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1)))
    except Exception:  # noqa: BLE001 - outside Ray (tests)
        return 1


def _pickled(exc: BaseException) -> str:
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
    except Exception:  # noqa: BLE001 - an exception that does not pickle: keep its text
        from mathpref.errors import MathprefError, StageError

        keep = StageError(str(exc)) if isinstance(exc, MathprefError) else None
        data = pickle.dumps(keep or RuntimeError(f"{type(exc).__name__}: {exc}"))
    return base64.b64encode(data).decode("ascii")


def unpickle_error(text: str) -> BaseException:
    return pickle.loads(base64.b64decode(text))
