"""The OpenAI-compatible backend against a scripted local HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import pickle
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mathpref.errors import BackendError
from mathpref.generation.arms import Arm
from mathpref.generation.backends.base import get_backend, render_messages
from mathpref.generation.backends.openai_backend import OpenAIHTTPError, parse_retry_after
from mathpref.generation.requests import build_continuation_requests, build_requests

pytestmark = pytest.mark.timeout(60)


class FakeServer:
    """Replies per question keyword: `ok`, `429once`, `500twice`, `slowonce`, `badjsononce`,
    `badshapeonce`, `bad400`, `always503`. Counts attempts and concurrent requests."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.inflight = self.max_inflight = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.bodies.append(body)
                    server.headers.append(dict(self.headers))
                    server.inflight += 1
                    server.max_inflight = max(server.max_inflight, server.inflight)
                self.abandoned = False
                try:
                    server.reply(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server.lock:
                        server.inflight -= 0 if self.abandoned else 1

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def reply(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        text = body["prompt"] if "prompt" in body else body["messages"][-1]["content"]
        kind = text.split()[0] if "prompt" not in body else "cont"
        key = f"{kind}:{body['seed']}"
        with self.lock:
            n = self.attempts[key] = self.attempts.get(key, 0) + 1
        time.sleep(0.05)
        if kind == "429once" and n == 1:
            return self.send(h, 429, b'{"error": "rate limited"}', {"Retry-After": "2"})
        if kind == "500twice" and n <= 2:
            return self.send(h, 500, b'{"error": "boom"}')
        if kind == "always503":
            return self.send(h, 503, b"unavailable")
        if kind == "slowonce" and n == 1:  # the client gives up after 0.5 s
            with self.lock:
                self.inflight -= 1
            h.abandoned = True
            time.sleep(1.5)
        if kind == "badjsononce" and n == 1:
            return self.send(h, 200, b'{"choices": [{"message": ')
        if kind == "badshapeonce" and n == 1:
            return self.send(h, 200, b'{"choices": []}')
        if kind == "bad400":
            return self.send(h, 400, b'{"error": {"message": "max_tokens is too large"}}')
        out = f"{kind} seed={body['seed']} t={body['temperature']}"
        finish = "length" if body["max_tokens"] < 5 else "stop"
        if "prompt" in body:
            choice = {"text": out, "finish_reason": finish}
        else:
            choice = {"message": {"role": "assistant", "content": out}, "finish_reason": finish}
        data = {"choices": [choice], "usage": {"prompt_tokens": 11, "completion_tokens": 3}}
        self.send(h, 200, json.dumps(data).encode())

    @staticmethod
    def send(h, status, payload, headers=None):
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FakeServer()
    yield s
    s.close()


def make_backend(server, sleeps, **config):
    cfg = {
        "model": "fake-model",
        "base_url": server.url,
        "max_concurrency": 3,
        "max_retries": 3,
        "timeout_s": 0.5,
        "backoff_base_s": 0.01,
        **config,
    }
    backend = get_backend("openai", **cfg)

    def fake_sleep(seconds):
        sleeps.append(seconds)
        time.sleep(0.01)

    backend._sleep = fake_sleep
    return backend


def requests_for(kinds, n=1, **arm_kw):
    arm = Arm(
        name="a", family="f", system_prompt="sys", temperature=0.5, n=n, max_new_tokens=64, **arm_kw
    )
    return build_requests([(f"p-{k}", f"{k} question") for k in kinds], [arm])


def test_retries_and_results(server, monkeypatch):
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    sleeps: list[float] = []
    backend = make_backend(server, sleeps, api_key_env="FAKE_KEY")
    kinds = ["ok", "429once", "500twice", "slowonce", "badjsononce", "badshapeonce"]
    reqs = requests_for(kinds, n=2, stop=["###"])
    results = {r.request_id: r for r in backend.generate(reqs)}
    assert sorted(results) == sorted(r.request_id for r in reqs)
    for req in reqs:
        res = results[req.request_id]
        kind = req.problem_id[2:]
        assert res.finish_reason == "stop" and res.error is None
        assert res.completion == f"{kind} seed={req.seed} t=0.5"
        assert (res.prompt_tokens, res.completion_tokens) == (11, 3)
        assert res.rendered_prompt == render_messages(None, req.messages)
        assert res.latency_s > 0
    seeds = [r.seed for r in reqs]
    expected = {
        "ok": 1,
        "429once": 2,
        "500twice": 3,
        "slowonce": 2,
        "badjsononce": 2,
        "badshapeonce": 2,
    }
    for kind, count in expected.items():
        for seed in seeds:
            key = f"{kind}:{seed}"
            if key in server.attempts:
                assert server.attempts[key] == count, key
    assert sleeps.count(2.0) == 2  # Retry-After honoured for both 429 requests
    assert all(s < 1.0 for s in sleeps if s != 2.0)  # exponential backoff from 0.01 s
    assert 1 < server.max_inflight <= 3
    body = server.bodies[0]
    assert body["model"] == "fake-model" and body["stop"] == ["###"]
    assert body["max_tokens"] == 64 and body["top_p"] == 1.0 and body["n"] == 1
    assert body["messages"][0] == {"role": "system", "content": "sys"}
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_exhausted_retries_give_error_result(server):
    sleeps: list[float] = []
    backend = make_backend(server, sleeps, max_retries=2)
    reqs = requests_for(["always503", "ok"])
    results = {r.request_id: r for r in backend.generate(reqs)}
    bad = results[reqs[0].request_id]
    assert bad.finish_reason == "error" and bad.completion == ""
    assert "503" in bad.error and "3/3" in bad.error
    assert results[reqs[1].request_id].finish_reason == "stop"
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] * 1.0  # 0.005..0.01 then 0.01..0.02
    raising = make_backend(server, [], max_retries=1, on_exhausted="raise")
    with pytest.raises(BackendError, match="503"):
        list(raising.generate(reqs[:1]))


def test_client_error_is_typed(server):
    backend = make_backend(server, [])
    reqs = requests_for(["bad400"])
    with pytest.raises(OpenAIHTTPError) as info:
        list(backend.generate(reqs))
    assert info.value.status == 400
    assert "400" in str(info.value) and "max_tokens is too large" in str(info.value)
    assert server.attempts[f"bad400:{reqs[0].seed}"] == 1  # not retried
    back = pickle.loads(pickle.dumps(info.value))  # a Ray worker sends it to the driver
    assert (back.status, back.url, str(back)) == (400, info.value.url, str(info.value))


def test_continuation_uses_completions_endpoint(server, tiny_tokenizer):
    backend = make_backend(server, [], tokenizer=tiny_tokenizer)
    arm = Arm(name="a", family="f", temperature=0.2, max_new_tokens=3)
    reqs = build_continuation_requests([("t1", "p1", "q", arm, "Step 1:")], 2)
    results = list(backend.generate(reqs))
    assert {r.finish_reason for r in results} == {"length"}
    prompts = [b["prompt"] for b in server.bodies]
    expected = render_messages(tiny_tokenizer, reqs[0].messages) + "Step 1:"
    assert prompts == [expected, expected]
    assert all(r.rendered_prompt == expected for r in results)
    no_tokenizer = make_backend(server, [])
    with pytest.raises(BackendError, match="tokenizer"):
        list(no_tokenizer.generate(reqs))


def test_missing_api_key_env(server, monkeypatch):
    monkeypatch.delenv("NOT_SET_KEY", raising=False)
    with pytest.raises(BackendError, match="NOT_SET_KEY"):
        make_backend(server, [], api_key_env="NOT_SET_KEY")


def test_parse_retry_after():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_connection_refused_is_retried():
    sleeps: list[float] = []

    class Dead:
        url = "http://127.0.0.1:9/v1"

    backend = make_backend(Dead, sleeps, max_retries=1)
    (res,) = list(backend.generate(requests_for(["ok"])))
    assert res.finish_reason == "error" and len(sleeps) == 1
