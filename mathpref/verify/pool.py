"""A small process pool for math-verify with a per-row watchdog.

Each worker is a process with its own pipe. The dispatcher runs in the calling thread (any
thread; no signals are used in the parent), hands one row at a time to each idle worker and
waits on all pipes with a deadline. A worker that has not answered by ``timeout + grace``
is killed (SIGKILL) and replaced; its row is reported as ``timeout``. A worker that dies
(segfault, OOM) yields ``error`` for its row and is replaced the same way.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path

from mathpref.procs import child_env, spawning
from mathpref.verify._worker import Result

GRACE_SECONDS = 0.5
STARTUP_SECONDS = 120.0
# Run by path with -P: the child imports neither this package nor the caller's __main__.
_WORKER_SCRIPT = str(Path(__file__).resolve().with_name("_worker.py"))


class _Worker:
    """One `python -P .../_worker.py` child talking over two private pipes.

    A fresh interpreter (not fork) so the parent's threads (polars, arrow) and its
    ``__main__`` module never leak into the worker.
    """

    def __init__(self, stall_token: str | None, memory_limit_mb: int | None):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        args = [str(to_child_r), str(from_child_w), stall_token or "", str(memory_limit_mb or 0)]
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-P", _WORKER_SCRIPT, *args],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                close_fds=True,
                env=child_env(),  # the worker dies with this process (mathpref.procs)
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.tx = Connection(to_child_w, readable=False)
        self.rx = Connection(from_child_r, writable=False)
        self.ready = False
        self.task: int | None = None
        self.deadline = time.monotonic() + STARTUP_SECONDS

    def _close_pipes(self) -> None:
        for c in (self.tx, self.rx):
            try:
                c.close()
            except OSError:
                pass

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._close_pipes()

    def stop(self) -> None:
        try:
            self.tx.send(None)
        except (OSError, ValueError):
            pass
        self._close_pipes()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            try:  # SIGKILLed; on a loaded machine it may take longer to be reaped, never raise
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


class VerifyPool:
    """Worker processes that run math-verify comparisons with a per-row timeout.

    ``stall_token`` is a test hook: a prediction containing it makes the worker hang with
    SIGALRM blocked, so only the watchdog can end it.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        stall_token: str | None = None,
        memory_limit_mb: int | None = 2048,
    ):
        self.size = max(1, workers or os.cpu_count() or 1)
        self._stall_token = stall_token
        self._memory_limit_mb = memory_limit_mb
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.restarts = 0
        self._startup_failures = 0
        self.closed = False

    def _spawn(self) -> _Worker:
        with spawning():  # the worker starts with SIGINT ignored (mathpref.procs)
            return _Worker(self._stall_token, self._memory_limit_mb)

    def _ensure(self, n: int) -> None:
        while len(self._workers) < min(n, self.size):
            self._workers.append(self._spawn())

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self.restarts += 1
        self._workers[self._workers.index(w)] = self._spawn()

    def run(
        self,
        pairs: Sequence[tuple[str, str]],
        timeout: float = 5.0,
        progress: Callable[[int], None] | None = None,
    ) -> list[Result]:
        """Compare each (gold, prediction) pair; results in input order. Never raises per row."""
        if self.closed:
            raise RuntimeError("VerifyPool is closed")
        with self._lock:
            return self._run(pairs, timeout, progress)

    def _run(self, pairs, timeout, progress) -> list[Result]:
        results: list[Result | None] = [None] * len(pairs)
        if not pairs:
            return []
        self._ensure(len(pairs))
        todo = deque(range(len(pairs)))
        done = 0
        while todo or any(w.task is not None for w in self._workers):
            for w in self._workers:
                if w.ready and w.task is None and todo:
                    i = todo.popleft()
                    try:
                        w.tx.send((i, pairs[i][0], pairs[i][1], timeout))
                    except (OSError, ValueError):
                        todo.appendleft(i)
                        self._replace(w)
                        continue
                    w.task, w.deadline = i, time.monotonic() + timeout + GRACE_SECONDS
            waiting = [w for w in self._workers if w.task is not None or not w.ready]
            wait_for = max(0.0, min(w.deadline for w in waiting) - time.monotonic())
            ready = set(wait([w.rx for w in waiting], timeout=wait_for))
            now = time.monotonic()
            for w in waiting:
                i = w.task
                if w.rx in ready:
                    try:
                        task_id, result = w.rx.recv()
                    except (EOFError, OSError):
                        task_id, result = i, ("error", "none", "error:worker_died")
                        self._replace(w)
                    if task_id == "ready":
                        w.ready = True
                        self._startup_failures = 0
                        continue
                    if task_id is None:  # a worker that died while starting
                        self._startup_failures += 1
                        if self._startup_failures >= 3:
                            return self._fail_rest(results, "error:worker_start_failed")
                        continue
                    results[task_id] = result
                    w.task = None
                elif now >= w.deadline:
                    self._replace(w)
                    if i is None:
                        return self._fail_rest(results, "error:worker_start_timeout")
                    results[i] = ("timeout", "none", "timeout")
                    w.task = None
                else:
                    continue
                done += 1
                if progress is not None:
                    progress(done)
        return results  # type: ignore[return-value]

    @staticmethod
    def _fail_rest(results: list, reason: str) -> list[Result]:
        return [r if r is not None else ("error", "none", reason) for r in results]

    def close(self) -> None:
        with self._lock:
            self.closed = True
            workers, self._workers = self._workers, []
            for w in workers:
                w.stop()

    def __enter__(self) -> VerifyPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_shared: VerifyPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> VerifyPool:
    """The lazily started process-wide pool (one worker per core), closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closed:
            _shared = VerifyPool()
        return _shared


@atexit.register
def _close_shared() -> None:
    global _shared
    pool, _shared = _shared, None
    if pool is not None:
        pool.close()
