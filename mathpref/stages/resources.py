"""Worker resources: long-lived objects an executor's worker lends to the shards it runs.

A shard is a pure function of its inputs, but some of what it uses is costly to create: a
process pool for math-verify or the step checker, a loaded model, an HTTP session. Those belong
to the worker (the local process, or one Ray actor), not to a shard: a stage asks for one with
`ctx.resource(key, factory)`; the first shard on that worker creates it, later shards on the same
worker get the same object, and the executor closes every one when the stage run ends (objects
with `close()`, else `shutdown()`). Nothing a shard computes may depend on which worker, or on
which earlier shards, it ran after.

Two lifetimes: "stage" (the default; a loaded model is released when its stage ends, so the
next stage can load another on the same GPU) and "worker" (cheap to keep idle, e.g. a process
pool: kept for the worker's life; the local worker is this process, a Ray worker is an actor).

`cpus` is how many CPU cores the worker may use: the machine's on the local executor, the
actor's share on Ray. Size process pools by it, not by `os.cpu_count()`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Resources:
    def __init__(self, cpus: int | None = None, parent: Resources | None = None):
        inherited = parent.cpus if parent is not None else 0
        self.cpus = max(1, int(cpus or inherited or os.cpu_count() or 1))
        self.parent = parent  # the worker-lifetime resources, when this holds a stage's
        self._objects: dict[Hashable, Any] = {}

    def get(self, key: Hashable, factory: Callable[[], T], lifetime: str = "stage") -> T:
        """The worker's object under `key`, created by `factory()` on first use."""
        if lifetime not in ("stage", "worker"):
            raise ValueError(f"lifetime must be 'stage' or 'worker', not {lifetime!r}")
        if lifetime == "worker" and self.parent is not None:
            return self.parent.get(key, factory)
        if key not in self._objects:
            self._objects[key] = factory()
        return self._objects[key]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._objects

    def __len__(self) -> int:
        return len(self._objects)

    def close(self) -> None:
        """Close every object of this scope (latest first; not the parent's); the first error is raised after all are tried."""
        first: BaseException | None = None
        while self._objects:
            _, obj = self._objects.popitem()
            try:
                closer = getattr(obj, "close", None) or getattr(obj, "shutdown", None)
                if closer is not None:
                    closer()
            except Exception as exc:  # noqa: BLE001 - keep closing the others
                first = first or exc
        if first is not None:
            raise first
