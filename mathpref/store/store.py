"""The versioned dataset store: Parquet (zstd) files plus a manifest per dataset version.

Layout under the store root:
  datasets/<kind>/<dataset_id>/manifest.json + data/part-00000.parquet   immutable versions
  stages/<stage_version_id>.json     record of a finished stage run (the cache entry)
  work/<stage_version_id>/           shards of a stage run in progress (resumable)
  refs/<pipeline>.json               the pipeline's last successful build
  refs/history/<pipeline>/<time>.json every successful build
  tmp/                               staging for atomic publication
The store knows dataset kinds and their schemas, not what stages mean.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import mathpref
from mathpref.errors import StoreError
from mathpref.schemas import get_schema
from mathpref.store.atomic import publish_dir, read_json, write_json_atomic
from mathpref.store.fingerprint import SLICE_ROWS, Fingerprinter, sort_indices
from mathpref.store.lock import StoreLock
from mathpref.store.refs import BuildRef

FORMAT = 1
ROWS_PER_FILE = 30 * 65_536  # about 2M rows per file; a multiple of SLICE_ROWS


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, root: str | Path, *, create: bool = True):
        self.root = Path(root).resolve()
        marker = self.root / "STORE.json"
        if not marker.exists():
            if not create:
                raise StoreError(f"no mathpref store at {self.root} (run a build first)")
            self.root.mkdir(parents=True, exist_ok=True)
            write_json_atomic(marker, {"format": FORMAT, "created_at": utcnow()})
        for sub in ("datasets", "stages", "work", "refs", "tmp"):
            (self.root / sub).mkdir(exist_ok=True)

    # -- locking -------------------------------------------------------------------------
    def lock(self) -> StoreLock:
        return StoreLock(self.root / "lock")

    def tmp_path(self, label: str) -> Path:
        return self.root / "tmp" / f"{label}.{uuid.uuid4().hex[:10]}"

    # -- datasets ------------------------------------------------------------------------
    def dataset_dir(self, dataset_id: str) -> Path:
        hits = list((self.root / "datasets").glob(f"*/{dataset_id}"))
        if not hits:
            raise StoreError(f"dataset version '{dataset_id}' is not in store {self.root}")
        return hits[0]

    def has_dataset(self, kind: str, dataset_id: str) -> bool:
        return (self.root / "datasets" / kind / dataset_id / "manifest.json").is_file()

    def manifest(self, dataset_id: str) -> dict[str, Any]:
        return read_json(self.dataset_dir(dataset_id) / "manifest.json")

    def files(self, dataset_id: str) -> list[Path]:
        d = self.dataset_dir(dataset_id)
        return [d / f for f in read_json(d / "manifest.json")["files"]]

    def read(self, dataset_id: str, columns: list[str] | None = None) -> pa.Table:
        """Read one dataset version as an Arrow table (rows in key order)."""
        man = self.manifest(dataset_id)
        schema = get_schema(man["kind"]).arrow
        paths = self.files(dataset_id)
        if not paths:
            table = schema.empty_table()
            return table.select(columns) if columns else table
        tables = [pq.read_table(p, columns=columns) for p in paths]
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]

    def write_dataset(
        self, kind: str, table: pa.Table, *, dataset_id: str, manifest: dict[str, Any]
    ) -> dict[str, Any]:
        """Validate, sort and fingerprint `table`, then publish it atomically."""
        schema = get_schema(kind)
        table = schema.conform(table, what=f"{kind} {dataset_id}")
        final = self.root / "datasets" / kind / dataset_id
        if (final / "manifest.json").is_file():
            return read_json(final / "manifest.json")
        tmp = self.tmp_path(f"{kind}-{dataset_id}")
        (tmp / "data").mkdir(parents=True)
        # Rows are written in fingerprint order, one slice at a time: the sorted copy is never
        # materialised whole, and the fingerprint is computed from the same slices.
        order = sort_indices(table, schema.key, schema.volatile) if table.num_rows > 1 else None
        fp = Fingerprinter(table.schema, schema.volatile)
        files, writer = [], None
        for start in range(0, max(table.num_rows, 1), SLICE_ROWS):
            if start % ROWS_PER_FILE == 0:
                if writer is not None:
                    writer.close()
                files.append(f"data/part-{len(files):05d}.parquet")
                writer = pq.ParquetWriter(tmp / files[-1], table.schema, compression="zstd")
            part = (
                table.slice(start, SLICE_ROWS)
                if order is None
                else table.take(order.slice(start, SLICE_ROWS))
            )
            writer.write_table(part, row_group_size=SLICE_ROWS)
            fp.update(part)
        writer.close()
        del part, order
        man = {
            **manifest,
            "dataset_id": dataset_id,
            "kind": kind,
            "schema_version": schema.version,
            "rows": table.num_rows,
            "fingerprint": fp.hexdigest(),
            "volatile_columns": schema.volatile,
            "files": files,
            "mathpref_version": mathpref.__version__,
            "created_at": utcnow(),
        }
        write_json_atomic(tmp / "manifest.json", man)
        publish_dir(tmp, final)
        return read_json(final / "manifest.json")

    def list_datasets(self) -> list[dict[str, Any]]:
        out = []
        for m in sorted((self.root / "datasets").glob("*/*/manifest.json")):
            out.append(read_json(m))
        return sorted(out, key=lambda m: (m["created_at"], m["kind"]))

    # -- stage records (cache entries) ---------------------------------------------------
    def stage_record(self, version_id: str) -> dict[str, Any] | None:
        path = self.root / "stages" / f"{version_id}.json"
        if not path.is_file():
            return None
        record = read_json(path)
        for out in record["outputs"].values():
            if not self.has_dataset(out["kind"], out["dataset_id"]):
                return None
        return record

    def write_stage_record(self, version_id: str, record: dict[str, Any]) -> None:
        write_json_atomic(self.root / "stages" / f"{version_id}.json", record)

    def work_dir(self, version_id: str) -> Path:
        return self.root / "work" / version_id

    # -- refs ----------------------------------------------------------------------------
    def write_ref(self, pipeline: str, ref: BuildRef | dict[str, Any]) -> None:
        data = ref.to_json() if isinstance(ref, BuildRef) else ref
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        write_json_atomic(self.root / "refs" / "history" / pipeline / f"{stamp}.json", data)
        write_json_atomic(self.root / "refs" / f"{pipeline}.json", data)

    def read_ref(self, pipeline: str | None = None) -> BuildRef:
        """A pipeline's last successful build; without a name, the newest build of any."""
        refs = self.list_refs()
        if not refs:
            raise StoreError(f"store {self.root} has no successful build yet")
        if pipeline is None:
            return max(refs, key=lambda r: r.built_at)
        for r in refs:
            if r.pipeline == pipeline:
                return r
        raise StoreError(
            f"no build of pipeline '{pipeline}' in store {self.root}; "
            f"built: {sorted(r.pipeline for r in refs)}"
        )

    def list_refs(self) -> list[BuildRef]:
        return [BuildRef(read_json(p)) for p in sorted((self.root / "refs").glob("*.json"))]

    def history(self, pipeline: str) -> list[BuildRef]:
        d = self.root / "refs" / "history" / pipeline
        return [BuildRef(read_json(p)) for p in sorted(d.glob("*.json"))] if d.is_dir() else []

    # -- garbage collection --------------------------------------------------------------
    def gc(self, *, dry_run: bool = False, keep_history: bool = True) -> list[str]:
        """Remove work/tmp leftovers and datasets that no ref (or history entry) reaches."""
        refs = list(self.list_refs())
        if keep_history:
            for r in list(refs):
                refs.extend(self.history(r.pipeline))
        keep = {d for r in refs for d in r.dataset_ids()}
        removed = []
        for m in (self.root / "datasets").glob("*/*"):
            if m.name not in keep:
                removed.append(f"{m.parent.name}/{m.name}")
                if not dry_run:
                    shutil.rmtree(m, ignore_errors=True)
        for sub in ("work", "tmp"):
            for p in (self.root / sub).iterdir():
                removed.append(f"{sub}/{p.name}")
                if not dry_run:
                    shutil.rmtree(p, ignore_errors=True)
        if not dry_run:
            for rec in (self.root / "stages").glob("*.json"):
                if not any(
                    self.has_dataset(o["kind"], o["dataset_id"])
                    for o in read_json(rec)["outputs"].values()
                ):
                    rec.unlink()
        return removed
