"""Locate files that live outside the package in the repo but ship inside the wheel.

In a wheel, `schemas/`, `sql/` and `pipelines/` are installed as `mathpref/_data/<name>`; in a source
checkout (editable install, tests) they are read from the repo root.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Directory of a shipped resource tree: 'schemas', 'sql' or 'pipelines'."""
    packaged = _PKG / "_data" / name
    if packaged.is_dir():
        return packaged
    source = _PKG.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(
        f"mathpref resource directory '{name}' not found (looked in {packaged})"
    )
