"""Row budgets are CPU time in the worker: the same verdicts on an idle and a loaded machine."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from mathpref.verify import VerifyPool, grade_batch


@contextmanager
def cpu_hogs(n: int):
    """`n` busy-looping processes (more than the cores), ended by pid afterwards."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait(timeout=10)


HOGS = 2 * (os.cpu_count() or 1) + 2
ROWS = [
    ("x+1", "1+x"),
    ("2", "\\burntesthook{0.2} 2"),  # 0.2 CPU s: fits a 0.5 s budget however slow the wall clock
    ("3", "\\burntesthook{3} 3"),  # never fits: timeout (after one retry)
    ("\\sqrt{4}", "\\sqrt{2}\\sqrt{2}"),
]


@pytest.mark.timeout(240)
def test_same_verdicts_under_cpu_load():
    with VerifyPool(workers=1, test_hooks=True) as pool:
        idle = pool.run(ROWS, timeout=0.5)
        with cpu_hogs(HOGS):
            loaded = pool.run(ROWS, timeout=0.5)
        assert pool.retries == 2  # the hopeless row, once per run
    assert [r[0] for r in idle] == ["correct", "correct", "timeout", "correct"]
    assert loaded == idle


@pytest.mark.timeout(120)
def test_c_level_loop_is_ended_by_the_cpu_limit():
    """A computation that never returns to the interpreter (no signal handler can run) is
    ended by RLIMIT_CPU; its row is a timeout, not an error, and the rows after it are graded."""
    with VerifyPool(workers=1, test_hooks=True) as pool:
        res = pool.run([("y", "\\cloophook y"), ("x^2", "x*x")], timeout=0.5)
        assert res[0] == ("timeout", "none", "timeout")
        assert res[1][0] == "correct"
        assert pool.restarts == 2  # killed by the kernel twice: the first try and the retry


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_batch_verdicts_under_load_with_c_loop():
    golds = ["x+1", "2", "y", "3", "z"]
    comps = [
        "\\boxed{1+x}",
        "\\boxed{\\burntesthook{0.4} 2}",
        "\\boxed{\\cloophook y}",
        "\\boxed{\\burntesthook{5} 3}",
        "\\boxed{z}",
    ]
    with VerifyPool(workers=2, test_hooks=True) as pool:
        idle = grade_batch(golds, comps, timeout=1.0, pool=pool).to_pylist()
        with cpu_hogs(HOGS):
            loaded = grade_batch(golds, comps, timeout=1.0, pool=pool).to_pylist()
    assert [r["status"] for r in idle] == ["correct", "correct", "timeout", "timeout", "correct"]
    assert loaded == idle
