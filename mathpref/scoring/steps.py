"""Step splitting and the Python half of step-level pairs.

`split_steps` is the one swappable function: it uses `mathpref.verify.steps.split_steps` (the
splitter the arithmetic step checker numbers its steps with) when that module exists, else a local
rule with the same contract (non-empty lines, stripped). Only (rejected, continuation) candidate
rows pass through Python; finding them and sampling are SQL (`sql/pairs/step_*.sql`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.db import connection as _sql
from mathpref.schemas import get_schema


def _local_split_steps(solution: str) -> list[str]:
    return [line.strip() for line in solution.splitlines() if line.strip()]


def _resolve() -> Callable[[str], list[str]]:
    try:
        from mathpref.verify.steps import split_steps as impl
    except ImportError:
        return _local_split_steps
    return impl


def split_steps(solution: str) -> list[str]:
    """Split a solution into steps (see module docstring for which splitter is used)."""
    return _resolve()(solution)


_PARAGRAPH = re.compile(r"\n[ \t\r]*\n")


def separator_for(text: str, separator: str | None) -> str:
    """`separator`, or (None) a blank line for paragraph-style text and a newline otherwise."""
    if separator is not None:
        return separator
    return "\n\n" if _PARAGRAPH.search(text) else "\n"


def normalize(text: str) -> str:
    """Whitespace-normalised text: how prefixes and steps are compared."""
    return " ".join(text.split())


MATCHED_SCHEMA = pa.schema(
    [
        ("problem_id", pa.string()),
        ("split", pa.string()),
        ("rejected_trajectory_id", pa.string()),
        ("rejected_prompt", pa.string()),
        ("error_step", pa.int32()),
        ("chosen_trajectory_id", pa.string()),
        ("chosen_reward", pa.float64()),
        ("initial_reason_steps", pa.string()),
        ("chosen", pa.string()),
        ("rejected", pa.string()),
        ("full_chosen", pa.string()),
        ("full_rejected", pa.string()),
        ("identical", pa.bool_()),
    ]
)


def match_continuations(
    candidates: pa.Table,
    separator: str | None = None,
    splitter: Callable[[str], list[str]] | None = None,
) -> tuple[pa.Table, Counter]:
    """Build Step-DPO rows from `step_candidates.sql` output.

    For a rejected trajectory with first_arith_error_step k and steps s: prefix = s[:k]; a
    continuation matches when its whitespace-normalised prefix equals the normalised
    separator-join of s[:k] (see `separator_for`). chosen = first step of the continuation,
    rejected = s[k], full_chosen = initial_reason_steps + continuation, full_rejected =
    initial_reason_steps + join(s[k:]). Returns the rows and the dropped candidates by reason.
    """
    split = splitter or split_steps
    dropped: Counter = Counter()
    steps_of: dict[str, list[str]] = {}
    rows = []
    for c in candidates.to_pylist():
        rid = c["rejected_trajectory_id"]
        if rid not in steps_of:
            steps_of[rid] = split(c["rejected_completion"])
        steps, k = steps_of[rid], c["error_step"]
        sep = separator_for(c["rejected_completion"], separator)
        if k < 0 or k >= len(steps):
            dropped["error_step_out_of_range"] += 1
            continue
        if normalize(c["chosen_prefix"] or "") != normalize(sep.join(steps[:k])):
            dropped["prefix_mismatch"] += 1
            continue
        chosen_steps = split(c["chosen_completion"])
        if not chosen_steps:
            dropped["empty_continuation"] += 1
            continue
        initial = sep.join(steps[:k]) + sep if k else ""
        chosen, rejected = chosen_steps[0], steps[k]
        rows.append(
            {
                "problem_id": c["problem_id"],
                "split": c["split"],
                "rejected_trajectory_id": rid,
                "rejected_prompt": c["rejected_prompt"],
                "error_step": k,
                "chosen_trajectory_id": c["chosen_trajectory_id"],
                "chosen_reward": c["chosen_reward"],
                "initial_reason_steps": initial,
                "chosen": chosen,
                "rejected": rejected,
                "full_chosen": initial + c["chosen_completion"].lstrip(),
                "full_rejected": initial + sep.join(steps[k:]),
                "identical": normalize(chosen) == normalize(rejected),
            }
        )
    return pa.Table.from_pylist(rows, schema=MATCHED_SCHEMA), dropped


def build_step_pairs(con, config, params: dict[str, Any], report: dict[str, Any]) -> pa.Table:
    """The `step_pairs` table (empty, with a note in `report`, when nothing can be built)."""
    schema = get_schema("step_pairs")
    n_cont = int(
        con.sql(
            "SELECT count(*) FROM trajectories WHERE parent_trajectory_id IS NOT NULL"
        ).fetchall()[0][0]
    )
    step: dict[str, Any] = {"continuations_in_input": n_cont, "candidates": 0, "dropped": {}}
    report["step"] = step
    if "step" not in config.strategies:
        report["notes"].append("step-level: strategy not enabled")
        return schema.empty()
    if n_cont == 0:
        report["notes"].append("step-level: no continuations in input")
        return schema.empty()
    from mathpref.scoring.step_sources import empty_step_labels, error_steps_sql

    if "step_labels" not in _sql.views(con):
        con.register("step_labels", empty_step_labels())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _error_steps AS " + error_steps_sql(config.step_sources)
    )
    candidates = _sql.query(con, "pairs", "step_candidates", params)
    step["candidates"] = candidates.num_rows
    matched, dropped = match_continuations(candidates, config.step_separator)
    step["dropped"] = dict(dropped)
    step["identical_removed"] = int(pc.sum(matched["identical"]).as_py() or 0)
    con.register("_step_matched", matched)
    table = schema.conform(_sql.query(con, "pairs", "step_pairs", params))
    if table.num_rows == 0:
        report["notes"].append(
            "step-level: continuations exist but none is an eligible, "
            "verified-correct continuation of a matching error prefix"
        )
    return table
