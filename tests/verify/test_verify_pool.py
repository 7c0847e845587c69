"""Worker pool: watchdog kills and replaces stuck workers; clean shutdown; threads."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mathpref.verify import VerifyPool, equivalent, grade_batch

STALL = "\\stalltesthook"
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(90)
def test_watchdog_kills_and_replaces_stuck_worker():
    with VerifyPool(workers=1, stall_token=STALL, wall_limit=2.0) as pool:
        res = pool.run(
            [("x+1", "1+x"), ("y", STALL + " y"), ("\\sqrt{4}", "\\sqrt{2}\\sqrt{2}")],
            timeout=1.0,
        )
        assert res[0][0] == "correct"
        assert res[1] == ("timeout", "none", "timeout")
        assert res[2][0] == "correct"
        assert pool.restarts == 2  # the stuck row is retried once, then its timeout is final
        assert pool.retries == 1


@pytest.mark.timeout(90)
def test_watchdog_in_grade_batch_rows_after_are_graded():
    golds = ["x+1", "y", "\\sqrt{2}", "4", "z"]
    comps = [
        "\\boxed{1+x}",
        "\\boxed{" + STALL + " y}",
        "\\boxed{\\sqrt{2}}",
        "#### 4",
        "\\boxed{z}",
    ]
    with VerifyPool(workers=2, stall_token=STALL, wall_limit=2.0) as pool:
        t = grade_batch(golds, comps, timeout=1.0, pool=pool)
    assert t.column("status").to_pylist() == ["correct", "timeout", "correct", "correct", "correct"]
    assert t.column("reason").to_pylist()[1] == "timeout"


@pytest.mark.timeout(60)
def test_equivalent_from_threads():
    out = []

    def work():
        out.append(equivalent("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [True, True, True]


@pytest.mark.timeout(60)
def test_interpreter_exits_cleanly_with_live_pool():
    code = (
        "from mathpref.verify import equivalent, grade_batch\n"
        "assert equivalent('x^2', 'x*x')\n"
        "grade_batch(['x'], ['\\\\boxed{x}'], workers=2)\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=45,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert "Traceback" not in proc.stderr
