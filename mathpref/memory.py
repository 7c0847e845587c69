"""Handing freed Arrow memory back to the OS (used by the executors and the set-based stages)."""

from __future__ import annotations

import pyarrow as pa


def release_memory() -> None:
    """Hand memory that Arrow's allocator keeps after tables are freed back to the OS (without
    this, a stage's peak stays resident for the rest of the build)."""
    pa.default_memory_pool().release_unused()
