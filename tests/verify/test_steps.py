"""Tests for the arithmetic step checker (mathpref.verify.steps / arith)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from mathpref.verify.arith import ArithError, evaluate, matches
from mathpref.verify.step_batch import check_steps_batch
from mathpref.verify.steps import check_steps, intermediate_values, split_steps

pytestmark = pytest.mark.timeout(60)
GSM8K_TEST = Path("/work/shared/data/gsm8k/test.jsonl")

CASES = [  # (solution, expected first_arith_error_step)
    (
        "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18",
        None,
    ),
    ("Janet sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = $17.\n#### 17", 1),
    (
        "It costs 800/3 = <<800/3=266.6666666666667>>266.67 each.\nSo 10/3 = 3.33 and 2/3 = 0.67",
        None,
    ),
    ("First 10/3 = 3.3 laps.\nThen 10/3 = 3 laps.", 1),  # a shown integer must be exact
    ("She had 1,000 + 2,500 = $3,500.\nThat is 3,500 x 2 = 7,000.\nSo 7,000 ÷ 4 = 1,751", 2),
    ("The rate is 1000/7 ≈ 142.9.\nRoughly 1000/7 = about 143.\nBut 1000/7 ≈ 150", 2),
    ("We buy apples.\nThen $2 \\times 3 = 6$ and \\frac{1}{2} \\cdot 8 = 4.\nSo 2^3 = 9", 2),
    ("Step 1: 5% of 80 = 4. Step 2: 1/4 = 25%. Step 3: 3 * 4 = 12 + 5 = 18", 2),
    ("Good: <<5*3=15>>15 apples.\nBad note: <<5*3=16>>16 apples.", 1),
    ("Let x - 3 = 5, so f(2) = 7 and 2x + 3 = 7.\nThus 3 / 4 * 2 = 1 1/2 cups", None),
    ("9**9**9**9 = 5 and 10^100000 = 3 and 123456789^999 = 1", None),
    ("2 / 0 = 1 and " + "9" * 500 + " + 1 = 2", None),
]


@pytest.mark.parametrize(("solution", "expected"), CASES)
def test_first_arith_error_step(solution: str, expected: int | None) -> None:
    assert check_steps(solution).first_arith_error_step == expected


def test_report_details_and_values() -> None:
    rep = check_steps("16 - 3 - 4 = 9\nthen 7 / 2 = 3.5 and 9 * 2 = $17\nno claim here")
    assert rep.step_statuses == ["ok", "arith_error", "unchecked"]
    assert (rep.n_claims, rep.n_failed) == (3, 1)
    detail = rep.steps[1].first_failure
    assert detail is not None
    assert (detail.expression, detail.stated, detail.exact) == ("9 * 2", "17", "18")
    assert intermediate_values("4 * 2 = 8\n7 / 2 = 3.5") == ["8", "7/2"]


def test_hostile_inputs_are_unchecked_quickly() -> None:
    rep = check_steps("9**9**9**9 = 1\n" + "(" * 5000 + "1" + ")" * 5000 + " = 1\n2^-9999 = 0")
    assert rep.n_failed == 0
    assert all(s.status == "unchecked" for s in rep.steps)


def test_split_steps_rule() -> None:
    assert split_steps("a\n\nb\nc\n\n\nd") == ["a", "b\nc", "d"]
    assert split_steps("a\n b \n\n") == ["a", "b"]
    assert split_steps("Step 1: x = 1. Step 2: y = 2.") == ["Step 1: x = 1.", "Step 2: y = 2."]


def test_evaluator_whitelist() -> None:
    assert evaluate("16-3-4") == 9
    assert evaluate("2 × (3 + 4) ÷ 7") == 2
    assert evaluate("1,000 * 1.5") == 1500
    assert evaluate("-2^2") == -4
    assert evaluate("25% * 8") == 2
    assert evaluate("25 / 1/3") == 75  # GSM8K: a tight fraction is one number
    for bad in (
        "__import__('os')",
        "a.b",
        "f(2)",
        "x + 1",
        "2; 3",
        "[1]",
        "'1'",
        "1 +",
        "9**9**9**9",
        "2 / 0",
        "4 ^ 0.5",
        "1" * 200,
    ):
        with pytest.raises(ArithError):
            evaluate(bad)


def test_rounding_rules() -> None:
    third = Fraction(10, 3)
    assert matches(third, Fraction("3.33"), 2)
    assert matches(third, Fraction("3.3"), 1)
    assert not matches(third, Fraction(3), 0)
    assert matches(third, Fraction(3), 0, approx=False) is False
    assert matches(Fraction(1000, 7), Fraction(140), 0, approx=True)
    assert not matches(Fraction(1000, 7), Fraction(150), 0, approx=True)
    assert matches(Fraction(3, 10), Fraction("0.30000000000000004"), 17)


def test_batch_table() -> None:
    table = check_steps_batch(["2 + 2 = 4", "2 + 2 = 5\n#### 5", ""])
    assert table.column_names == [
        "step_statuses",
        "first_arith_error_step",
        "n_steps",
        "n_claims",
        "n_failed_claims",
        "intermediate_values",
    ]
    rows = table.to_pylist()
    assert rows[0]["first_arith_error_step"] is None
    assert rows[1]["step_statuses"] == ["arith_error", "unchecked"]
    assert rows[1]["first_arith_error_step"] == 0
    assert rows[2]["n_steps"] == 0
    assert str(table.schema.field("first_arith_error_step").type) == "int32"


@pytest.mark.skipif(not GSM8K_TEST.exists(), reason="shared data not present")
def test_gsm8k_reference_solutions_have_almost_no_flags() -> None:
    rows = [json.loads(line) for line in GSM8K_TEST.read_text().splitlines()]
    table = check_steps_batch([r["answer"] for r in rows])
    flagged = sum(v is not None for v in table.column("first_arith_error_step").to_pylist())
    assert sum(table.column("n_claims").to_pylist()) > 4000
    # measured: 1 (row 1024, "$32 - $20 = $300", a real typo in GSM8K)
    assert flagged <= 2
