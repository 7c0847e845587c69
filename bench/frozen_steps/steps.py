# FROZEN ANCHOR (issue 14): a copy of mathpref/verify/steps.py as of commit d4b597c, the per-row step
# checker that bench/step_checks.py measures the vectorised path against. Do not edit it, and never
# import it from the mathpref package: it must not speed up (or change) with the code under test.
"""Step splitting and per-step *arithmetic* checks (not logic checks).

``check_steps`` finds the first step that states a wrong arithmetic fact such as
``9 * 2 = 17``.  A step that reasons wrongly but computes correctly is "ok"; a
step with no checkable claim is "unchecked".  See :mod:`mathpref.verify.step_claims`
for what counts as a claim and :func:`mathpref.verify.arith.matches` for the
rounding / ``≈`` rules.

Step rule (:func:`split_steps`): if the solution has a blank line, the steps are
its paragraphs (blank-line separated); otherwise the steps are its non-empty
lines.  In both cases a paragraph/line holding several ``Step N:`` markers is
split before each marker.  Steps are stripped; empty ones are dropped.  A
GSM8K ``#### 18`` line is kept as a (claim-free) step.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from bench.frozen_steps.step_claims import Claim, claims_in_step

# Bump when a change can alter any step verdict or intermediate value.
STEP_CHECKER_VERSION = "mathpref-steps-1"
STATUS_OK = "ok"
STATUS_ARITH_ERROR = "arith_error"
STATUS_UNCHECKED = "unchecked"

_PARA_RE = re.compile(r"\n[ \t\r]*\n")
_STEP_MARK_RE = re.compile(r"(?<=\S)\s+(?=(?:\*\*|#+\s*)?Step\s+\d+\s*[:.)])", re.I)


@dataclass(frozen=True)
class ClaimDetail:
    """One failing claim: ``expression`` (exact value ``exact``) vs ``stated``."""

    expression: str
    stated: str
    exact: str  # canonical Fraction string, e.g. "7/2"


@dataclass(frozen=True)
class StepCheck:
    index: int
    text: str
    status: str  # "ok" | "arith_error" | "unchecked"
    n_claims: int
    n_failed: int
    first_failure: ClaimDetail | None = None


@dataclass(frozen=True)
class StepReport:
    steps: list[StepCheck]
    first_arith_error_step: int | None  # 0-based
    n_claims: int
    n_failed: int
    intermediate_values: list[str] = field(default_factory=list)

    @property
    def step_statuses(self) -> list[str]:
        return [s.status for s in self.steps]


def split_steps(solution: str) -> list[str]:
    """Split a solution into steps (see the module docstring for the rule)."""
    text = solution.replace("\r\n", "\n").strip()
    blocks = _PARA_RE.split(text) if _PARA_RE.search(text) else text.split("\n")
    steps: list[str] = []
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        if "tep" in block:
            steps.extend(p.strip() for p in _STEP_MARK_RE.split(block) if p.strip())
        else:
            steps.append(block)
    return steps


def canonical(value: Fraction) -> str:
    """Canonical string for a value: ``"18"``, ``"7/2"``, ``"-1/3"``."""
    return str(value)


def _stated_values(claims: list[Claim]) -> list[str]:
    # A correct (possibly rounded) statement establishes the exact value; a wrong
    # one establishes what was written, since later steps build on that.
    return [
        canonical(c.exact if c.ok else c.stated_value) for c in claims if c.stated_value is not None
    ]


def check_step(index: int, text: str) -> tuple[StepCheck, list[Claim]]:
    claims = claims_in_step(text)
    failed = [c for c in claims if not c.ok]
    if failed:
        c = failed[0]
        detail = ClaimDetail(c.expression, c.stated, canonical(c.exact))
        status = STATUS_ARITH_ERROR
    else:
        detail = None
        status = STATUS_OK if claims else STATUS_UNCHECKED
    return StepCheck(index, text, status, len(claims), len(failed), detail), claims


@lru_cache(maxsize=1 << 17)
def _step_summary(text: str) -> tuple[str, int, int, ClaimDetail | None, tuple[str, ...]]:
    """``check_step`` minus the index, cached (steps repeat across samples of one problem)."""
    check, claims = check_step(0, text)
    values = tuple(_stated_values(claims))
    return check.status, check.n_claims, check.n_failed, check.first_failure, values


def check_steps(solution: str | Sequence[str]) -> StepReport:
    """Check every arithmetic claim; ``solution`` is raw text or pre-split steps."""
    steps = split_steps(solution) if isinstance(solution, str) else list(solution)
    checks: list[StepCheck] = []
    values: list[str] = []
    first: int | None = None
    n_claims = n_failed = 0
    for i, text in enumerate(steps):
        status, n_c, n_f, detail, vals = _step_summary(text)
        checks.append(StepCheck(i, text, status, n_c, n_f, detail))
        values.extend(vals)
        n_claims += n_c
        n_failed += n_f
        if first is None and status == STATUS_ARITH_ERROR:
            first = i
    return StepReport(checks, first, n_claims, n_failed, values)


def step_statuses(solution: str | Sequence[str]) -> list[str]:
    """Per-step status strings ("ok" / "arith_error" / "unchecked")."""
    return check_steps(solution).step_statuses


def first_arith_error_step(solution: str | Sequence[str]) -> int | None:
    """0-based index of the first step with a wrong arithmetic claim, else None."""
    return check_steps(solution).first_arith_error_step


def intermediate_values(solution: str | Sequence[str]) -> list[str]:
    """Stated results of all checked claims, in order, as canonical Fraction strings."""
    return check_steps(solution).intermediate_values


def step_starts(solution: str) -> list[int]:
    """Character offset of each step of `split_steps(solution)` in the normalised solution text."""
    text = solution.replace("\r\n", "\n")
    starts, cursor = [], 0
    for step in split_steps(solution):
        at = text.find(step, cursor)
        if at < 0:  # a step reassembled from inline markers: fall back to its first words
            at = text.find(step.split()[0], cursor) if step.split() else cursor
            at = cursor if at < 0 else at
        starts.append(at)
        cursor = at + len(step) if at >= cursor else cursor
    return starts


def prefix_before_step(solution: str, k: int) -> str:
    """The solution text before step `k` (what a continuation of a first wrong step k keeps)."""
    starts = step_starts(solution)
    if not 0 <= k < len(starts):
        raise IndexError(f"step {k} out of range (the solution has {len(starts)} steps)")
    return solution.replace("\r\n", "\n")[: starts[k]]
