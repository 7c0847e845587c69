"""One JSON POST with hard limits, for the OpenAI-compatible backend (standard library only).

- A total deadline per attempt: a watchdog timer shuts the socket down when it passes, so a
  server that trickles a byte a second (headers or body) cannot hold a request forever; the
  per-operation `timeout_s` still bounds each connect/send/receive.
- A response size cap: a Content-Length above it, or more bytes than it, ends the attempt.
- Decoding never raises on content: invalid UTF-8 and lone surrogates are replaced with U+FFFD
  and reported as warnings (a deterministic server would otherwise fail the same way on every
  rerun); a body that is not a JSON object, including JSON nested too deeply to parse, is a
  retryable malformed reply.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import re
import socket
import threading
import time
import urllib.parse
from typing import Any


class Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def post(
    url: str,
    data: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float,
    deadline_s: float,
    max_bytes: int,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """(status, headers, body) of one POST; `Retryable` for any transport failure or limit."""
    parts = urllib.parse.urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=min(timeout_s, deadline_s))
    expired = threading.Event()

    def abort() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(deadline_s, abort)
    timer.daemon = True
    timer.start()
    end = time.monotonic() + deadline_s
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=data, headers=headers)
        resp = conn.getresponse()
        length = resp.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise Retryable(f"response of {length} bytes is over the {max_bytes}-byte cap")
        chunks, total = [], 0
        while chunk := resp.read1(65_536):
            total += len(chunk)
            if total > max_bytes:
                raise Retryable(f"response is over the {max_bytes}-byte cap")
            if time.monotonic() > end:
                raise Retryable(f"no complete response within the {deadline_s:g} s deadline")
            chunks.append(chunk)
        if expired.is_set():
            raise Retryable(f"no complete response within the {deadline_s:g} s deadline")
        return resp.status, resp.headers, b"".join(chunks)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if expired.is_set():
            raise Retryable(f"no complete response within the {deadline_s:g} s deadline") from None
        raise Retryable(f"{type(exc).__name__}: {exc}") from None
    finally:
        timer.cancel()
        conn.close()


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> tuple[str, int]:
    """`text` with lone surrogates replaced by U+FFFD, and how many there were."""
    return _SURROGATE.subn("\ufffd", text)


def decode_json(raw: bytes) -> tuple[dict[str, Any], list[str]]:
    """A JSON object from a response body, with warnings about replaced bytes."""
    warnings = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
        warnings.append("invalid UTF-8 in the response replaced with U+FFFD")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Retryable(f"malformed JSON response ({type(exc).__name__}: {exc})"[:300]) from None
    if not isinstance(data, dict):
        raise Retryable(f"malformed response: a JSON {type(data).__name__}, not an object")
    return data, warnings
