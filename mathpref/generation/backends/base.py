"""The backend interface, prompt rendering, and the backend registry.

Prompt rendering: when the backend has a tokenizer with a chat template, the request's messages
are rendered with `apply_chat_template(..., add_generation_prompt=True)`; otherwise with the plain
fallback format below. For a continuation, the prefix is appended to the rendered text.

Plain fallback format (one block per message, then the assistant header)::

    ### System:
    <system prompt>

    ### User:
    <user message>

    ### Assistant:
    <prefix, for continuations>
"""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from mathpref.errors import BackendError
from mathpref.generation.requests import GenerationRequest, GenerationResult

PLAIN_ROLE_HEADERS = {"system": "### System:", "user": "### User:", "assistant": "### Assistant:"}


def has_chat_template(tokenizer: Any) -> bool:
    return tokenizer is not None and bool(getattr(tokenizer, "chat_template", None))


def render_plain(messages: Sequence[tuple[str, str]], prefix: str | None = None) -> str:
    """Render messages in the plain fallback format (see the module docstring)."""
    parts = []
    for role, content in messages:
        header = PLAIN_ROLE_HEADERS.get(role, f"### {role.capitalize()}:")
        parts.append(f"{header}\n{content}\n\n")
    return "".join(parts) + PLAIN_ROLE_HEADERS["assistant"] + "\n" + (prefix or "")


def render_messages(
    tokenizer: Any, messages: Sequence[tuple[str, str]], prefix: str | None = None
) -> str:
    """Rendered prompt text: chat template when the tokenizer has one, else the plain format."""
    if not has_chat_template(tokenizer):
        return render_plain(messages, prefix)
    conversation = [{"role": role, "content": content} for role, content in messages]
    text = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
    if not isinstance(text, str):
        raise BackendError(f"chat template rendering returned {type(text).__name__}, not text")
    return text + (prefix or "")


def truncate_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """Cut `text` before the earliest stop string; returns (text, whether a stop string hit).

    The stop string itself is not included (the OpenAI / vLLM convention).
    """
    cut = -1
    for s in stop:
        i = text.find(s)
        if i >= 0 and (cut < 0 or i < cut):
            cut = i
    return (text[:cut], True) if cut >= 0 else (text, False)


class Backend(ABC):
    """Produces completions for generation requests.

    `generate` yields one `GenerationResult` per request as soon as it is done (the order may
    differ from the input order), so the caller can persist results one by one.
    """

    name: str = "base"
    model_id: str | None = None
    model_revision: str | None = None
    tokenizer: Any = None

    def render_prompt(self, request: GenerationRequest) -> str:
        return render_messages(self.tokenizer, request.messages, request.prefix)

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        """Yield one result per request, as each completes."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (models, pools). Safe to call twice."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REGISTRY: dict[str, str | Callable[..., Backend]] = {
    "transformers": "mathpref.generation.backends.transformers_backend:TransformersBackend",
    "openai": "mathpref.generation.backends.openai_backend:OpenAIBackend",
    "vllm": "mathpref.generation.backends.vllm_backend:VLLMBackend",
    "scripted": "mathpref.generation.backends.scripted:ScriptedBackend",
}


def register_backend(name: str, factory: Callable[..., Backend]) -> None:
    """Add (or replace) a backend factory under `name`."""
    _REGISTRY[name] = factory


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def get_backend(name: str, **config: Any) -> Backend:
    """Instantiate backend `name` with `config` as keyword arguments (imported lazily)."""
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise BackendError(f"unknown backend '{name}'; valid backends: {backend_names()}") from None
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        target = getattr(importlib.import_module(module_name), attr)
    try:
        inspect.signature(target).bind(**config)
    except TypeError as exc:
        raise BackendError(f"bad configuration for backend '{name}': {exc}") from None
    return target(**config)
