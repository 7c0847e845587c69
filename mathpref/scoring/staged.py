"""Scores and pairs for a pipeline stage, reading only the input columns the SQL uses.

`compute_scores` / `build_pairs` take whole tables; a stage instead passes `read(kind, columns)`
(columns=None: every column) and `release()` (drop every input read so far). With 1,000,000
trajectories the prompts alone are ~170 MB and the step-check lists of `verifications` as much
again, and the pair outputs hold ~1 GB of texts, so the inputs are narrowed to what the queries
read and released before the texts are taken. The results are identical to `build_pairs` /
`compute_scores` on the whole tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.db import connection as _sql
from mathpref.scoring.config import PairConfig, ScoreConfig
from mathpref.scoring.pairs import attach_texts, select_pairs
from mathpref.scoring.scores import compute_scores

Reader = Callable[[str, list[str] | None], pa.Table]

# Columns the score queries (sql/scores) read; None = all (small tables).
SCORE_COLUMNS: dict[str, list[str] | None] = {
    "problems": None,
    "trajectories": [
        "trajectory_id",
        "problem_id",
        "arm",
        "probe",
        "parent_trajectory_id",
        "completion",
        "completion_tokens",
        "finish_reason",
    ],
    "verifications": [
        "trajectory_id",
        "problem_id",
        "status",
        "answer_key",
        "extraction_rule",
        "intermediate_values",
    ],
}

# Columns the pair-selection queries (sql/pairs) read. `prompt` is added when the step queries
# can run (continuations in the input) or the prompt comes from the trajectory.
PAIR_COLUMNS: dict[str, list[str] | None] = {
    "problems": ["problem_id", "question"],
    "trajectories": [
        "trajectory_id",
        "problem_id",
        "arm",
        "probe",
        "parent_trajectory_id",
        "prefix",
        "completion",
        "completion_tokens",
        "finish_reason",
        "source_error_step",
    ],
    "verifications": [
        "trajectory_id",
        "problem_id",
        "status",
        "answer_key",
        "extraction_rule",
        "first_arith_error_step",
    ],
    "trajectory_scores": None,
    "problem_scores": None,
}


def compute_scores_staged(read: Reader, config: ScoreConfig | None = None) -> dict[str, pa.Table]:
    """`compute_scores` on the columns the score queries read."""
    return compute_scores(
        *(read(k, SCORE_COLUMNS[k]) for k in ("problems", "trajectories", "verifications")), config
    )


def build_pairs_staged(
    read: Reader,
    release: Callable[[], None],
    config: PairConfig | None = None,
    step_labels: pa.Table | None = None,
) -> dict[str, Any]:
    """`build_pairs` on narrow inputs; the inputs are released before the texts are taken.
    `step_labels`: the step sources the config's `step_sources` may name."""
    config = config or PairConfig()
    tables = {k: read(k, cols) for k, cols in PAIR_COLUMNS.items()}
    traj = tables["trajectories"]
    if config.prompt_source == "trajectory" or (
        "step" in config.strategies and pc.any(pc.is_valid(traj["parent_trajectory_id"])).as_py()
    ):
        traj = traj.append_column("prompt", read("trajectories", ["prompt"])["prompt"])
        tables["trajectories"] = traj
    con = _sql.connect()
    try:
        _sql.register(con, {k: tables[k] for k in ("problems", "trajectories")}, row_numbers=True)
        _sql.register(
            con, {k: tables[k] for k in ("verifications", "trajectory_scores", "problem_scores")}
        )
        if step_labels is not None:
            _sql.register(con, {"step_labels": step_labels})
        narrow, report = select_pairs(con, config)
    finally:
        con.close()
    # Keep only the text columns attach_texts takes (row positions are unchanged), each as one
    # Array, so the outputs reference them as dictionaries instead of copying every text.
    texts = ["completion"] + (["prompt"] if config.prompt_source == "trajectory" else [])
    problems = _single_chunk(tables["problems"].select(["question"]))
    traj = _single_chunk(traj.select(texts))
    del tables
    release()
    return attach_texts(narrow, problems, traj, config, report, conform=False)


# Above this many bytes a text column stays chunked (a single string Array has 32-bit offsets)
# and its texts are copied into the outputs as usual.
_SINGLE_ARRAY_MAX_BYTES = 1 << 30


def _single_chunk(table: pa.Table) -> dict[str, pa.Array | pa.ChunkedArray]:
    out: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in table.column_names:
        col = table[name]
        out[name] = col.combine_chunks() if col.nbytes <= _SINGLE_ARRAY_MAX_BYTES else col
    return out
