"""Content-derived ids, so resumed runs, rebuilt stores and joins agree."""

from __future__ import annotations

from mathpref.hashing import content_id


def problem_id(source: str, question: str) -> str:
    """Id of a problem: its source name and question text (surrounding whitespace ignored)."""
    return content_id("problem", source, question.strip())


def trajectory_id(
    problem_id: str,
    arm: str,
    sample_index: int,
    model_id: str | None,
    parent: str | None = None,
    prefix: str | None = None,
) -> str:
    """Id of a trajectory: problem, arm, sample index, model (+ parent and prefix for a
    continuation of a partial solution)."""
    return content_id("trajectory", problem_id, arm, sample_index, model_id, parent, prefix)
