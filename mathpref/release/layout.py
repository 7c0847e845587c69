"""The release folder: Parquet shards per config and split, written deterministically, and the
atomic swap of a finished folder into place.

    DIR/data/<config>/<split>-00000-of-00001.parquet
    DIR/README.md  DIR/plots/*.png  DIR/mathpref_release.json
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mathpref.release.source import ReleaseError

ROWS_PER_SHARD = 250_000
ROW_GROUP = 10_000
LINEAGE = "mathpref_release.json"


def shard_paths(config: str, split: str, rows: int) -> list[str]:
    n = max(1, -(-rows // ROWS_PER_SHARD))
    return [f"data/{config}/{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]


def write_table(root: Path, config: str, split: str, table: pa.Table) -> list[dict]:
    """Write one split of one config; returns [{path, rows, sha256, bytes}] per shard.

    The same table gives the same bytes: fixed compression, row groups and no
    writer-specific metadata beyond the pinned pyarrow's.
    """
    if table.num_rows == 0:
        raise ReleaseError(f"{config}/{split}: refusing to write a 0-row file")
    table = table.replace_schema_metadata(None)
    out = []
    for i, rel in enumerate(shard_paths(config, split, table.num_rows)):
        part = table.slice(i * ROWS_PER_SHARD, ROWS_PER_SHARD)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(part, path, compression="zstd", row_group_size=ROW_GROUP, store_schema=True)
        data = path.read_bytes()
        out.append(
            {
                "path": rel,
                "rows": part.num_rows,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    return out


def staging_dir(final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def publish(tmp: Path, final: Path) -> None:
    """Replace `final` by `tmp` (a previous release there is swapped out, then removed)."""
    if final.exists():
        if not (final / LINEAGE).is_file() and any(final.iterdir()):
            shutil.rmtree(tmp, ignore_errors=True)
            raise ReleaseError(
                f"{final} exists and is not a mathpref release (no {LINEAGE}): "
                "choose an empty or new --out folder"
            )
        old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
