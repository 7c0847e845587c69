"""A build killed with SIGKILL mid-stage restarts and ends with the same fingerprints."""

import os
import signal
import subprocess
import sys
import time

import pytest

from mathpref.store import Store
from tests.conftest import REPO

SPEC = str(REPO / "pipelines" / "gsm8k-openai-solutions.toml")
SETS = ["--set", "verify.shard_rows=500", "--set", "verify.step_checks=false"]


def _cmd(store):
    return [sys.executable, "-m", "mathpref.cli", "build", SPEC, "--store", str(store), *SETS]


def _outputs(store):
    ref = Store(store).read_ref("gsm8k-openai-solutions")
    return {
        n: {r: (o["fingerprint"], o["rows"]) for r, o in s["outputs"].items()}
        for n, s in ref["stages"].items()
    }


@pytest.mark.timeout(240)
def test_sigkill_mid_stage_then_resume(tmp_path, shared_data):
    store = tmp_path / "killed"
    env = dict(os.environ, MATHPREF_DEBUG_SHARD_DELAY="0.4")
    proc = subprocess.Popen(
        _cmd(store),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    done_dirs = []
    while time.time() < deadline and proc.poll() is None:
        done_dirs = (
            [d for d in (store / "work").glob("*/done")] if (store / "work").exists() else []
        )
        if any(len(list(d.iterdir())) >= 3 for d in done_dirs):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    markers = sum(len(list(d.iterdir())) for d in done_dirs)
    assert 3 <= markers < 11  # killed mid-stage: some shards done, not all
    assert not (store / "refs" / "gsm8k-openai-solutions.json").exists()

    resumed = subprocess.run(_cmd(store), capture_output=True, text=True, timeout=200)
    assert resumed.returncode == 0, resumed.stderr
    assert "of 11 shard(s) to do" in resumed.stderr
    assert "11 of 11 shard(s) to do" not in resumed.stderr  # finished shards were reused

    clean = subprocess.run(_cmd(tmp_path / "clean"), capture_output=True, text=True, timeout=200)
    assert clean.returncode == 0, clean.stderr
    assert _outputs(store) == _outputs(tmp_path / "clean")
    v = Store(store).read(
        Store(store).read_ref()["stages"]["verify"]["outputs"]["verifications"]["dataset_id"]
    )
    assert v.num_rows == 5276 and len(v["trajectory_id"].unique()) == 5276
