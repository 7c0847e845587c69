"""Equivalence families: exact numeric fast path, string path, math-verify path."""

import pytest

from mathpref.verify import GRADER_VERSION, equivalent, grade, grade_answer
from mathpref.verify.numeric import number_key, parse_number

NUMERIC_TRUE = [
    ("18", "18.0"),
    ("1000", "1,000"),
    ("18", "$18"),
    ("18", "\\$18"),
    ("25", "25\\%"),
    ("25", "25%"),
    ("18", "18 dollars"),
    ("5", "5 cm"),
    ("0.75", "3/4"),
    ("\\frac{3}{4}", "0.75"),
    ("\\dfrac{1}{9}", "\\frac{1}{9}"),
    ("\\tfrac{1}{2}", "1/2"),
    ("-4", "-4"),
    ("-\\frac{40}{153}", "-40/153"),
    ("1500", "1.5e3"),
    ("0.0025", "2.5 \\times 10^{-3}"),
    ("12\\frac{3}{5}", "\\frac{63}{5}"),
    ("10{,}000", "10000"),
    ("3,\\!250", "3250"),
    ("48^\\circ", "48"),
    ("100\\text{ square units}", "100"),
    ("x = 5", "5"),
]
NUMERIC_FALSE = [
    ("18", "19"),
    ("1/3", "0.333333"),  # by design: exact rationals, no tolerance
    ("25\\%", "0.25"),  # by design: "%" is a unit, 25% reads as 25
    ("-4", "4"),
    ("1000", "100"),
    ("5", "5 million"),
]
MATH_VERIFY_TRUE = [
    ("\\sqrt{2}", "\\frac{2}{\\sqrt{2}}"),
    ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}"),
    ("x^2+1", "1+x^2"),
    ("\\{1,2\\}", "\\{2,1\\}"),
    ("(1,2]", "(1,2]"),
    ("[0,\\infty)", "[0, \\infty)"),
    ("y = 2x+1", "2x+1"),
    ("7\\pi", "7\\pi"),
    ("(A)", "A"),
]
MATH_VERIFY_FALSE = [
    ("\\sqrt{2}", "\\sqrt{3}"),
    ("(1,2]", "[1,2]"),
    ("\\{1,2\\}", "\\{1,3\\}"),
    ("x^2+1", "x^2-1"),
    ("A", "C"),
    ("\\text{4:30 p.m.}", "4:30 \\text{ p.m.}"),  # see decision record: left to math-verify
]


@pytest.mark.parametrize(("gold", "pred"), NUMERIC_TRUE)
def test_numeric_true(gold, pred):
    v = grade_answer(gold, pred, None)
    assert v.status == "correct" and v.decided_by in ("numeric", "string"), v


@pytest.mark.parametrize(("gold", "pred"), NUMERIC_FALSE)
def test_numeric_false(gold, pred):
    v = grade_answer(gold, pred, None)
    assert v.status == "incorrect" and v.decided_by == "numeric", v


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("gold", "pred"), MATH_VERIFY_TRUE)
def test_math_verify_true(gold, pred):
    assert equivalent(gold, pred)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("gold", "pred"), MATH_VERIFY_FALSE)
def test_math_verify_false(gold, pred):
    assert not equivalent(gold, pred)


def test_exact_rationals_and_caps():
    assert parse_number("0.1") + parse_number("0.2") == parse_number("0.3")
    assert parse_number("1e-400") is not None
    with pytest.raises(ValueError):
        parse_number("1e5000")
    with pytest.raises(ValueError):
        parse_number("9" * 5000)


def test_answer_keys_are_canonical():
    assert grade("18", "#### 18.00").answer_key == "18"
    assert grade("18", "The answer is $18").answer_key == "18"
    assert grade("1", "\\boxed{\\frac{2}{4}}").answer_key == "0.5"
    assert grade("1", "\\boxed{\\frac{1}{3}}").answer_key == "1/3"
    assert grade("1", "\\boxed{ \\left( 1, 2 \\right) }").answer_key == "(1,2)"
    assert grade("1", "no answer here").answer_key is None
    assert number_key(parse_number("-0.0")) == "0"


@pytest.mark.parametrize("gold", [None, "", "   ", "\\frac{1}{", "9" * 2000])
def test_unverifiable_gold_is_never_correct(gold):
    v = grade(gold, "The answer is 5.")
    assert v.status == "unverifiable" and v.reason == "gold_unparseable"
    v = grade_answer(gold, gold, None)
    assert v.status == "unverifiable"


@pytest.mark.timeout(60)
def test_gold_unparseable_by_math_verify():
    v = grade("\\text{}", "\\boxed{x}")
    assert v.status == "unverifiable" and v.reason == "gold_unparseable"


def test_no_answer_and_verdict_fields():
    v = grade("5", "I do not know.")
    assert (v.status, v.reason, v.decided_by, v.extracted_answer) == (
        "incorrect",
        "no_answer",
        "none",
        None,
    )
    assert v.grader_version == GRADER_VERSION
    assert GRADER_VERSION.startswith("mathpref-verify-") and "+math-verify-" in GRADER_VERSION
    with pytest.raises(AttributeError):
        v.status = "correct"  # frozen
