"""A small process pool for math-verify with per-row CPU-time budgets.

Each worker is a process with its own pipe. The dispatcher runs in the calling thread (any
thread; no signals are used in the parent), hands one row at a time to each idle worker and
waits on all pipes. A row's budget is CPU time spent in its worker (`_worker.py`: ITIMER_PROF,
then RLIMIT_CPU for C-level loops), so a loaded machine gives the same verdicts as an idle one.
A worker ended by its CPU limit (SIGXCPU) is replaced and its row reported as ``timeout``; one
that dies otherwise (segfault, OOM) yields ``error``. A row that runs out of time is retried
once; a second timeout is final. A wall-clock backstop (``wall_limit``, default
``20 x timeout + 30 s``) kills a worker that is stuck without using CPU.
"""

from __future__ import annotations

import atexit
import os
import signal
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

STARTUP_SECONDS = 120.0
WALL_FACTOR, WALL_SLACK_SECONDS = 20.0, 30.0
MAX_ATTEMPTS = 2  # a row that times out is retried once
# Run by path with -P: the child imports neither this package nor the caller's __main__.
_WORKER_SCRIPT = str(Path(__file__).resolve().with_name("_worker.py"))


class _Worker:
    """One `python -P .../_worker.py` child talking over two private pipes.

    A fresh interpreter (not fork) so the parent's threads (polars, arrow) and its
    ``__main__`` module never leak into the worker.
    """

    def __init__(self, stall_token: str | None, memory_limit_mb: int | None, hooks: bool = False):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        args = [str(to_child_r), str(from_child_w), stall_token or "", str(memory_limit_mb or 0)]
        args.append("1" if hooks else "0")
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
    """Worker processes that run math-verify comparisons with a per-row CPU-time budget.

    ``stall_token`` is a test hook: a prediction containing it makes the worker hang without
    using CPU (signals blocked), so only the wall-clock backstop can end it. ``test_hooks``
    enables the CPU hooks of `_worker._test_hook` (burn CPU in Python, loop in C).
    ``wall_limit`` overrides the wall-clock backstop per row, in seconds.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        stall_token: str | None = None,
        memory_limit_mb: int | None = 2048,
        test_hooks: bool = False,
        wall_limit: float | None = None,
    ):
        self.size = max(1, workers or os.cpu_count() or 1)
        self._stall_token = stall_token
        self._memory_limit_mb = memory_limit_mb
        self._hooks = test_hooks
        self._wall_limit = wall_limit
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self.restarts = 0
        self.retries = 0
        self._startup_failures = 0
        self.closed = False

    def _spawn(self) -> _Worker:
        with spawning():  # the worker starts with SIGINT ignored (mathpref.procs)
            return _Worker(self._stall_token, self._memory_limit_mb, self._hooks)

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
        """Compare each (gold, prediction) pair; results in input order. Never raises per row.

        `timeout` is each row's budget in CPU seconds of its worker."""
        return self.run_tasks([("cmp", g, p) for g, p in pairs], timeout, progress)

    def keys(self, texts: Sequence[str], timeout: float = 5.0) -> list[str | None]:
        """Canonical (sympy) strings of answers; None where one does not parse or runs out."""
        out = self.run_tasks([("key", t, "") for t in texts], timeout)
        return [r[1] if r[0] == "key" and r[1] else None for r in out]

    def run_tasks(self, tasks, timeout: float = 5.0, progress=None) -> list[Result]:
        """Run (kind, a, b) tasks (see `_worker`); results in input order."""
        if self.closed:
            raise RuntimeError("VerifyPool is closed")
        with self._lock:
            return self._run(tasks, timeout, progress)

    def _wall(self, timeout: float) -> float:
        if self._wall_limit is not None:
            return self._wall_limit
        return timeout * WALL_FACTOR + WALL_SLACK_SECONDS

    def _run(self, pairs, timeout, progress) -> list[Result]:
        results: list[Result | None] = [None] * len(pairs)
        if not pairs:
            return []
        self._ensure(len(pairs))
        todo = deque(range(len(pairs)))
        attempts = [0] * len(pairs)
        done = 0
        while todo or any(w.task is not None for w in self._workers):
            for w in self._workers:
                if w.ready and w.task is None and todo:
                    i = todo.popleft()
                    try:
                        w.tx.send((i, *pairs[i], timeout))
                    except (OSError, ValueError):
                        todo.appendleft(i)
                        self._replace(w)
                        continue
                    attempts[i] += 1
                    w.task, w.deadline = i, time.monotonic() + self._wall(timeout)
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
                        task_id, result = i, _death(w)
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
                    w.task = None
                    if result[0] == "timeout" and attempts[task_id] < MAX_ATTEMPTS:
                        self.retries += 1
                        todo.append(task_id)
                        continue
                    results[task_id] = result
                elif now >= w.deadline:
                    self._replace(w)
                    if i is None:
                        return self._fail_rest(results, "error:worker_start_timeout")
                    w.task = None
                    if attempts[i] < MAX_ATTEMPTS:
                        self.retries += 1
                        todo.append(i)
                        continue
                    results[i] = ("timeout", "none", "timeout")
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


def _death(w: _Worker) -> Result:
    """The result of a row whose worker died: its CPU limit (SIGXCPU) is a timeout."""
    try:
        code = w.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        code = None
    if code == -signal.SIGXCPU:
        return ("timeout", "none", "timeout")
    return ("error", "none", "error:worker_died")


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
