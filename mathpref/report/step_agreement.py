"""Agreement of the first-wrong-step sources of a build (sql/views/step_sources.sql)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from mathpref.resources import resource_dir
from mathpref.schemas import get_schema


def step_source_agreement(tables: dict[str, pa.Table]) -> list[dict[str, Any]]:
    """Rows (source_a, source_b, both_labelled, agree, agreement) from a build's trajectories,
    verifications and step_labels tables (step_labels may be absent)."""
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        for kind in ("trajectories", "verifications", "step_labels"):
            con.register(kind, tables.get(kind, get_schema(kind).empty()))
        con.execute((resource_dir("sql") / "views" / "step_sources.sql").read_text())
        return con.sql("SELECT * FROM step_source_agreement").to_arrow_table().to_pylist()
    finally:
        con.close()
