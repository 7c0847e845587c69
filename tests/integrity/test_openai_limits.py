"""Item 7: the OpenAI-compatible backend's deadline, size cap, Unicode repair and malformed
bodies, against misbehaving local servers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from mathpref.generation.arms import Arm
from mathpref.generation.backends.base import get_backend
from mathpref.generation.requests import build_requests

pytestmark = pytest.mark.timeout(60)


class RawServer:
    """A TCP server that answers each connection with `script(conn)`; counts connections."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.script, self.count, self.stop = script, 0, False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, body = data.split(b"\r\n\r\n", 1)
            length = int(
                next(
                    ln.split(b":")[1]
                    for ln in head.split(b"\r\n")
                    if ln.lower().startswith(b"content-length")
                )
            )
            while len(body) < length:
                body += conn.recv(65536)
            self.script(conn, self.count)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.sock.close()


def _reply(body: bytes, status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"Connection: close\r\n\r\n" + body


def _ok(content: str) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"content": content}, "finish_reason": "stop"}]}
    ).encode()


def _backend(url, **kw):
    opts = dict(
        max_retries=1, timeout_s=5.0, deadline_s=1.5, backoff_base_s=0.01, max_concurrency=2
    )
    opts.update(kw)
    return get_backend("openai", model="m", base_url=url, **opts)


def _requests(n=1):
    arm = Arm(name="a", family="direct", user_template="{question}", temperature=0.0, n=n)
    return build_requests([("p1", "What is 1+1?")], [arm])


def _run(script, **kw):
    srv = RawServer(script)
    try:
        t0 = time.monotonic()
        out = list(_backend(srv.url, **kw).generate(_requests()))
        return out, time.monotonic() - t0, srv.count
    finally:
        srv.close()


def test_trickling_server_hits_the_total_deadline():
    def trickle(conn, n):
        msg = _reply(_ok("2"))
        for i in range(len(msg)):  # one byte a second: each recv is far under timeout_s
            conn.sendall(msg[i : i + 1])
            time.sleep(1.0)

    (res,), seconds, count = _run(trickle)
    assert res.finish_reason == "error" and "deadline" in res.error
    assert count == 2 and seconds < 6  # two attempts of 1.5 s, not minutes


def test_oversized_response_is_capped():
    (res,), _, count = _run(
        lambda c, n: c.sendall(_reply(_ok("x" * 5000))), max_response_bytes=1000
    )
    assert res.finish_reason == "error" and "cap" in res.error and count == 2

    def unbounded(conn, n):  # no Content-Length: counted as it arrives
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(100):
            conn.sendall(b" " * 100)

    (res,), _, _ = _run(unbounded, max_response_bytes=1000)
    assert "cap" in res.error


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"choices": [{"message": ',
        b"\xff\xfe",
        b"[1, 2]",
        b'{"choices": {"0": 1}}',
        b'{"choices": ["text"]}',
    ],
)
def test_unparseable_bodies_are_retryable_malformed(body):
    def script(conn, n):
        conn.sendall(_reply(body if n == 1 else _ok("fine")))

    (res,), _, count = _run(script)
    assert count == 2 and res.finish_reason == "stop" and res.completion == "fine"


def test_lone_surrogates_are_replaced_and_recorded():
    body = b'{"choices": [{"message": {"content": "a\\ud800b \\ud83d\\ude00"}}], "usage": {"prompt_tokens": "x"}}'
    (res,), _, count = _run(lambda c, n: c.sendall(_reply(body)))
    assert count == 1 and res.completion == "a\ufffdb \U0001f600"
    assert res.warnings == ("1 lone surrogate(s) in the completion replaced with U+FFFD",)
    assert res.prompt_tokens is None  # a non-integer count is dropped, not passed on
    json.dumps(res.to_dict(), ensure_ascii=False).encode("utf-8")  # the journal can write it
