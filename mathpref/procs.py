"""Child processes that die with the build: one helper for every pool (step-check and
math-verify workers today; vLLM engine and Ray worker processes can use the same calls).

In a child, `die_with_parent()` asks Linux to SIGKILL it when its parent goes (prctl
PR_SET_PDEATHSIG, through ctypes), and exits at once if the parent is already gone. In the
parent, `kill_children()` ends every descendant (SIGTERM, then SIGKILL) on an interrupt, so nothing
outlives a build stopped by Ctrl-C, SIGTERM or, thanks to the first part, kill -9.

- `concurrent.futures.ProcessPoolExecutor(..., **pool_kwargs())` installs `worker_init` (ignore
  SIGINT: the parent decides; die with the parent) in every worker.
- A `subprocess.Popen` child gets `env=child_env()` and calls `die_with_parent()` first thing
  (it reads the parent's pid from `MATHPREF_PARENT_PID`).
- Start children inside `with spawning():` so they begin life with SIGINT ignored (an ignored
  signal survives fork and exec): a Ctrl-C reaches the whole foreground process group, and a
  child still importing would otherwise print a KeyboardInterrupt traceback of its own.

Linux sends the death signal when the *thread* that started the child exits, not the process.
So the parent picks the mode when it starts a child: from the main thread, the kernel signal;
from any other thread (a pool started lazily by a worker thread), a watchdog thread in the child
that exits when its parent pid changes (checked every `POLL_SECONDS`). On systems without
prctl the watchdog is used; `kill_children` works everywhere psutil does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

PARENT_ENV, MODE_ENV = "MATHPREF_PARENT_PID", "MATHPREF_PARENT_WATCH"
PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def spawn_mode() -> str:
    """How a child started from the current thread should watch its parent."""
    return "signal" if threading.current_thread() is threading.main_thread() else "poll"


def _pdeathsig(sig: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)


def die_with_parent(
    parent_pid: int | None = None, mode: str | None = None, sig: int = signal.SIGKILL
) -> str:
    """Make this process end when its parent does; returns the mode used ('signal' or 'poll').

    `parent_pid` and `mode` default to what `child_env()` put in the environment."""
    if parent_pid is None:
        parent_pid = int(os.environ.get(PARENT_ENV, "0") or 0) or os.getppid()
    mode = mode or os.environ.get(MODE_ENV) or "signal"
    if mode != "signal" or not _pdeathsig(sig):
        mode = "poll"
        threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent").start()
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the request took effect
    return mode


def worker_init(parent_pid: int | None = None, mode: str | None = None) -> None:
    """Initializer for pool workers: leave SIGINT to the parent, die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid, mode)


def pool_kwargs() -> dict:
    """Keyword arguments for ProcessPoolExecutor so its workers die with this process (create
    the pool and submit to it from the same thread)."""
    return {"initializer": worker_init, "initargs": (os.getpid(), spawn_mode())}


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a Popen child that calls `die_with_parent()` itself; call it in the
    thread that starts the child."""
    base = os.environ if env is None else env
    return {**base, PARENT_ENV: str(os.getpid()), MODE_ENV: spawn_mode()}


@contextlib.contextmanager
def spawning():
    """Ignore SIGINT while children are started here (they inherit the ignored signal).

    SIGINT is also blocked in this thread meanwhile: on Linux a blocked signal stays pending
    even while ignored, so a Ctrl-C that lands in this window is delivered to the restored
    handler when the window closes instead of being lost (the build would finish and exit 0)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is not None:
        mask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if mask is not None:
            mask(signal.SIG_UNBLOCK, {signal.SIGINT})


def kill_children(timeout: float = 3.0) -> list[int]:
    """Terminate every descendant of this process (SIGKILL after `timeout`); their pids."""
    import psutil

    try:
        procs = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    # multiprocessing's resource tracker is left alone: it exits by itself once this process
    # and its pool workers are gone, and killing it first makes the exit noisy.
    tracker = getattr(
        sys.modules.get("multiprocessing.resource_tracker"), "_resource_tracker", None
    )
    spare = getattr(tracker, "_pid", None)
    procs = [p for p in procs if p.pid != spare]
    for p in procs:
        try:
            p.terminate()
        except psutil.Error:
            pass
    alive = _wait_dead(procs, timeout)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    _wait_dead(alive, timeout)
    return [p.pid for p in procs]


def _wait_dead(procs, timeout: float) -> list:
    """Wait until each process is gone or a zombie, without reaping it: its owner (a
    ProcessPoolExecutor, a Popen) must still see its exit status, or it waits forever."""
    import psutil

    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive and time.monotonic() < deadline:
        still = []
        for p in alive:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    still.append(p)
            except psutil.Error:
                pass
        alive = still
        if alive:
            time.sleep(0.05)
    return alive
