"""Generation through any OpenAI-compatible HTTP server (vLLM serve, SGLang, TGI, OpenAI...).

Plain requests go to `POST {base_url}/chat/completions` with the request's messages.
Continuations go to `POST {base_url}/completions` with a raw prompt: the chat template of the
local `tokenizer` (a path or name for `AutoTokenizer`, or a tokenizer object) rendered with a
generation prompt, followed by the prefix; so continuations need `tokenizer`.

Requests run on up to `max_concurrency` threads; results are yielded as they complete. HTTP 429
and 5xx, 408, timeouts, connection errors and malformed JSON are retried up to `max_retries`
times with exponential backoff and jitter (`Retry-After` is honoured). Any other 4xx raises
`OpenAIHTTPError` (status code and body excerpt) and stops the run. A request that still fails
after all retries yields a result with finish_reason "error" and the last error in `error`
(or raises `BackendError` with `on_exhausted="raise"`). Standard library only (http.client, see
`http_post`): each attempt has a total deadline (`deadline_s`) besides the per-operation
`timeout_s`, and a response size cap (`max_response_bytes`); any unparseable body is a retryable
malformed reply; invalid Unicode in a completion is replaced with U+FFFD and recorded in the
result's `warnings`. Why not httpx or the openai client: docs/decisions/0009-openai-http-client.md.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from mathpref.errors import BackendError
from mathpref.generation.backends.base import Backend
from mathpref.generation.backends.http_post import (
    Retryable as _Retryable,
)
from mathpref.generation.backends.http_post import (
    clean_text,
    decode_json,
    parse_retry_after,
    post,
)
from mathpref.generation.requests import GenerationRequest, GenerationResult

__all__ = ["OpenAIBackend", "OpenAIHTTPError", "parse_retry_after"]


class OpenAIHTTPError(BackendError):
    """The server refused a request with a non-retryable HTTP status (4xx other than 408/429)."""

    def __init__(self, status: int, body: str, url: str):
        excerpt = " ".join(body.split())[:300]
        super().__init__(f"HTTP {status} from {url}: {excerpt}")
        self.status, self.body, self.url = status, body, url

    def __reduce__(self):  # picklable (a Ray worker raises it to the driver)
        return (type(self), (self.status, self.body, self.url))


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        *,
        revision: str | None = None,
        api_key_env: str | None = None,
        max_concurrency: int = 8,
        max_retries: int = 5,
        timeout_s: float = 120.0,
        deadline_s: float = 600.0,
        max_response_bytes: int = 32 * 1024 * 1024,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_retry_after_s: float = 300.0,
        tokenizer: Any = None,
        extra_body: dict[str, Any] | None = None,
        on_exhausted: str = "error_result",
    ):
        if max_concurrency < 1 or max_retries < 0:
            raise ValueError("max_concurrency must be >= 1 and max_retries >= 0")
        if not (timeout_s > 0 and deadline_s > 0 and max_response_bytes > 0):
            raise ValueError("timeout_s, deadline_s and max_response_bytes must be > 0")
        if on_exhausted not in ("error_result", "raise"):
            raise ValueError("on_exhausted must be 'error_result' or 'raise'")
        self.model_id, self.model_revision = model, revision
        self.base_url = base_url.rstrip("/")
        self.api_key: str | None = None
        if api_key_env:
            self.api_key = os.environ.get(api_key_env)
            if not self.api_key:
                raise BackendError(f"environment variable {api_key_env} (the API key) is not set")
        self.max_concurrency, self.max_retries = max_concurrency, max_retries
        self.timeout_s, self.deadline_s = timeout_s, deadline_s
        self.max_response_bytes = max_response_bytes
        self.backoff_base_s, self.backoff_max_s = backoff_base_s, backoff_max_s
        self.max_retry_after_s, self.on_exhausted = max_retry_after_s, on_exhausted
        self.extra_body = dict(extra_body or {})
        if isinstance(tokenizer, str):
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(tokenizer)
        self.tokenizer = tokenizer
        self._sleep = time.sleep
        self._rng = random.Random()

    def payload(self, request: GenerationRequest) -> tuple[str, dict[str, Any]]:
        """(endpoint path, JSON body) for a request."""
        body: dict[str, Any] = {
            "model": self.model_id,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_new_tokens,
            "seed": request.seed,
            "n": 1,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        body.update(self.extra_body)
        if request.is_continuation:
            return "/completions", {**body, "prompt": self.render_prompt(request)}
        messages = [{"role": role, "content": content} for role, content in request.messages]
        return "/chat/completions", {**body, "messages": messages}

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if self.tokenizer is None and any(r.is_continuation for r in requests):
            raise BackendError(
                "continuation requests need the openai backend's `tokenizer` "
                "(path or name) to render the prompt with the chat template"
            )
        stop = threading.Event()
        pool = cf.ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="openai")
        pending: set[cf.Future[GenerationResult]] = set()
        todo = iter(requests)
        try:
            while True:
                for req in todo:
                    pending.add(pool.submit(self._run, req, stop))
                    if len(pending) >= 2 * self.max_concurrency:
                        break
                if not pending:
                    return
                done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, req: GenerationRequest, stop: threading.Event) -> GenerationResult:
        path, body = self.payload(req)
        rendered = self.render_prompt(req) if path != "/completions" else body["prompt"]
        t0 = time.perf_counter()
        last = ""
        for attempt in range(self.max_retries + 1):
            if stop.is_set():
                raise BackendError("generation cancelled")
            try:
                data, warnings = self._post(path, body)
                return self._parse(req, data, path, rendered, time.perf_counter() - t0, warnings)
            except _Retryable as exc:
                last = f"{exc} (attempt {attempt + 1}/{self.max_retries + 1})"
                if attempt == self.max_retries:
                    break
                self._sleep(self._delay(attempt, exc.retry_after))
        if self.on_exhausted == "raise":
            raise BackendError(f"request {req.request_id} failed after retries: {last}")
        return GenerationResult(
            request_id=req.request_id,
            completion="",
            prompt_tokens=None,
            completion_tokens=None,
            finish_reason="error",
            latency_s=time.perf_counter() - t0,
            rendered_prompt=rendered,
            error=last,
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        delay = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        return delay * (0.5 + 0.5 * self._rng.random())

    def _post(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        url = self.base_url + path
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        status, resp_headers, raw = post(
            url,
            json.dumps(body).encode(),
            headers,
            timeout_s=self.timeout_s,
            deadline_s=self.deadline_s,
            max_bytes=self.max_response_bytes,
        )
        if status >= 300:
            text = raw.decode("utf-8", "replace")
            if status in (408, 429) or status >= 500:
                raise _Retryable(
                    f"HTTP {status}: {text[:200]}",
                    parse_retry_after(resp_headers.get("Retry-After")),
                )
            raise OpenAIHTTPError(status, text, url)
        return decode_json(raw)

    def _parse(
        self,
        req: GenerationRequest,
        data: dict[str, Any],
        path: str,
        rendered: str,
        latency: float,
        warnings: list[str] | None = None,
    ) -> GenerationResult:
        try:
            choice = data["choices"][0]
            if path == "/completions":
                text = choice["text"]
            else:
                text = choice["message"]["content"]
            if not isinstance(text, str):
                raise TypeError("completion text is not a string")
            finish = choice.get("finish_reason")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _Retryable(f"malformed response ({exc!r}): {str(data)[:200]}") from None
        warnings = list(warnings or [])
        text, n_bad = clean_text(text)
        if n_bad:
            warnings.append(f"{n_bad} lone surrogate(s) in the completion replaced with U+FFFD")
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        return GenerationResult(
            request_id=req.request_id,
            completion=text,
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            finish_reason="length" if finish == "length" else "stop",
            latency_s=latency,
            rendered_prompt=rendered,
            warnings=tuple(warnings),
        )


def _count(value: Any) -> int | None:
    """A token count from `usage`, or None when it is not a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
