"""Ctrl-C and SIGTERM for the command line: one line, the conventional exit code, no orphans.

`install()` turns SIGINT and SIGTERM into `Interrupted`, a BaseException (so `except Exception` in
stage code never swallows it, and `finally` blocks and the store lock release run; not a
KeyboardInterrupt, which typer would turn into a return value and the process would exit 0). `exit_code(exc)`
tells whether an exception (or what it was raised from) is an interrupt: 130 for SIGINT, 143 for
SIGTERM. `stop(code)` ends the children, prints "interrupted; rerun to resume" and exits.
"""

from __future__ import annotations

import signal
import sys

MESSAGE = "interrupted; rerun to resume"


class Interrupted(BaseException):
    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


def _raise(signum, frame):
    raise Interrupted(signum)


def install() -> None:
    signal.signal(signal.SIGTERM, _raise)
    signal.signal(signal.SIGINT, _raise)


def exit_code(exc: BaseException | None) -> int | None:
    """128 + signal number if `exc` or its cause/context is an interrupt, else None."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, Interrupted):
            return 128 + int(exc.signum)
        if isinstance(exc, KeyboardInterrupt):
            return 128 + int(signal.SIGINT)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def stop(code: int) -> None:
    from mathpref.procs import kill_children

    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM does not cut the clean-up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kill_children()
    print(MESSAGE, file=sys.stderr, flush=True)
    sys.exit(code)
