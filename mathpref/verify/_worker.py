"""Code that runs inside a verify worker process (started by `pool.py` as a fresh interpreter).

math-verify is only ever imported and called here, in a child process's main thread. Its own
``signal.alarm`` timeouts are disabled. Each row gets a budget of **CPU time** spent in this
process, not wall time, so a loaded machine gives the same verdicts:

* ``ITIMER_PROF`` fires after `budget` CPU seconds and raises `RowTimeout` (a BaseException, so
  math-verify's ``except Exception`` cannot swallow it) at the next bytecode;
* ``RLIMIT_CPU`` is set to the CPU time used so far + budget + 1 s for the row, so a long
  C-level computation that never returns to the interpreter is ended by the kernel (SIGXCPU);
  the parent reads that death as a timeout.

Tasks are ``(task_id, kind, a, b, budget)``: kind ``"cmp"`` compares gold `a` with prediction
`b`; kind ``"key"`` returns a canonical string for the answer `a` (its sympy form).
"""

from __future__ import annotations

import logging
import math
import re
import signal
import time
from functools import lru_cache

# A result is (status, decided_by, reason); a key task returns ("key", key or "", reason).
Result = tuple[str, str, str]
RLIMIT_SLACK_SECONDS = 1


class RowTimeout(BaseException):
    """Raised by SIGPROF; a BaseException so math-verify's `except Exception` cannot eat it."""


def _on_prof(signum, frame):  # pragma: no cover - runs in the child
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


_BURN = re.compile(r"\\burntesthook\{([0-9.]+)\}")


def _test_hook(pred: str, hooks: bool, stall_token: str | None) -> str:
    """Test hooks (only when the pool enables them): stall, burn CPU, loop in C. Returns the
    text without the hook."""
    if stall_token and stall_token in pred:
        # Behave like a computation stuck without using CPU (no signal can end it).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGPROF})
        time.sleep(3600)
    if not hooks:
        return pred
    m = _BURN.search(pred)
    if m:  # spend this many CPU seconds in Python code
        end = time.process_time() + float(m.group(1))
        while time.process_time() < end:
            pass
        pred = pred[: m.start()] + pred[m.end() :]
    if "\\cloophook" in pred:  # a C-level loop that never checks for signals
        sum(range(10**14))
    return pred


def compare(gold: str, pred: str, stall_token: str | None = None, hooks: bool = False) -> Result:
    """math-verify comparison of two extracted answers."""
    pred = _test_hook(pred, hooks, stall_token)
    from math_verify import parse, verify

    g = _parse_gold(gold)
    if not g:
        return ("unverifiable", "math_verify", "gold_unparseable")
    p = parse(_wrap(pred), parsing_timeout=None)
    if not p:
        return ("incorrect", "math_verify", "pred_unparseable")
    ok = verify(g, p, timeout_seconds=None)
    if ok:
        return ("correct", "math_verify", "math_verify_equal")
    return ("incorrect", "math_verify", "math_verify_mismatch")


def canonical(text: str, hooks: bool = False) -> Result:
    """("key", canonical sympy string, "parsed") or ("key", "", "unparsed")."""
    text = _test_hook(text, hooks, None)
    parsed = _parse_gold(text)
    for obj in parsed:
        if not isinstance(obj, str):
            return ("key", str(obj), "parsed")
    return ("key", "", "unparsed")


def _preload() -> None:
    import math_verify  # noqa: F401
    import math_verify.grader as grader
    import math_verify.parser as parser

    # We arm our own timer; silence the one-time "timeout disabled" warning.
    parser.TIMEOUT_WARNING_SHOWN = True
    grader.TIMEOUT_WARNING_SHOWN = True
    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)


class _CpuBudget:
    """ITIMER_PROF + RLIMIT_CPU around one row."""

    def __init__(self):
        import resource

        self.resource = resource
        self.hard = resource.getrlimit(resource.RLIMIT_CPU)[1]

    def _used(self) -> float:
        r = self.resource.getrusage(self.resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def arm(self, budget: float) -> None:
        soft = math.ceil(self._used() + budget + RLIMIT_SLACK_SECONDS)
        if self.hard != self.resource.RLIM_INFINITY:
            soft = min(soft, self.hard)
        self.resource.setrlimit(self.resource.RLIMIT_CPU, (soft, self.hard))
        signal.setitimer(signal.ITIMER_PROF, max(budget, 0.01))

    def disarm(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)
        self.resource.setrlimit(self.resource.RLIMIT_CPU, (self.hard, self.hard))


def _run(task: tuple, stall_token: str | None, hooks: bool) -> Result:
    _, kind, a, b, _budget = task
    if kind == "key":
        return canonical(a, hooks)
    return compare(a, b, stall_token, hooks)


def worker_main(conn, stall_token: str | None, memory_limit_mb: int | None, hooks=False) -> None:
    """Serve tasks until None or EOF; "ready" first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPROF, _on_prof)
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
    budget = _CpuBudget()
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
        try:
            try:
                budget.arm(msg[4])
                result = _run(msg, stall_token, hooks)
            finally:
                budget.disarm()
        except RowTimeout:
            result = ("timeout", "none", "timeout")
        except MemoryError:
            result = ("error", "none", "error:MemoryError")
        except RecursionError:
            result = ("error", "none", "error:RecursionError")
        except Exception as exc:  # noqa: BLE001 - recorded, never raised
            result = ("error", "none", f"error:{type(exc).__name__}")
        try:
            conn.send((msg[0], result))
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
    hooks = len(argv) > 4 and argv[4] == "1"

    class _Duplex:
        def __init__(self):
            self.r = Connection(read_fd, writable=False)
            self.w = Connection(write_fd, readable=False)

        def recv(self):
            return self.r.recv()

        def send(self, obj):
            self.w.send(obj)

    worker_main(_Duplex(), stall_token, memory_limit_mb, hooks)


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
