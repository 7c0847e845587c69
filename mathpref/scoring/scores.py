"""Problem and trajectory scores, computed set-based in DuckDB (`sql/scores/*.sql`)."""

from __future__ import annotations

import pyarrow as pa

from mathpref.db import connection as _sql
from mathpref.schemas import get_schema
from mathpref.scoring.config import ScoreConfig

# Order matters: each file reads the temp tables of the files before it.
_STEPS = (
    "traj_base",
    "value_bits",
    "answer_keys",
    "problem_consistency",
    "path_consistency",
    "problem_scores",
    "canonical_overlap",
    "trajectory_scores",
)


def score_params(config: ScoreConfig) -> dict[str, object]:
    """Named SQL parameters of the score queries (numbers, lists and the split salt)."""
    c = config
    return {
        "token_factor": float(c.whitespace_token_factor),
        "w_end": float(c.w_end),
        "w_path": float(c.w_path),
        "w_cf": float(c.w_cf),
        "band_edges": [float(e) for e in c.difficulty_edges],
        "band_labels": list(c.difficulty_labels),
        "split_salt": str(c.split_salt),
        "test_fraction": float(c.test_fraction),
        "alpha": float(c.alpha),
        "beta": float(c.beta),
        "gamma": float(c.gamma),
        "bonus": float(c.agreement_bonus),
        "bonus_s_end": float(c.agreement_s_end_threshold),
        "w_concise": float(c.w_concise),
        "w_overlap": float(c.w_overlap),
        "penalty_per_token": float(c.length_penalty_per_token),
        "free_tokens": int(c.length_penalty_free_tokens),
        "exclude_fallback": bool(c.exclude_fallback_answers),
        "fallback_rules": list(c.fallback_rules) or [""],
        "min_tokens": int(c.min_completion_tokens),
        # 2**62 stands for "no limit" so the parameter keeps an integer type.
        "max_tokens": int(
            c.max_completion_tokens if c.max_completion_tokens is not None else 2**62
        ),
    }


def compute_scores_in(con, config: ScoreConfig) -> dict[str, pa.Table]:
    """Run the score queries on a connection where problems/trajectories/verifications exist.

    Leaves temp tables `_problem_scores` and `_trajectory_scores` in `con` for later stages.
    """
    params = score_params(config)
    for step in _STEPS:
        _sql.materialize(con, "scores", step, params)
    out = {}
    for kind in ("problem_scores", "trajectory_scores"):
        table = _sql.fetch(con, f"SELECT * FROM _{kind}")
        out[kind] = get_schema(kind).conform(table)
    return out


def compute_scores(
    problems: pa.Table,
    trajectories: pa.Table,
    verifications: pa.Table,
    config: ScoreConfig | None = None,
) -> dict[str, pa.Table]:
    """Score every problem and trajectory.

    Returns `{"problem_scores": ..., "trajectory_scores": ...}`, each conforming to its schema.
    """
    config = config or ScoreConfig()
    con = _sql.connect()
    try:
        _sql.register(
            con,
            {"problems": problems, "trajectories": trajectories, "verifications": verifications},
        )
        return compute_scores_in(con, config)
    finally:
        con.close()
