"""Column-wise import of a log already in the trajectories schema (the `native` adapter)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.ids import trajectory_id
from mathpref.schemas import get_schema
from mathpref.sources.readers import truncate


def import_table(table: pa.Table, known, stage: str, path: str) -> dict[str, pa.Table | None]:
    """A whole log in the trajectories schema, checked and joined to problems column-wise.

    Rows with a null required field, an unknown problem or a repeated trajectory id go to the
    quarantine with the reason; null trajectory ids of usable rows are derived.
    """
    n = table.num_rows
    reason = pa.nulls(n, pa.string())
    field = pa.nulls(n, pa.string())
    for f in get_schema("trajectories").fields:
        if f.nullable or f.name == "trajectory_id":
            continue
        hit = pc.and_(pc.is_null(reason), pc.is_null(table[f.name]))
        reason = pc.if_else(hit, f"field '{f.name}' is null", reason)
        field = pc.if_else(hit, f.name, field)
    unknown = pc.and_(
        pc.is_null(reason),
        pc.invert(pc.fill_null(pc.is_in(table["problem_id"], value_set=known), False)),
    )
    reason = pc.if_else(
        unknown, "problem not among the problems input (matched by problem_id)", reason
    )
    field = pc.if_else(unknown, "problem_id", field)
    table = _fill_trajectory_ids(table, pc.is_null(reason))
    reason, field = _mark_duplicates(table, reason, field)
    bad = pc.is_valid(reason)
    n_bad = pc.sum(bad).as_py() or 0
    quarantine = None
    if n_bad:
        lines = pa.array(np.arange(1, n + 1, dtype=np.int64)).filter(bad)
        raw = [
            truncate({k: v for k, v in row.items() if v is not None})
            for row in table.filter(bad)
            .select(["trajectory_id", "problem_id", "arm", "sample_index", "model_id"])
            .to_pylist()
        ]
        quarantine = pa.table(
            {
                "stage": pa.array([stage] * n_bad, pa.string()),
                "source": pa.array([path] * n_bad, pa.string()),
                "line": lines,
                "field": field.filter(bad),
                "reason": reason.filter(bad),
                "raw": pa.array(raw, pa.string()),
            }
        )
        table = table.filter(pc.invert(bad))  # copies: only when some rows are bad
    return {"trajectories": table if table.num_rows else None, "quarantine": quarantine}


def _fill_trajectory_ids(table: pa.Table, usable: pa.Array) -> pa.Table:
    """Derive the null trajectory ids of usable rows (`trajectory_id` semantics)."""
    tid = table["trajectory_id"]
    todo = pc.and_(pc.is_null(tid), usable)
    if not pc.any(todo).as_py():
        return table
    where = np.flatnonzero(todo.to_numpy(zero_copy_only=False))
    parts = table.select(
        ["problem_id", "arm", "sample_index", "model_id", "parent_trajectory_id", "prefix"]
    ).take(pa.array(where))
    derived = [
        trajectory_id(*row)
        for row in zip(*(parts[name].to_pylist() for name in parts.column_names), strict=True)
    ]
    values = pc.replace_with_mask(
        tid.combine_chunks() if isinstance(tid, pa.ChunkedArray) else tid,
        _mask(todo, len(table)),
        pa.array(derived, pa.string()),
    )
    return table.set_column(table.column_names.index("trajectory_id"), "trajectory_id", values)


def _mask(mask, n: int) -> pa.Array:
    """A plain boolean Array (no nulls) from a possibly chunked mask."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks else pa.array([], pa.bool_())
    return pc.fill_null(mask, False)


def _mark_duplicates(table: pa.Table, reason, field):
    """Quarantine the later rows of a trajectory_id that occurs more than once (usable rows)."""
    usable = pc.is_null(reason)
    tid = table["trajectory_id"]
    if pc.count_distinct(tid.filter(usable)).as_py() == pc.sum(usable).as_py():
        return reason, field
    lines = pa.table(
        {
            "trajectory_id": tid,
            "_line": pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)),
            "_ok": usable,
        }
    )
    first = lines.filter(pc.field("_ok")).group_by("trajectory_id").aggregate([("_line", "min")])
    joined = lines.join(first, "trajectory_id", join_type="left outer").sort_by("_line")
    later = pc.not_equal(joined["_line"], joined["_line_min"])  # null for unusable rows
    dup = pc.fill_null(pc.and_kleene(joined["_ok"], later), False)
    text = pc.binary_join_element_wise(
        "duplicate trajectory_id of line ", pc.cast(joined["_line_min"], pa.string()), ""
    )
    return pc.if_else(dup, text, reason), pc.if_else(dup, "trajectory_id", field)
