"""Single-row grading: `Verdict`, `grade`, `equivalent`, `GRADER_VERSION`.

Decision order for a (gold, extracted answer) pair - see docs/decisions/0003:
1. gold missing/blank/hostile/too large      -> unverifiable, "gold_unparseable"
2. no extracted answer                         -> incorrect, "no_answer"
3. hostile answer (pre-filter)                 -> incorrect, "rejected:<why>"
4. an answer whose comma number reads two ways -> incorrect, "ambiguous_number"
   both sides plain numbers                    -> exact rational comparison ("numeric")
5. equal after conservative LaTeX normalisation -> correct ("string")
6. otherwise math-verify in a worker process   -> ("math_verify"), or timeout / error
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from mathpref.verify.commas import AUTO, GOLD, AmbiguousNumber
from mathpref.verify.extract import extract
from mathpref.verify.latex import DEEP_NESTING, hostile_reason, normalize_latex
from mathpref.verify.numeric import NumberTooLarge, number_key, parse_number

# 3: answers from the solution proper (continuation cutter), check segments, boxed sets,
# structured last numbers, markdown emphasis, decimal commas (docs/decisions/0008).
CODE_VERSION = "mathpref-verify-3"
try:
    _MV_VERSION = version("math-verify")
except PackageNotFoundError:  # pragma: no cover
    _MV_VERSION = "missing"
GRADER_VERSION = f"{CODE_VERSION}+math-verify-{_MV_VERSION}"

STATUSES = ("correct", "incorrect", "unverifiable", "timeout", "error")
DECIDERS = ("numeric", "math_verify", "string", "none")


@dataclass(frozen=True)
class Verdict:
    status: str
    extracted_answer: str | None
    answer_key: str | None
    extraction_rule: str | None
    decided_by: str
    reason: str
    grader_version: str = GRADER_VERSION

    @property
    def is_correct(self) -> bool:
        return self.status == "correct"


# A local decision is (status, decided_by, reason, answer_key); None means "ask math-verify".
Local = tuple[str, str, str, str | None]


def _number(s: str, comma: str = AUTO):
    try:
        return parse_number(s, comma), None
    except (NumberTooLarge, AmbiguousNumber) as exc:
        return None, str(exc)


def _balanced(s: str) -> bool:
    if "{" not in s and "}" not in s:
        return True
    depth = 0
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def answer_key(answer: str | None, comma: str = AUTO) -> str | None:
    """Grouping key of an extracted answer: exact number or normalised LaTeX (the verify stage
    then makes equivalent answers share one key, see `mathpref.verify.keys`)."""
    if answer is None or hostile_reason(answer):
        return None
    value, _ = _number(answer, comma)
    if value is not None:
        return number_key(value)
    return normalize_latex(answer) or None


def gold_key(gold: str | None) -> str | None:
    """The key every answer equivalent to this gold gets."""
    if gold is None or not gold.strip() or hostile_reason(gold) or not _balanced(gold):
        return None
    return answer_key(gold, GOLD)


def judge_locally(
    gold: str | None, answer: str | None, comma: str = AUTO
) -> tuple[Local | None, str | None]:
    """Decide without math-verify when possible. Returns (decision or None, answer_key).

    `comma` is how the completion writes comma numbers (`.commas`); gold answers are read with
    commas as thousands or list separators only.
    """
    if gold is None or not gold.strip() or hostile_reason(gold) or not _balanced(gold):
        return ("unverifiable", "none", "gold_unparseable", answer_key(answer, comma)), None
    gold_value, gold_err = _number(gold, GOLD)
    if gold_err:
        return ("unverifiable", "none", "gold_unparseable", answer_key(answer, comma)), None
    if answer is None or not answer.strip():
        return ("incorrect", "none", "no_answer", None), None
    why = hostile_reason(answer)
    if why:
        return ("incorrect", "none", f"rejected:{why}", None), None
    value, err = _number(answer, comma)
    if err == "ambiguous_number":
        return ("incorrect", "none", "ambiguous_number", normalize_latex(answer) or None), None
    if err:
        return ("incorrect", "none", f"rejected:{err}", None), None
    if value is not None:
        key = number_key(value)
        if gold_value is not None:
            ok = value == gold_value
            status = "correct" if ok else "incorrect"
            return (status, "numeric", "numeric_equal" if ok else "numeric_mismatch", key), key
    else:
        key = normalize_latex(answer) or None
    if normalize_latex(gold) == normalize_latex(answer):
        return ("correct", "string", "string_equal", key), key
    return None, key


def _run_math_verify(gold: str, answer: str, timeout: float) -> tuple[str, str, str]:
    from mathpref.verify.pool import shared_pool

    return shared_pool().run([(gold, answer)], timeout=timeout)[0]


def grade(gold: str | None, completion: str, *, timeout: float = 5.0) -> Verdict:
    """Grade one completion against a gold answer. Never raises for bad input."""
    if completion and DEEP_NESTING.search(completion):
        return rejected_completion()
    try:
        ex = extract(completion)
    except Exception as exc:  # noqa: BLE001 - recorded, never raised
        return Verdict("error", None, None, None, "none", f"error:{type(exc).__name__}")
    return grade_answer(gold, ex.answer, ex.rule, timeout=timeout, comma=ex.comma)


def rejected_completion() -> Verdict:
    return Verdict("incorrect", None, None, None, "none", "rejected:nesting_too_deep")


def grade_answer(
    gold: str | None,
    answer: str | None,
    rule: str | None,
    *,
    timeout: float = 5.0,
    comma: str = AUTO,
) -> Verdict:
    """Grade an already extracted answer (`comma`: how its text writes comma numbers)."""
    try:
        local, key = judge_locally(gold, answer, comma)
        if local is not None:
            status, decided_by, reason, key = local
            return Verdict(status, answer, key, rule, decided_by, reason)
        status, decided_by, reason = _run_math_verify(gold, answer, timeout)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001
        return Verdict("error", answer, None, rule, "none", f"error:{type(exc).__name__}")
    return Verdict(status, answer, key, rule, decided_by, reason)


def equivalent(gold: str, prediction: str, *, timeout: float = 5.0) -> bool:
    """True when the two answer strings are equivalent (never raises; timeout -> False)."""
    return grade_answer(gold, prediction, None, timeout=timeout).status == "correct"
