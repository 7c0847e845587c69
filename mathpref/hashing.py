"""Stable hashes: content ids, config normalisation, file digests."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

_json_string = json.encoder.encode_basestring  # what json.dumps(s, ensure_ascii=False) gives


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace (finite floats use Python's shortest repr)."""
    return json.dumps(_normalise(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalise(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _normalise(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_normalise(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)  # JSON has no inf/nan; finite floats serialise stably as themselves
    if isinstance(obj, Path):
        return str(obj)
    return obj


def digest(*parts: Any, size: int = 16) -> str:
    """Hex digest (size bytes) of parts, each canonically serialised."""
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        if isinstance(part, bytes):
            data = part
        elif type(part) is str:  # canonical_json of a string, without its generic walk
            data = _json_string(part).encode()
        else:
            data = canonical_json(part).encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def content_id(*parts: Any) -> str:
    """A 16-hex-character id derived from content (problem_id, trajectory_id, pair_id...)."""
    return digest(*parts, size=8)


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, or of a folder's files (names and bytes, sorted)."""
    p = Path(path)
    h = hashlib.sha256()
    files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
    for f in files:
        if p.is_dir():
            h.update(str(f.relative_to(p)).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return "sha256:" + h.hexdigest()
