"""The Ray executor against the local one: same fingerprints, same errors, resume after kill -9.

One local Ray (`ray.init(num_cpus=2)`, about 10 s) serves the in-process builds of this module;
the kill test starts its own through the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.conftest import REPO
from tests.foundation.helpers import write_jsonl

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.timeout(300)]

GSM8K = str(REPO / "pipelines" / "gsm8k-openai-solutions.toml")
DEMO = str(REPO / "pipelines" / "demo-scripted.toml")


@pytest.fixture(scope="module")
def ray_executor():
    from mathpref.pipeline.ray_executor import RayExecutor

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield RayExecutor()
    finally:
        ray.shutdown()


def _build(spec, store, executor=None, sets=()):
    results = Runner(load_spec(spec, list(sets)), Store(store), executor=executor).build()
    return {r.name: r for r in results}


def _fingerprints(results) -> dict:
    return {
        n: {k: (o["fingerprint"], o["rows"]) for k, o in r.outputs.items()}
        for n, r in results.items()
    }


def _ref_fingerprints(store, pipeline) -> dict:
    ref = Store(store).read_ref(pipeline)
    return {
        n: {k: (o["fingerprint"], o["rows"]) for k, o in s["outputs"].items()}
        for n, s in ref["stages"].items()
    }


@pytest.fixture(scope="module")
def gsm8k_local(tmp_path_factory):
    if not (REPO.parent / "shared" / "data").is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    store = tmp_path_factory.mktemp("gsm8k-local")
    return store, _fingerprints(_build(GSM8K, store))


def test_demo_scripted_on_ray_matches_local(tmp_path, ray_executor):
    local = _build(DEMO, tmp_path / "local")
    remote = _build(DEMO, tmp_path / "ray", ray_executor)
    assert _fingerprints(remote) == _fingerprints(local)
    assert {r.status for r in remote.values()} == {"computed"}
    # notes come back from the actors in shard order, as the local executor writes them
    assert {n: r.notes for n, r in remote.items()} == {n: r.notes for n, r in local.items()}
    assert not list((tmp_path / "ray" / "work").iterdir())  # work dirs removed once published


def test_gsm8k_on_ray_matches_local(tmp_path, ray_executor, gsm8k_local):
    # several verify shards, spread over two actors
    remote = _build(GSM8K, tmp_path / "ray", ray_executor, ["verify.shard_rows=1500"])
    assert _fingerprints(remote) == gsm8k_local[1]
    assert remote["verify"].outputs["verifications"]["rows"] == 5276


def test_a_failing_shard_raises_the_local_error(tmp_path, ray_executor):
    from mathpref.errors import MathprefError

    problems = write_jsonl(tmp_path / "p.jsonl", [{"q": "What is 1 + 1?", "answer": "#### 2"}])
    spec = tmp_path / "bad.toml"
    spec.write_text(f"""
[pipeline]
name = "bad"
[stages.problems]
kind = "problems"
path = "{problems}"
preset = "gsm8k"
""")
    errors = []
    for executor, store in ((None, "local"), (ray_executor, "ray")):
        with pytest.raises(MathprefError) as info:
            _build(str(spec), tmp_path / store, executor)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
    assert "field 'question' missing" in errors[1][1] and "p.jsonl:1" in errors[1][1]


class OpenAIServer:
    """A deterministic OpenAI-compatible chat server: the reply is a function of the request
    (seed, temperature, messages); the first attempt of a `flaky` question gets a 503."""

    def __init__(self):
        self.attempts: dict[tuple, int] = {}
        self.lock = threading.Lock()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                question = body["messages"][-1]["content"]
                key = (question, body["seed"])
                with srv.lock:
                    n = srv.attempts[key] = srv.attempts.get(key, 0) + 1
                if "flaky" in question and n == 1:
                    return self._send(503, {"error": "warming up"})
                words = len(question.split())
                text = f"{words} + {body['seed'] % 7} = {words + body['seed'] % 7}. "
                text += f"The answer is {words + body['seed'] % 7}."
                self._send(
                    200,
                    {
                        "choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": words, "completion_tokens": 9},
                    },
                )

            def _send(self, status, data):
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_openai_generation_on_ray_matches_local(tmp_path, ray_executor):
    server = OpenAIServer()
    try:
        rows = [
            {"question": f"Question {i}: what is {i} + {i}?", "answer": f"#### {2 * i}"}
            for i in range(6)
        ]
        rows.append({"question": "A flaky one: what is 2 + 2?", "answer": "#### 4"})
        write_jsonl(tmp_path / "problems.jsonl", rows)
        spec = tmp_path / "gen.toml"
        spec.write_text(f"""
[pipeline]
name = "gen"
[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
[stages.trajectories]
kind = "generate"
inputs = {{ problems = "problems" }}
backend = "openai"
model = "fake-model"
shard_problems = 2
backend_options = {{ base_url = "{server.url}", max_retries = 2, backoff_base_s = 0.05 }}
  [[stages.trajectories.arms]]
  name = "a"
  family = "f"
  temperature = 0.7
  n = 3
[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
""")
        local = _build(str(spec), tmp_path / "local")
        server.attempts.clear()
        remote = _build(str(spec), tmp_path / "ray", ray_executor)
        # the 503 was retried inside an actor, as locally
        assert max(server.attempts.values()) == 2 and len(server.attempts) == 21
    finally:
        server.close()
    assert _fingerprints(remote) == _fingerprints(local)
    assert remote["trajectories"].outputs["trajectories"]["rows"] == 21
    cols = ["trajectory_id", "seed", "completion", "finish_reason", "backend", "model_id"]

    def rows_of(store, res):
        ds = res["trajectories"].outputs["trajectories"]["dataset_id"]
        return Store(store).read(ds).select(cols).sort_by("trajectory_id").to_pylist()

    assert rows_of(tmp_path / "ray", remote) == rows_of(tmp_path / "local", local)


def _cli(store, *extra):
    sets = ["--set", "verify.shard_rows=500"]
    return [
        sys.executable,
        "-m",
        "mathpref.cli",
        "build",
        GSM8K,
        "--store",
        str(store),
        *sets,
        *extra,
    ]


@pytest.mark.timeout(420)
def test_ray_build_killed_mid_verify_resumes_and_matches(tmp_path, gsm8k_local):
    store = tmp_path / "killed"
    env = dict(os.environ, MATHPREF_DEBUG_SHARD_DELAY="1.0")
    proc = subprocess.Popen(
        _cli(store, "--executor", "ray"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 240
    verify_done = None
    while time.time() < deadline and proc.poll() is None:
        for d in (store / "work").glob("*/done") if (store / "work").exists() else []:
            if len(list(d.iterdir())) >= 3:
                verify_done = d
        if verify_done is not None:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1)
    markers = len(list(verify_done.iterdir()))
    assert 3 <= markers < 11  # killed mid-verify: some shards done, not all
    assert not (store / "refs" / "gsm8k-openai-solutions.json").exists()

    resumed = subprocess.run(
        _cli(store, "--executor", "ray"), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "of 11 shard(s) to do" in resumed.stderr
    assert "11 of 11 shard(s) to do" not in resumed.stderr  # finished shards were reused
    assert _ref_fingerprints(store, "gsm8k-openai-solutions") == gsm8k_local[1]
    v = Store(store).read(
        Store(store).read_ref()["stages"]["verify"]["outputs"]["verifications"]["dataset_id"]
    )
    assert v.num_rows == 5276 and len(v["trajectory_id"].unique()) == 5276  # nothing appended
