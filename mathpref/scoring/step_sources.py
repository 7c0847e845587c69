"""The declared order of first-wrong-step sources for step pairs.

`log` is the imported log's own label (trajectories.source_error_step), `arithmetic` the verify
stage's checker (verifications.first_arith_error_step), and `completions` | `critic` | `prm` a
`step_labels` row of that source with status 'labelled'. A trajectory's error step is the first
non-null one in the declared order; a source that found no wrong step (null) defers to the next.
"""

from __future__ import annotations

import pyarrow as pa

STEP_SOURCES = ("log", "completions", "critic", "prm", "arithmetic")
LABEL_SOURCES = ("completions", "critic", "prm")
DEFAULT_STEP_SOURCES = ("log", "arithmetic")


def source_expr(source: str) -> str:
    if source == "log":
        return "t.source_error_step"
    if source == "arithmetic":
        return "v.first_arith_error_step"
    return f"sl_{source}.first_wrong_step"


def error_steps_sql(sources) -> str:
    """SQL for (trajectory_id, error_step, error_source) over trajectories, verifications and
    step_labels (views of those names), by the declared order `sources`."""
    exprs = [source_expr(s) for s in sources]
    joins = "".join(
        f"\nLEFT JOIN step_labels AS sl_{s} ON sl_{s}.trajectory_id = t.trajectory_id"
        f" AND sl_{s}.source = '{s}' AND sl_{s}.status = 'labelled'"
        for s in sources
        if s in LABEL_SOURCES
    )
    cases = " ".join(
        f"WHEN {e} IS NOT NULL THEN '{s}'" for s, e in zip(sources, exprs, strict=True)
    )
    return (
        f"SELECT t.trajectory_id, CAST(COALESCE({', '.join(exprs)}) AS INTEGER) AS error_step,"
        f" CASE {cases} END AS error_source\n"
        "FROM trajectories AS t\n"
        "LEFT JOIN verifications AS v ON v.trajectory_id = t.trajectory_id" + joins
    )


def empty_step_labels() -> pa.Table:
    from mathpref.schemas import get_schema

    return get_schema("step_labels").empty()


def rule_suffix(sources) -> str:
    """What the step pair rule adds: nothing for the default order (today's rule text)."""
    sources = tuple(sources)
    return "" if sources == DEFAULT_STEP_SOURCES else f",sources={'>'.join(sources)}"
