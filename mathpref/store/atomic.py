"""Atomic, durable file and directory publication: write under a temporary name, fsync, rename.

Durability order for a dataset version: every part file is fsynced, then its folder, then the
manifest is written (fsynced) and the folder fsynced again, then the folder is renamed into place
and the parent folder fsynced, so after a power cut a published version is whole or absent.
Deletion goes the other way round: a rename into the store's trash folder first (atomic), then
the removal of the trash, which a later gc or build finishes if this one is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from pathlib import Path
from typing import Any


def fault_point(name: str) -> None:
    """Test hook for the fault-injection suite: SIGKILL this process at a named point of a
    write when MATHPREF_DEBUG_KILL_AT names it (never set outside tests)."""
    if os.environ.get("MATHPREF_DEBUG_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_path(path: Path) -> None:
    """fsync a file or a folder (a folder's fsync makes the names in it durable)."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path) else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def publish_dir(tmp_dir: Path, final: Path) -> None:
    """Rename a fully written temporary directory into place (fails if `final` exists)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        shutil.rmtree(tmp_dir, ignore_errors=True)
        return  # content-addressed: an identical version is already published
    os.rename(tmp_dir, final)
    fsync_path(final.parent)


def discard(path: Path, trash: Path) -> None:
    """Remove a file or folder tree: write bits restored, renamed into `trash`, then deleted."""
    from mathpref.store.integrity import unseal

    if not path.exists():
        return
    trash.mkdir(parents=True, exist_ok=True)
    unseal(path) if path.is_dir() else os.chmod(path, 0o644)
    target = trash / f"{path.parent.name}-{path.name}.{uuid.uuid4().hex[:8]}"
    os.rename(path, target)
    fault_point("discard-renamed")
    remove_tree(target)


def remove_tree(path: Path) -> None:
    from mathpref.store.integrity import unseal

    if path.is_dir():
        unseal(path)
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def read_json(path: Path) -> Any:
    with open(path) as fh:
        return json.load(fh)
