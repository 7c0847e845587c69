"""Code that runs inside a verify worker process (imported by the forkserver preload).

math-verify is only ever imported and called here, in a child process's main thread. Its
own ``signal.alarm`` timeouts are disabled; the worker arms one ``ITIMER_REAL`` per row
instead, and the parent's watchdog kills the whole process if that is not enough (a long
C-level computation cannot be interrupted by a signal handler).
"""

from __future__ import annotations

import logging
import signal
import time
from functools import lru_cache

# A result is (status, decided_by, reason).
Result = tuple[str, str, str]


class RowTimeout(BaseException):
    """Raised by SIGALRM; a BaseException so math-verify's `except Exception` cannot eat it."""


def _on_alarm(signum, frame):  # pragma: no cover - runs in the child
    raise RowTimeout()


def _wrap(s: str) -> str:
    s = s.strip()
    if s.startswith("$") or s.startswith("\\(") or s.startswith("\\["):
        return s
    return "$" + s + "$"


@lru_cache(maxsize=4096)
def _parse_gold(gold: str):
    from math_verify import parse

    return parse(_wrap(gold), parsing_timeout=None)


def compare(gold: str, pred: str, stall_token: str | None = None) -> Result:
    """math-verify comparison of two extracted answers."""
    if stall_token and stall_token in pred:
        # Test hook: behave like a computation stuck in C code (alarm cannot interrupt it).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    from math_verify import parse, verify

    g = _parse_gold(gold)
    if not g:
        return ("unverifiable", "math_verify", "gold_unparseable")
    p = parse(_wrap(pred), parsing_timeout=None)
    if not p:
        return ("incorrect", "math_verify", "pred_unparseable")
    ok = verify(g, p, timeout_seconds=None)
    return (
        ("correct", "math_verify", "math_verify_equal")
        if ok
        else (
            "incorrect",
            "math_verify",
            "math_verify_mismatch",
        )
    )


def _preload() -> None:
    import math_verify  # noqa: F401
    import math_verify.grader as grader
    import math_verify.parser as parser

    # We arm our own timer; silence the one-time "timeout disabled" warning.
    parser.TIMEOUT_WARNING_SHOWN = True
    grader.TIMEOUT_WARNING_SHOWN = True
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)


def worker_main(conn, stall_token: str | None, memory_limit_mb: int | None) -> None:
    """Serve (task_id, gold, pred, timeout) messages until None or EOF; "ready" first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _on_alarm)
    if memory_limit_mb:
        try:
            import resource

            with open("/proc/self/statm") as fh:
                current = int(fh.read().split()[0]) * resource.getpagesize()
            limit = current + memory_limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError, ImportError):  # pragma: no cover
            pass
    _preload()
    try:
        conn.send(("ready", None))
    except (OSError, ValueError):
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if msg is None:
            return
        task_id, gold, pred, timeout = msg
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.01))
                result = compare(gold, pred, stall_token)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except RowTimeout:
            result = ("timeout", "none", "timeout")
        except MemoryError:
            result = ("error", "none", "error:MemoryError")
        except RecursionError:
            result = ("error", "none", "error:RecursionError")
        except Exception as exc:  # noqa: BLE001 - recorded, never raised
            result = ("error", "none", f"error:{type(exc).__name__}")
        try:
            conn.send((task_id, result))
        except (OSError, ValueError):
            return


def _main(argv: list[str]) -> None:
    from multiprocessing.connection import Connection

    try:  # die with the parent (kill -9 included); see mathpref.procs
        from mathpref.procs import die_with_parent

        die_with_parent()
    except ImportError:  # pragma: no cover - mathpref not importable from this interpreter
        pass

    read_fd, write_fd = int(argv[0]), int(argv[1])
    stall_token = argv[2] or None
    memory_limit_mb = int(argv[3]) or None

    class _Duplex:
        def __init__(self):
            self.r = Connection(read_fd, writable=False)
            self.w = Connection(write_fd, readable=False)

        def recv(self):
            return self.r.recv()

        def send(self, obj):
            self.w.send(obj)

    worker_main(_Duplex(), stall_token, memory_limit_mb)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
