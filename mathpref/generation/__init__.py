"""Generation library: arms, requests, and backends that turn requests into completions.

A plain library: it knows nothing of the store, the pipeline runner or the CLI.
"""

from mathpref.generation.arms import PROBES, Arm
from mathpref.generation.backends.base import Backend, get_backend, register_backend
from mathpref.generation.presets import PRESETS, get_preset
from mathpref.generation.requests import (
    GenerationRequest,
    GenerationResult,
    build_continuation_requests,
    build_requests,
    derive_seed,
    make_request_id,
)

__all__ = [
    "PRESETS",
    "PROBES",
    "Arm",
    "Backend",
    "GenerationRequest",
    "GenerationResult",
    "build_continuation_requests",
    "build_requests",
    "derive_seed",
    "get_backend",
    "get_preset",
    "make_request_id",
    "register_backend",
]
