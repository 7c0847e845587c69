"""DuckDB connections and the SQL files of `sql/` (scores, pairs, audits, analyses, views).

A file holds one query. `materialize` stores its result as a temp table named after the file
(prefixed with `_`), so later files can read it; `query` returns it as a pyarrow Table. Values
from the config reach the SQL only as bound named parameters (`$name`), never as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from mathpref.resources import resource_dir

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
_REQUIRES = re.compile(r"^--\s*requires:\s*(.+)$", re.MULTILINE)


def sql_dir(group: str) -> Path:
    return resource_dir("sql") / group


@cache
def _read(path: Path) -> str:
    return path.read_text()


def read_sql(group: str, name: str) -> str:
    return _read(sql_dir(group) / f"{name}.sql")


def requires(text: str) -> list[str]:
    """Views a SQL file declares with a `-- requires: a, b` header line."""
    found = _REQUIRES.search(text)
    return [n.strip() for n in found.group(1).split(",") if n.strip()] if found else []


def connect(threads: int | None = None, memory_limit: str | None = None):
    """A fresh in-memory connection; MATHPREF_DUCKDB_THREADS / _MEMORY override the defaults."""
    config = {"preserve_insertion_order": False}
    threads = threads or int(os.environ.get("MATHPREF_DUCKDB_THREADS", "0")) or None
    memory_limit = memory_limit or os.environ.get("MATHPREF_DUCKDB_MEMORY")
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    return duckdb.connect(":memory:", config=config)


ROW_COLUMN = "_row"


def with_row_numbers(table: pa.Table) -> pa.Table:
    """`table` plus a 0-based `_row` column (zero-copy for the other columns)."""
    if ROW_COLUMN in table.column_names:
        return table
    return table.append_column(ROW_COLUMN, pa.array(range(table.num_rows), pa.int64()))


def register(con, tables: Mapping[str, pa.Table], *, row_numbers: bool = False) -> None:
    """Register Arrow tables as views; with `row_numbers`, each gets a `_row` column so a query
    can return row positions and the caller takes wide text columns with pyarrow."""
    for name, table in tables.items():
        con.register(name, with_row_numbers(table) if row_numbers else table)


def _bind(text: str, params: Mapping[str, object]) -> dict[str, object]:
    used = set(_PARAM.findall(_COMMENT.sub("", text)))
    missing = used - set(params)
    if missing:
        raise KeyError(f"SQL parameters without a value: {sorted(missing)}")
    return {k: params[k] for k in used}


def execute(con, text: str, params: Mapping[str, object] | None = None):
    return con.execute(text, _bind(text, params or {}))


def materialize(
    con,
    group: str,
    name: str,
    params: Mapping[str, object] | None = None,
    *,
    table: str | None = None,
) -> None:
    """CREATE OR REPLACE TEMP TABLE _<name> AS <sql/group/name.sql>."""
    text = read_sql(group, name)
    target = table or f"_{name}"
    execute(con, f"CREATE OR REPLACE TEMP TABLE {target} AS\n{text}", params)


def fetch(con, text: str, params: Mapping[str, object] | None = None) -> pa.Table:
    """Run one query and return its rows as a pyarrow Table (no DB-API copy)."""
    bound = _bind(text, params or {})
    return con.sql(text, params=bound or None).to_arrow_table()


def query(con, group: str, name: str, params: Mapping[str, object] | None = None) -> pa.Table:
    return fetch(con, read_sql(group, name), params)


def views(con) -> set[str]:
    """Names of the tables and views visible in `con` (registered Arrow tables included)."""
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {r[0] for r in rows}
