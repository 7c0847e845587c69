"""Scores (problem + trajectory), preference pairs, SQL audits and analyses.

    compute_scores(problems, trajectories, verifications, ScoreConfig()) ->
        {"problem_scores", "trajectory_scores"}
    build_pairs(problems, trajectories, verifications, trajectory_scores, problem_scores,
                PairConfig()) -> {"pairs", "step_pairs", "kto_rows", "report"}
    run_audits(con_or_tables) -> [AuditResult(name, rows, skipped)]
    run_analyses(con_or_tables) -> [(name, table)]

Definitions: docs/decisions/0004-scores-and-pairs.md. The audits and analyses live in
`mathpref.db` (re-exported here).
"""

from mathpref.db.audits import AuditResult, raise_for_audits, run_analyses, run_audits
from mathpref.scoring.config import PairConfig, ScoreConfig
from mathpref.scoring.pairs import build_pairs, pair_rules
from mathpref.scoring.scores import compute_scores

__all__ = [
    "AuditResult",
    "PairConfig",
    "ScoreConfig",
    "build_pairs",
    "compute_scores",
    "pair_rules",
    "raise_for_audits",
    "run_analyses",
    "run_audits",
]
