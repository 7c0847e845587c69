"""What a reader checks before trusting a stored dataset version, and the file modes of one.

A manifest lists each part file with its size, row count and a fast content hash (xxh3-128 of the
file bytes). `check_parts` compares the files on disk with that list; every read goes through it,
so a part file that was replaced, truncated, extended or deleted raises `StoreCorruptError` naming
the dataset and the fix instead of feeding wrong rows downstream.

Manifests written before part hashes existed (no `parts` key) are still readable: for them only
the files' presence and row counts (from the Parquet footers) are checked, and `mathpref datasets
verify --full` can check their content against the fingerprint.

Published files are made read-only (0444, folders 0555) as hygiene; root ignores those modes, so
the checks above are what catches a write. `unseal` restores write bits before gc or repair move a
version away.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import xxhash

from mathpref.errors import StoreCorruptError

HASH = "xxh3_128"
_CHUNK = 8 << 20
FILE_MODE, DIR_MODE = 0o444, 0o555


def hash_file(path: Path) -> tuple[int, str]:
    """(size in bytes, xxh3-128 hex digest) of a file, read in chunks (no memory map, so the
    bytes never count towards this process's resident memory)."""
    h = xxhash.xxh3_128()
    size = 0
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(_CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return size, h.hexdigest()


def describe_part(folder: Path, rel: str) -> dict[str, Any]:
    """The manifest entry of one part file: path, bytes, rows and content hash."""
    path = folder / rel
    size, digest = hash_file(path)
    return {
        "path": rel,
        "bytes": size,
        "rows": pq.ParquetFile(path).metadata.num_rows,
        HASH: digest,
    }


def _footer_rows(path: Path) -> int | str:
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # noqa: BLE001 - any unreadable footer is corruption
        return f"unreadable Parquet footer ({type(exc).__name__})"


def check_parts(folder: Path, manifest: dict[str, Any], *, hashes: bool = True) -> list[str]:
    """What is wrong with a dataset folder compared with its manifest (empty: nothing)."""
    problems: list[str] = []
    parts = manifest.get("parts")
    if parts is None:  # a manifest from before part hashes: presence and row counts only
        parts = [{"path": f} for f in manifest.get("files", [])]
    total = 0
    for part in parts:
        path = folder / part["path"]
        try:
            st = path.stat()
        except FileNotFoundError:
            problems.append(f"part {part['path']} is missing")
            continue
        if "bytes" in part and st.st_size != part["bytes"]:
            problems.append(
                f"part {part['path']} has {st.st_size} bytes, the manifest says {part['bytes']}"
            )
            continue
        if hashes and HASH in part and hash_file(path)[1] != part[HASH]:
            problems.append(f"part {part['path']} content differs from its {HASH} hash")
            continue
        rows = _footer_rows(path)
        if isinstance(rows, str):
            problems.append(f"part {part['path']}: {rows}")
            continue
        if "rows" in part and rows != part["rows"]:
            problems.append(
                f"part {part['path']} has {rows} rows, the manifest says {part['rows']}"
            )
            continue
        total += rows
    if not problems and total != manifest["rows"]:
        problems.append(f"parts hold {total} rows, the manifest says {manifest['rows']}")
    return problems


def corrupt(manifest: dict[str, Any], problems: list[str]) -> StoreCorruptError:
    """The error a reader raises: which dataset, what is wrong, and how to fix it."""
    did = manifest.get("dataset_id", "?")
    where = f"{manifest.get('kind', '?')}/{did}"
    if manifest.get("stage"):
        where += f" (stage '{manifest['stage']}' of pipeline '{manifest.get('pipeline', '?')}')"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return StoreCorruptError(
        f"dataset {where} is corrupt: {problems[0]}{more}; run `mathpref datasets repair {did}` "
        "to remove it, then rebuild to recompute it",
        dataset_id=did,
    )


def seal(folder: Path) -> None:
    """Make a published dataset folder read-only: files 0444, folders 0555 (hygiene only)."""
    for dirpath, _dirs, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), FILE_MODE)
        os.chmod(dirpath, DIR_MODE)


def unseal(folder: Path) -> None:
    """Give the owner write permission again on a folder and everything under it."""
    if not folder.exists():
        return
    os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) | stat.S_IRWXU)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            os.chmod(p, stat.S_IMODE(os.stat(p).st_mode) | stat.S_IRWXU)
        for name in filenames:
            p = os.path.join(dirpath, name)
            os.chmod(p, stat.S_IMODE(os.stat(p).st_mode) | stat.S_IRUSR | stat.S_IWUSR)
