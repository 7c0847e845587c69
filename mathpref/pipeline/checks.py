"""Checks the runner makes on a computed stage's outputs before it records the stage: silence
is a bug, so a stage that writes nothing from a non-empty input fails the build."""

from __future__ import annotations

from typing import Any

from mathpref.errors import StageError
from mathpref.stages.base import Stage


def check_not_empty(
    stage: Stage, outputs: dict[str, dict[str, Any]], input_rows: int | None, notes: list[str]
) -> None:
    """Fail when every output the stage does not declare `empty_ok` is empty.

    `input_rows` is the number of rows of the stage's inputs (None for a stage that reads a
    source file: its input is never empty for this check).
    """
    required = [role for role in stage.outputs if role not in stage.empty_ok]
    if not required or any(outputs[role]["rows"] for role in required):
        return
    if input_rows == 0:
        return
    source = "its source" if input_rows is None else f"{input_rows:,} input row(s)"
    why = "; ".join(notes) if notes else "the stage gave no reason"
    raise StageError(
        f"stage '{stage.name}' ({stage.kind}) wrote no {' or '.join(required)} from {source}: "
        f"{why}. A stage whose output may be empty declares it in `empty_ok`."
    )
