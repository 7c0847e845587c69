"""mathpref.verify: answer extraction and equivalence checking for math completions.

A plain library: no stores, CLI or pipeline code. See docs/decisions/0003-verify-equivalence.md.
"""

from mathpref.verify.batch import COLUMNS, grade_batch
from mathpref.verify.extract import RULES, Extraction, extract, extract_answer
from mathpref.verify.grade import GRADER_VERSION, Verdict, equivalent, grade, grade_answer
from mathpref.verify.pool import VerifyPool

__all__ = [
    "COLUMNS",
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
