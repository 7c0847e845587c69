"""Generation stages end to end: the tiny transformers model, request-level resume, continuations."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.conftest import REPO

FILLED = [
    "trajectory_id",
    "problem_id",
    "arm",
    "arm_family",
    "sample_index",
    "model_id",
    "backend",
    "seed",
    "temperature",
    "top_p",
    "max_new_tokens",
    "sampling_params",
    "prompt",
    "completion",
    "prompt_tokens",
    "completion_tokens",
    "finish_reason",
    "latency_s",
]


def _read(store, name, role=None):
    st = Store(store)
    outs = st.read_ref()["stages"][name]["outputs"]
    return st.read(outs[role or next(iter(outs))]["dataset_id"])


@pytest.mark.timeout(300)
def test_smoke_tiny_generates_twelve_filled_trajectories(tmp_path):
    spec = load_spec(str(REPO / "pipelines" / "smoke-tiny.toml"))
    Runner(spec, Store(tmp_path / "st")).build()
    t = _read(tmp_path / "st", "trajectories")
    assert t.num_rows == 12
    assert Counter(t["arm"].to_pylist()) == {"direct": 6, "deliberative": 6}
    for col in FILLED:
        assert t[col].null_count == 0, col
    assert set(t["backend"].to_pylist()) == {"transformers"}
    assert len(set(t["seed"].to_pylist())) == 12
    assert all("<|user|>" in p or "user" in p for p in t["prompt"].to_pylist())
    v = _read(tmp_path / "st", "verify")
    assert v.num_rows == 12
    assert (tmp_path / "st" / "cache" / "tiny-model").is_dir()  # reused by later builds


SMOKE_RESUME = """
[pipeline]
name = "resume"
[stages.problems]
kind = "problems"
path = "{repo}/pipelines/data/demo-problems.jsonl"
preset = "gsm8k"
limit = 3
[stages.trajectories]
kind = "generate"
inputs = {{ problems = "problems" }}
backend = "transformers"
model = "tiny"
preset = "direct-reflective-deliberative"
only_arms = ["direct", "reflective"]
n = 3
max_new_tokens = 12
backend_options = {{ batch_size = 1, device = "cpu" }}
"""


@pytest.mark.timeout(300)
def test_generation_killed_midway_resumes_request_by_request(tmp_path):
    spec = tmp_path / "resume.toml"
    spec.write_text(SMOKE_RESUME.format(repo=REPO))
    cmd = [sys.executable, "-m", "mathpref.cli", "build", str(spec), "--store"]
    store = tmp_path / "killed"
    proc = subprocess.Popen(
        cmd + [str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline, journal_lines = time.time() + 200, 0
    while time.time() < deadline and proc.poll() is None:
        journals = (
            list((store / "work").glob("*/journal/*.jsonl")) if (store / "work").exists() else []
        )
        journal_lines = sum(p.read_text().count("\n") for p in journals)
        if journal_lines >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "generation finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 4 <= journal_lines < 18
    resumed = subprocess.run(cmd + [str(store)], capture_output=True, text=True, timeout=250)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from the journal" in resumed.stdout
    clean = subprocess.run(
        cmd + [str(tmp_path / "clean")], capture_output=True, text=True, timeout=250
    )
    assert clean.returncode == 0, clean.stderr
    a, b = (
        Store(s).read_ref("resume")["stages"]["trajectories"]["outputs"]["trajectories"]
        for s in (store, tmp_path / "clean")
    )
    assert a["rows"] == b["rows"] == 18
    assert a["fingerprint"] == b["fingerprint"]  # deterministic at a fixed seed


def test_continuations_continue_the_prefix_before_the_first_wrong_step(tmp_path):
    spec = load_spec(str(REPO / "pipelines" / "demo-scripted.toml"))
    for name in ("scores", "pairs"):
        spec.stages.pop(name, None)
    Runner(spec, Store(tmp_path / "st")).build()
    parents = _read(tmp_path / "st", "trajectories").to_pylist()
    verdicts = {v["trajectory_id"]: v for v in _read(tmp_path / "st", "verify").to_pylist()}
    conts = _read(tmp_path / "st", "continuations").to_pylist()
    by_id = {p["trajectory_id"]: p for p in parents}
    erring = [
        p for p in parents if verdicts[p["trajectory_id"]]["first_arith_error_step"] is not None
    ]
    assert erring and len(conts) == 2 * len(erring)
    for c in conts:
        parent = by_id[c["parent_trajectory_id"]]
        k = verdicts[parent["trajectory_id"]]["first_arith_error_step"]
        lines = parent["completion"].split("\n")
        assert c["prefix"] == "".join(line + "\n" for line in lines[:k])
        assert parent["completion"].startswith(c["prefix"])
        assert c["problem_id"] == parent["problem_id"] and c["arm"] == parent["arm"]
    cv = _read(tmp_path / "st", "verify_continuations")
    assert set(cv["status"].to_pylist()) == {"correct", "incorrect"}
