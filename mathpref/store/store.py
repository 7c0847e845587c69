"""The versioned dataset store: Parquet (zstd) files plus a manifest per dataset version.

Layout under the store root:
  datasets/<kind>/<dataset_id>/manifest.json + data/part-00000.parquet   immutable versions
  stages/<stage_version_id>.json     record of a finished stage run (the cache entry)
  work/<stage_version_id>/           shards of a stage run in progress (resumable)
  refs/<pipeline>.json               the pipeline's last successful build
  refs/history/<pipeline>/<time>.json every successful build
  tmp/                               staging for atomic publication
  trash/                             versions being deleted (renamed here first, then removed)
The store knows dataset kinds and their schemas, not what stages mean. Every read checks the part
files against the manifest (`integrity.check_parts`); see `mathpref.store.integrity`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

import mathpref
from mathpref.errors import StoreCorruptError, StoreError
from mathpref.schemas import get_schema
from mathpref.store import integrity
from mathpref.store.atomic import (
    discard,
    fault_point,
    fsync_path,
    publish_dir,
    read_json,
    write_json_atomic,
)
from mathpref.store.fingerprint import sort_indices
from mathpref.store.lock import StoreLock
from mathpref.store.parts import write_parts
from mathpref.store.refs import BuildRef

FORMAT = 1
# Pipeline names become file names under refs/: letters, digits, '.', '_', '-', not starting
# with '.' (so never '..', never a hidden temporary name).
NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


def check_name(name: object, what: str = "pipeline name") -> str:
    if not isinstance(name, str):
        raise StoreError(f"{what} must be a string, not {type(name).__name__} {name!r}")
    if not NAME.fullmatch(name) or name.endswith(".tmp"):
        raise StoreError(
            f"{what} {name!r} is not allowed: use letters, digits, '.', '_' and '-' "
            "(not starting with '.', not ending in '.tmp', no '/')"
        )
    return name


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
        """The store's exclusive lock; whoever takes it first clears killed runs' leftovers."""
        return StoreLock(self.root / "lock", on_acquire=self.clean_leftovers)

    def clean_leftovers(self) -> list[str]:
        """Remove what killed runs leave behind: tmp/ and trash/ entries, `*.tmp` JSON files.
        Call with the lock held (a running build's tmp/ is in use)."""
        from mathpref.store.gc import clean_leftovers

        return clean_leftovers(self)

    @property
    def trash(self) -> Path:
        return self.root / "trash"

    def tmp_path(self, label: str) -> Path:
        return self.root / "tmp" / f"{label}.{uuid.uuid4().hex[:10]}"

    # -- datasets ------------------------------------------------------------------------
    def dataset_dir(self, dataset_id: str) -> Path:
        check_name(dataset_id, "dataset id")
        hits = list((self.root / "datasets").glob(f"*/{dataset_id}"))
        if not hits:
            raise StoreError(f"dataset version '{dataset_id}' is not in store {self.root}")
        return hits[0]

    def has_dataset(self, kind: str, dataset_id: str) -> bool:
        return (self.root / "datasets" / kind / dataset_id / "manifest.json").is_file()

    def manifest(self, dataset_id: str) -> dict[str, Any]:
        d = self.dataset_dir(dataset_id)
        try:
            return read_json(d / "manifest.json")
        except FileNotFoundError:
            raise StoreCorruptError(
                f"dataset {d.parent.name}/{dataset_id} has no manifest (a killed gc or a deleted "
                f"file); run `mathpref datasets repair {dataset_id}` to remove it, then rebuild",
                dataset_id=dataset_id,
            ) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreCorruptError(
                f"dataset {d.parent.name}/{dataset_id}: manifest.json is not valid JSON ({exc}); "
                f"run `mathpref datasets repair {dataset_id}` to remove it, then rebuild",
                dataset_id=dataset_id,
            ) from None

    def files(self, dataset_id: str) -> list[Path]:
        """The part files of a version, as its manifest lists them (not checked)."""
        d = self.dataset_dir(dataset_id)
        return [d / f for f in self.manifest(dataset_id)["files"]]

    def verify(self, dataset_id: str, man: dict[str, Any] | None = None) -> dict[str, Any]:
        """The manifest, once the part files match it (size, hash, rows); else
        `StoreCorruptError` naming the dataset and the fix."""
        man = man or self.manifest(dataset_id)
        problems = integrity.check_parts(self.dataset_dir(dataset_id), man)
        if problems:
            raise integrity.corrupt(man, problems)
        return man

    def verified_files(self, dataset_id: str) -> list[Path]:
        """The part files of a version after `verify` (for readers such as DuckDB views)."""
        d = self.dataset_dir(dataset_id)
        return [d / f for f in self.verify(dataset_id)["files"]]

    def read(self, dataset_id: str, columns: list[str] | None = None) -> pa.Table:
        """Read one dataset version as an Arrow table (rows in key order), checked against its
        manifest first (part sizes, hashes and row counts)."""
        man = self.verify(dataset_id)
        schema = get_schema(man["kind"]).arrow
        d = self.dataset_dir(dataset_id)
        paths = [d / f for f in man["files"]]
        if not paths:
            table = schema.empty_table()
            return table.select(columns) if columns else table
        try:
            tables = [pq.read_table(p, columns=columns) for p in paths]
        except (OSError, pa.ArrowException) as exc:
            problem = f"unreadable part ({type(exc).__name__}: {exc})"
            raise integrity.corrupt(man, [problem]) from None
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        if table.num_rows != man["rows"]:
            raise integrity.corrupt(
                man, [f"read {table.num_rows} rows, manifest says {man['rows']}"]
            )
        return _with_schema_types(table, schema)

    def write_dataset(
        self, kind: str, table: pa.Table, *, dataset_id: str, manifest: dict[str, Any]
    ) -> dict[str, Any]:
        """Validate, sort and fingerprint `table`, then publish it atomically."""
        schema = get_schema(kind)
        table = schema.conform(table, what=f"{kind} {dataset_id}")
        final = self.root / "datasets" / kind / dataset_id
        if (final / "manifest.json").is_file():
            existing = read_json(final / "manifest.json")
            if not integrity.check_parts(final, existing):
                return existing
        if final.exists():  # corrupt, or no manifest: replaced by the rows in hand
            discard(final, self.trash)
        tmp = self.tmp_path(f"{kind}-{dataset_id}")
        (tmp / "data").mkdir(parents=True)
        # Rows are written in fingerprint order, one slice at a time: the sorted copy is never
        # materialised whole, and the fingerprint is computed from the same slices.
        order = (
            sort_indices(table, schema.key, schema.volatile, unique=schema.unique_key)
            if table.num_rows > 1
            else None
        )  # conform checked a unique key
        files, fingerprint = write_parts(table, order, tmp, schema.volatile)
        del order
        parts = [integrity.describe_part(tmp, f) for f in files]
        for f in files:
            fsync_path(tmp / f)
        fsync_path(tmp / "data")
        fault_point("parts-written")
        man = {
            **manifest,
            "dataset_id": dataset_id,
            "kind": kind,
            "schema_version": schema.version,
            "rows": table.num_rows,
            "fingerprint": fingerprint,
            "volatile_columns": schema.volatile,
            "files": files,
            "parts": parts,
            "mathpref_version": mathpref.__version__,
            "created_at": utcnow(),
        }
        write_json_atomic(tmp / "manifest.json", man)  # fsyncs the file and `tmp`
        fault_point("manifest-written")
        publish_dir(tmp, final)  # renames, then fsyncs datasets/<kind>/
        fault_point("published")
        integrity.seal(final)
        return read_json(final / "manifest.json")

    def list_datasets(self) -> list[dict[str, Any]]:
        out = []
        for m in sorted((self.root / "datasets").glob("*/*/manifest.json")):
            try:
                out.append(read_json(m))
            except (ValueError, UnicodeDecodeError):
                continue  # an unreadable manifest: `datasets verify` reports it
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
        for out in record["outputs"].values():  # a cache hit is only as good as its files
            self.verify(out["dataset_id"])
        return record

    def write_stage_record(self, version_id: str, record: dict[str, Any]) -> None:
        fault_point("stage-record")
        write_json_atomic(self.root / "stages" / f"{version_id}.json", record)

    def work_dir(self, version_id: str) -> Path:
        return self.root / "work" / version_id

    # -- refs ----------------------------------------------------------------------------
    def write_ref(self, pipeline: str, ref: BuildRef | dict[str, Any]) -> None:
        check_name(pipeline)
        data = ref.to_json() if isinstance(ref, BuildRef) else ref
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        write_json_atomic(self.root / "refs" / "history" / pipeline / f"{stamp}.json", data)
        fault_point("history-written")
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
        check_name(pipeline)
        d = self.root / "refs" / "history" / pipeline
        return [BuildRef(read_json(p)) for p in sorted(d.glob("*.json"))] if d.is_dir() else []

    # -- garbage collection --------------------------------------------------------------
    def gc(self, *, dry_run: bool = False, keep_history: bool = True) -> list[str]:
        """Remove leftovers and datasets that no ref (or history entry) reaches; see
        `mathpref.store.gc`. Returns one line per thing removed, restored or reported."""
        from mathpref.store.gc import collect

        return collect(self, dry_run=dry_run, keep_history=keep_history).lines()


def _with_schema_types(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Parquet reads list columns back as `list<element: T>`: give them the schema's types."""
    for i, f in enumerate(table.schema):
        if pa.types.is_list(f.type) and f.name in schema.names:
            want = schema.field(f.name).type
            if f.type != want and f.type.value_type == want.value_type:
                table = table.set_column(i, pa.field(f.name, want, f.nullable), table[i].cast(want))
    return table
