"""Run the SQL audits (`sql/audits/*.sql`) and analyses (`sql/analyses/*.sql`).

Each file holds one query over views named by dataset kind and declares the views it reads in a
`-- requires: a, b` line. An audit returns OFFENDING rows: an empty result is a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from mathpref.db import connection as _sql
from mathpref.errors import AuditError

Source = Mapping[str, pa.Table]


@dataclass(frozen=True)
class AuditResult:
    name: str
    rows: pa.Table
    skipped: str | None = None  # why the audit did not run (a required view is missing)

    @property
    def passed(self) -> bool:
        return self.rows.num_rows == 0


def _names(group: str, names: list[str] | None) -> list[str]:
    found = sorted(p.stem for p in _sql.sql_dir(group).glob("*.sql"))
    if names is None:
        return found
    unknown = sorted(set(names) - set(found))
    if unknown:
        raise KeyError(f"unknown {group} {unknown}; known: {found}")
    return list(names)


def _run(group: str, source, names: list[str] | None, missing: str):
    if missing not in ("skip", "error"):
        raise ValueError("missing must be 'skip' or 'error'")
    own = not hasattr(source, "execute")
    con = _sql.connect() if own else source
    try:
        if own:
            _sql.register(con, source)
        available = _sql.views(con)
        for name in _names(group, names):
            text = _sql.read_sql(group, name)
            absent = [v for v in _sql.requires(text) if v not in available]
            if absent:
                if missing == "error":
                    raise AuditError(f"{group[:-1]} '{name}' needs missing views {absent}")
                yield name, None, f"missing views: {', '.join(absent)}"
                continue
            yield name, _sql.fetch(con, text), None
    finally:
        if own:
            con.close()


def run_audits(
    source, *, names: list[str] | None = None, missing: str = "skip"
) -> list[AuditResult]:
    """Run every audit (or `names`) against a DuckDB connection or a {kind: Table} mapping.

    An audit whose required views are absent is skipped (`skipped` says why, `rows` is empty)
    unless `missing="error"`.
    """
    out = []
    for name, rows, skipped in _run("audits", source, names, missing):
        out.append(AuditResult(name, rows if rows is not None else pa.table({}), skipped))
    return out


def raise_for_audits(results: list[AuditResult], *, max_rows: int = 3) -> None:
    """Raise AuditError naming every failed audit with a few of its offending rows."""
    failed = [r for r in results if not r.passed]
    if failed:
        parts = [
            f"{r.name}: {r.rows.num_rows} row(s), e.g. {r.rows.slice(0, max_rows).to_pylist()}"
            for r in failed
        ]
        raise AuditError("audits failed: " + "; ".join(parts))


def run_analyses(
    source, *, names: list[str] | None = None, missing: str = "skip"
) -> list[tuple[str, pa.Table]]:
    """Run every analysis (or `names`); analyses whose views are absent are left out."""
    return [
        (name, rows)
        for name, rows, _ in _run("analyses", source, names, missing)
        if rows is not None
    ]
