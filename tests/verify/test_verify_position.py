"""Answer position and shape: continuations, check values, boxed sets, emphasis, structures,
decimal commas (docs/decisions/0008). Every fixture is graded per row and in a batch."""

import pytest

from mathpref.verify import COLUMNS, extract, grade, grade_answer, grade_batch
from mathpref.verify.cut import solution_end

# (gold, completion, expected status, expected extracted answer or None to skip)
CASES = [
    # -- continuation cutter ------------------------------------------------------------
    (
        "7",
        "3 + 4 = 7.\nThe answer is 7.\n\nUser: And 5 + 5?\nAssistant: The answer is 10.",
        "correct",
        "7",
    ),
    ("7", "3 + 4 = 7 so 7\nHuman: next one\nAssistant: #### 12", "correct", "7"),
    ("7", "So 3 + 4 = 7.<|im_end|>\n<|im_start|>user\nWhat is 6+6? \\boxed{12}", "correct", "7"),
    ("7", "The sum is 7.</s>[INST] Now 9 + 9 [/INST] The answer is 18", "correct", "7"),
    ("7", "3 + 4 = 7\n\n### Instruction:\nAdd 1 and 1.\n\n### Response:\n#### 2", "correct", "7"),
    (
        "7",
        "We get 7.\n\nProblem 2: What is 2 + 2?\nSolution: 2 + 2 = 4. The answer is 4.",
        "correct",
        "7",
    ),
    ("7", "We get 7 apples.\nQuestion 3. How many pears?\nThe answer is 9", "correct", "7"),
    ("7", "Total: 7.\n\nExercise: try 8 + 8 yourself. The answer is 16.", "correct", "7"),
    ("7", "Total 7.\n\nNow try this one: 6 + 6 = \\boxed{12}", "correct", "7"),
    ("18", "She makes 9 * 2 = 18.\n#### 18\n\nJohn has 3 apples...\n#### 3", "correct", "18"),
    (
        "7",
        "Final Answer: The final answer is 7. I hope it is correct.\n\nProblem: x \\boxed{9}",
        "correct",
        "7",
    ),
    ("4", "\nQuestion: what is 2 + 2?\nThe answer is 4.", "correct", "4"),  # nothing before: no cut
    # -- check values do not replace the answer ------------------------------------------
    ("5", "2x + 3 = 13, so x = \\boxed{5}. Check: 2(5) + 3 = \\boxed{13}.", "correct", "5"),
    (
        "5",
        "The answer is 5.\n\nLet's verify: 2 * 5 + 3 = \\boxed{13}, as required.",
        "correct",
        "5",
    ),
    (
        "5",
        "x = \\boxed{5}\n\nTo double-check, substitute back: 2(5) + 3 = \\boxed{13}",
        "correct",
        "5",
    ),
    (
        "3",
        "The answer is near 2. Now, let's check the score. Hence, the answer is \\boxed{3}.",
        "correct",
        "3",
    ),
    ("13", "x = \\boxed{5}, and then y = 2x + 3 = \\boxed{13}.", "correct", "13"),  # not a check
    # -- several boxes as one answer ------------------------------------------------------
    ("1, -2", "So $x = \\boxed{-2}$ or $x = \\boxed{1}$.", "correct", "-2, 1"),
    ("-2", "So $x = \\boxed{-2}$ or $x = \\boxed{1}$.", "incorrect", "-2, 1"),
    ("0", "The minimum is \\(\\boxed{4 \\log_{10} 1} = \\boxed{0}\\).", "correct", "0"),
    ("4", "\\[4 = \\boxed{\\phantom{2}}.\\]\n\nSo the box holds \\(\\boxed{4}\\).", "correct", "4"),
    ("\\frac{1}{2}", "It is \\boxed{0.5} or \\boxed{\\frac{1}{2}}.", "correct", "0.5"),
    ("6", "Put it in \\boxed{}: \\boxed{6}", "correct", "6"),
    # -- markdown emphasis ----------------------------------------------------------------
    ("42", "So the total is **42**.", "correct", "42"),
    ("42", "The answer is **42**.", "correct", "42"),
    ("42", "The answer is __42__.", "correct", "42"),
    ("8", "**Final Answer:** 8", "correct", "8"),
    ("8", "2 ** 3 = 8", "correct", "8"),  # a power with spaces is not emphasis
    # -- structures compared whole ------------------------------------------------------
    ("6", "The pair is (7, 6).", "incorrect", "(7, 6)"),
    ("(7,6)", "The pair is (7, 6).", "correct", "(7, 6)"),
    ("5", "so the solution set is x \\geq 5", "incorrect", "x \\geq 5"),
    ("5", "Hence x ≥ 5.", "incorrect", "x ≥ 5"),
    ("[2,5)", "The interval is [2, 5).", "correct", "[2, 5)"),
    ("2", "M = \\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "incorrect", None),
    ("6", "we have \\( n = 5, 6 \\)", "incorrect", "5, 6"),
    # the math expression the last number belongs to, whole (math-verify's examples)
    ("(a + b)^2", "The final result is $$(a + b)^2$$", "correct", "(a + b)^2"),
    ("2", "The final result is $$(a + b)^2$$", "incorrect", "(a + b)^2"),
    ("3!", "Therefore, $$3!$$", "correct", "3!"),
    (
        "-\\frac{24}{25}",
        "Therefore, $\\cos \\angle RPS = -\\frac{24}{25}$.",
        "correct",
        "-\\frac{24}{25}",
    ),
    ("18", "She pays $5 and then $13 more, 18 in all", "correct", "18"),  # dollars, not math
    ("1000", "It costs (1,000) dollars", "correct", "1,000"),
    ("3", "He bought apples (for 2, 3 days) and paid 3", "correct", "3"),
    ("12", "Since 12 > 10 the answer stays 12", "correct", "12"),
    # -- markdown headings are not #### answers --------------------------------------------
    ("9", "#### Step 1: Add\n3 + 6 = 9\n#### Step 2: Box\n\\boxed{9}", "correct", "9"),
    # -- decimal commas -------------------------------------------------------------------
    ("0.111", "The probability is 0,111", "correct", "0,111"),
    ("111", "The probability is 0,111", "incorrect", "0,111"),
    ("3.5", "Each costs 3,5 euros", "correct", "3,5"),
    ("1234", "The total is 1,234", "correct", "1,234"),
    ("1.234", "We have 2,5 kg and 1,5 kg, so the total is 1,234", "correct", "1,234"),
    ("1234", "We have 2,5 kg and 1,234,567 g, so it is 1,234", "incorrect", "1,234"),
    ("1234", "The answer is 1,234", "correct", "1,234"),
    # a stray backslash before digits (a lost \\$)
    ("15", "The final answer is: \\boxed{\\15}", "correct", "\\15"),
]


@pytest.mark.parametrize(("gold", "completion", "status", "answer"), CASES)
def test_case(gold, completion, status, answer):
    v = grade(gold, completion)
    assert v.status == status, v
    if answer is not None:
        assert v.extracted_answer == answer, v


def test_batch_equals_per_row():
    golds = [c[0] for c in CASES]
    comps = [c[1] for c in CASES]
    rows = grade_batch(golds, comps, dedupe=False).to_pylist()
    for g, c, row in zip(golds, comps, rows, strict=True):
        v = grade(g, c)
        assert row == {k: getattr(v, k) for k in COLUMNS}, (g, c)


def test_ambiguous_number_reason():
    v = grade("1234", "We have 2,5 kg and 1,234,567 g, so it is 1,234")
    assert (v.status, v.reason) == ("incorrect", "ambiguous_number")
    # unverifiable is only for a gold that does not parse
    assert grade_answer("", "5", None).reason == "gold_unparseable"
    # a gold never reads a comma as a decimal mark: "0,111" is not 111
    assert grade_answer("0,111", "111", None).status == "incorrect"
    assert grade_answer("58,500", "58500", None).status == "correct"


def test_rules_named():
    assert extract("So $x = \\boxed{-2}$ or $x = \\boxed{1}$.").rule == "boxed_set"
    assert extract("The pair is (7, 6).").rule == "last_structure"
    assert extract("Each costs 3,5 euros").comma == "decimal"


def test_solution_end_reasons():
    assert solution_end("x\n#### 5\nmore")[1] == "hash_line"
    assert solution_end("x\nUser: hi")[1] == "continuation"
    assert solution_end("x\n#### 5")[1] is None  # nothing after the terminator
    assert solution_end("x\n# Answer\n\n29\n\nProblem: ...")[1] == "continuation"
