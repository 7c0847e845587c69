"""Item 5: Ctrl-C / SIGTERM print one line and exit 130 / 143; no child process outlives a
build, whether it is interrupted or killed with -9 (waited for, bounded, never assumed)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from mathpref.interrupts import MESSAGE
from tests.conftest import REPO

SPEC = str(REPO / "pipelines" / "gsm8k-openai-solutions.toml")
# 5,276 trajectories in 3 shards of 2,500: step checks run in a 2-process pool, math-verify in
# its own worker processes, and each shard waits a second, so there is time to interrupt.
SETS = ["--set", "verify.shard_rows=2500", "--set", "verify.workers=2"]


@pytest.fixture
def started():
    """Starts builds; whatever a failed test leaves running is killed (its whole group)."""
    procs = []
    yield lambda store: procs.append(_start(store)) or procs[-1]
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _start(store):
    env = dict(os.environ, MATHPREF_DEBUG_SHARD_DELAY="1.0")
    cmd = [sys.executable, "-m", "mathpref.cli", "build", SPEC, "--store", str(store), *SETS]
    return subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_children(proc, n=3, timeout=150):
    me = psutil.Process(proc.pid)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        kids = me.children(recursive=True)
        if len(kids) >= n:
            return kids
        time.sleep(0.1)
    pytest.fail(f"build never had {n} child processes (exit {proc.poll()})")


def _assert_all_gone(kids, timeout=20):
    _, alive = psutil.wait_procs(kids, timeout=timeout)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for p in alive:
        p.kill()
    assert not alive, f"child processes survived the build: {[p.pid for p in alive]}"


@pytest.mark.timeout(240)
def test_kill_9_leaves_no_child_processes(tmp_path, shared_data, started):
    proc = started(tmp_path / "st")
    kids = _wait_for_children(proc)
    os.kill(proc.pid, signal.SIGKILL)  # the build alone, not its process group
    proc.wait(30)
    _assert_all_gone(kids)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_and_ctrl_c_exit_codes_and_one_line(tmp_path, shared_data, sig, code, started):
    proc = started(tmp_path / "st")
    kids = _wait_for_children(proc)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
    else:
        os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err[-2000:]
    lines = [ln for ln in err.splitlines() if not ln.startswith("[")]
    assert lines == [MESSAGE], err[-2000:]
    _assert_all_gone(kids)
    assert not (tmp_path / "st" / "refs" / "gsm8k-openai-solutions.json").exists()


CHILD_FROM_THREAD = textwrap.dedent(
    """
    import subprocess, sys, threading, time
    from mathpref.procs import child_env
    code = "from mathpref.procs import die_with_parent; import time; print(die_with_parent(), flush=True); time.sleep(60)"
    out = []
    def start():
        out.append(subprocess.Popen([sys.executable, "-c", code], env=child_env(), stdout=subprocess.PIPE, text=True))
    t = threading.Thread(target=start); t.start(); t.join()  # the starting thread is gone
    child = out[0]
    print(child.pid, child.stdout.readline().strip(), flush=True)
    time.sleep(60)
    """
)


@pytest.mark.timeout(60)
def test_child_started_from_a_thread_survives_the_thread_but_not_the_parent():
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD_FROM_THREAD], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    pid, mode = parent.stdout.readline().split()
    assert mode == "poll"
    child = psutil.Process(int(pid))
    time.sleep(1.0)
    assert child.is_running()  # the thread that started it has exited: still alive
    parent.kill()
    parent.wait()
    _assert_all_gone([child], timeout=10)


def test_ctrl_c_while_children_start_is_not_lost():
    """A SIGINT that arrives while `spawning()` ignores it reaches the handler afterwards."""
    code = textwrap.dedent(
        """
        import os, signal
        from mathpref.procs import spawning
        try:
            with spawning():
                os.kill(os.getpid(), signal.SIGINT)
            print("lost")
        except KeyboardInterrupt:
            print("interrupted")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert out.stdout.strip() == "interrupted", out.stderr
