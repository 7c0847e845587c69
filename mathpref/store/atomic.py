"""Atomic file and directory publication: write under a temporary name, then rename."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def publish_dir(tmp_dir: Path, final: Path) -> None:
    """Rename a fully written temporary directory into place (fails if `final` exists)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        shutil.rmtree(tmp_dir, ignore_errors=True)
        return  # content-addressed: an identical version is already published
    os.rename(tmp_dir, final)


def read_json(path: Path) -> Any:
    with open(path) as fh:
        return json.load(fh)
