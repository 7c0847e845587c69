"""Generation backends; heavy dependencies (torch, transformers, vllm) are imported lazily."""

from mathpref.generation.backends.base import (
    Backend,
    backend_names,
    get_backend,
    register_backend,
    render_messages,
    render_plain,
)

__all__ = [
    "Backend",
    "backend_names",
    "get_backend",
    "register_backend",
    "render_messages",
    "render_plain",
]
