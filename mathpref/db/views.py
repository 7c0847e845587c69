"""DuckDB over the store: one view per dataset kind for a chosen pipeline build, no set-up step.

The view texts live in `sql/views/`: `dataset.sql` is the template of the per-kind views, and every
other file there defines a derived view (e.g. `rollouts`) created when its tables exist.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from mathpref.errors import StoreError
from mathpref.resources import resource_dir
from mathpref.schemas import get_schema, known_kinds
from mathpref.store import Store


def _quote(path: str) -> str:
    return "'" + path.replace("'", "''") + "'"


def connect_outputs(
    store: Store, outputs: dict[str, dict[str, dict[str, Any]]]
) -> duckdb.DuckDBPyConnection:
    """A connection with a view per dataset kind over the given stage outputs."""
    con = duckdb.connect(":memory:")
    files: dict[str, list[str]] = {k: [] for k in known_kinds()}
    for outs in outputs.values():
        for out in outs.values():
            files.setdefault(out["kind"], []).extend(
                str(p) for p in store.verified_files(out["dataset_id"])
            )
    template = (resource_dir("sql") / "views" / "dataset.sql").read_text()
    for kind, paths in files.items():
        if paths:
            listing = "[" + ", ".join(_quote(p) for p in paths) + "]"
            con.execute(template.replace("{kind}", kind).replace("{files}", listing))
        else:  # an empty view with the kind's columns, so queries never fail on absence
            con.register(f"_empty_{kind}", get_schema(kind).empty())
            con.execute(f"CREATE OR REPLACE VIEW {kind} AS SELECT * FROM _empty_{kind}")
    for path in sorted((resource_dir("sql") / "views").glob("*.sql")):
        if path.name != "dataset.sql":
            con.execute(path.read_text())
    _catalog(con, store)
    return con


def _catalog(con: duckdb.DuckDBPyConnection, store: Store) -> None:
    rows = [
        {
            "dataset_id": m["dataset_id"],
            "kind": m["kind"],
            "pipeline": m.get("pipeline"),
            "stage": m.get("stage"),
            "rows": m["rows"],
            "fingerprint": m["fingerprint"],
            "created_at": m["created_at"],
        }
        for m in store.list_datasets()
    ]
    table = (
        pa.Table.from_pylist(rows)
        if rows
        else pa.table(
            {k: pa.array([], pa.string()) for k in ("dataset_id", "kind", "pipeline", "stage")}
        )
    )
    con.register("_catalog", table)
    con.execute("CREATE OR REPLACE VIEW datasets AS SELECT * FROM _catalog")


def connect(store: Store, pipeline: str | None = None) -> duckdb.DuckDBPyConnection:
    """Views over a pipeline's last successful build (default: the newest build of any)."""
    return connect_outputs(store, store.read_ref(pipeline).outputs())


def audit_build(
    store: Store,
    outputs: dict[str, dict[str, dict[str, Any]]],
    names: list[str] | None = None,
) -> list[tuple[str, pa.Table]]:
    """Run the audits `names` (default: every audit of `sql/audits/`) over a build's outputs;
    return the ones that found rows."""
    from mathpref.db.audits import run_audits

    con = connect_outputs(store, outputs)
    try:
        return [(a.name, a.rows) for a in run_audits(con, names=names) if a.rows.num_rows]
    finally:
        con.close()


def query(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    try:
        rel = con.sql(sql)
        return rel.to_arrow_table() if rel is not None else pa.table({})
    except duckdb.Error as exc:
        raise StoreError(f"SQL error: {str(exc).splitlines()[0]}") from None
