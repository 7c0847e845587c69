"""mathpref.verify: answer extraction and equivalence checking for math completions.

A plain library: no stores, CLI or pipeline code. See docs/decisions/0003-verify-equivalence.md.
"""

from mathpref.verify.batch import COLUMNS, grade_batch
from mathpref.verify.extract import RULES, Extraction, extract, extract_answer
from mathpref.verify.grade import GRADER_VERSION, Verdict, equivalent, grade, grade_answer
from mathpref.verify.pool import VerifyPool
from mathpref.verify.step_batch import check_steps_batch
from mathpref.verify.steps import (
    STEP_CHECKER_VERSION,
    StepCheck,
    StepReport,
    check_steps,
    first_arith_error_step,
    intermediate_values,
    prefix_before_step,
    split_steps,
)

__all__ = [
    "COLUMNS",
    "STEP_CHECKER_VERSION",
    "StepCheck",
    "StepReport",
    "check_steps",
    "check_steps_batch",
    "first_arith_error_step",
    "intermediate_values",
    "prefix_before_step",
    "split_steps",
    "GRADER_VERSION",
    "RULES",
    "Extraction",
    "Verdict",
    "VerifyPool",
    "equivalent",
    "extract",
    "extract_answer",
    "grade",
    "grade_answer",
    "grade_batch",
]
