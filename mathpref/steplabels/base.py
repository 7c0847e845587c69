"""The contract every step source keeps (schemas/step_labels.json is the stored form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mathpref.generation.requests import GenerationRequest

STATUS_LABELLED = "labelled"  # first_wrong_step set, or None: no wrong step found
STATUS_UNVERIFIABLE = "unverifiable"  # the source gave nothing usable (never "no error")

# A source that generates gets the stage's backend as this callable: requests in, for each
# request its completion texts out (len == request count, in order). It may be called many
# times (a binary search asks in rounds).
Generate = Callable[[Sequence[GenerationRequest]], list[str]]


@dataclass(frozen=True)
class StepItem:
    """One solution to label. `steps` is `mathpref.verify.steps.split_steps` of the completion
    after any prompt echo, so step indices agree with the arithmetic checker's."""

    trajectory_id: str
    problem_id: str
    question: str
    gold: str
    steps: tuple[str, ...]
    messages: tuple[tuple[str, str], ...] = ()  # the turns the solution was asked with
    text: str = ""  # the completion after any echo, when known (exact prefixes are cut from it)


@dataclass(frozen=True)
class StepLabel:
    status: str
    first_wrong_step: int | None  # 0-based; None when labelled with no wrong step
    step_scores: tuple[float | None, ...] | None = None
    requests: int = 0
    detail: str | None = None

    def __post_init__(self):
        if self.status not in (STATUS_LABELLED, STATUS_UNVERIFIABLE):
            raise ValueError(f"unknown step-label status {self.status!r}")
        if self.status == STATUS_UNVERIFIABLE and self.first_wrong_step is not None:
            raise ValueError("an unverifiable label has no first wrong step")
