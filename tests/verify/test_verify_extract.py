"""Extraction rules of mathpref.verify.extract."""

import pytest

from mathpref.verify import RULES, extract, extract_answer
from mathpref.verify.latex import last_boxed


@pytest.mark.parametrize(
    ("completion", "answer", "rule"),
    [
        ("She sells 9 eggs.\n#### 18", "18", "hash"),
        ("So 3 + 4 = 7\nA: 7", "7", "answer_colon"),
        ("Work.\nAnswer: $1,000", "$1,000", "answer_colon"),
        ("He has 5 + 2 = 7 apples. The answer is 7.", "7", "the_answer_is"),
        ("so the answer is: 12.5 dollars.", "12.5 dollars", "the_answer_is"),
        (
            "Final Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.",
            "\\frac{1}{2}",
            "final_answer",
        ),
        ("The final answer is \\boxed{42}.", "42", "final_answer"),
        ("The final answer is $\\boxed{x+1}$", "x+1", "final_answer"),
        ("First \\boxed{3}, then \\boxed{\\frac{1}{\\sqrt{2}}}.", "\\frac{1}{\\sqrt{2}}", "boxed"),
        ("Result: \\fbox{5}", "5", "boxed"),
        ("We get 3 + 4 = <<3+4=7>>7 apples, then 10 more", "10", "last_number"),
        ("Total is 1,250.5 dollars", "1,250.5", "last_number"),
        ("So a pencil costs 29 cents.\n\n# Answer\n\n29", "29", "answer_heading"),
        (
            "Work: 2 + 2 = 4.\n## Final Answer:\n  $1+2\\sqrt{3}$ ",
            "$1+2\\sqrt{3}$",
            "answer_heading",
        ),
    ],
)
def test_rules(completion, answer, rule):
    ex = extract(completion)
    assert (ex.answer, ex.rule) == (answer, rule)
    assert ex.rule in RULES


def test_no_answer():
    assert extract("no digits at all") == extract("") == extract(None)
    assert extract_answer("nothing here") is None


def test_followup_block_is_cut_for_all_rules():
    text = "2 + 3 = 5\nThe answer is 5.\n\nQuestion: Tom has 8 apples.\nThe answer is 8."
    assert extract(text).answer == "5"
    text = "We add 2 and 3 to get 5\nQ: next question 99\nA: 99"
    assert extract(text) == extract("We add 2 and 3 to get 5")
    assert extract(text).answer == "5"
    text = "So x is 4\nProblem: compute 77 \\boxed{77}"
    assert extract(text).answer == "4"


def test_followup_only_cut_when_something_precedes():
    assert extract("\nQuestion: what is 2+2?\nThe answer is 4.").answer == "4"


def test_priority_boxed_over_markers_and_first_marker_wins():
    assert extract("The answer is 3.\nSo \\boxed{4}").rule == "boxed"
    assert extract("#### 5\nThe answer is 6.").answer == "5"
    assert extract("The answer is 6.\n#### 5").answer == "6"
    # a long "A:" line is prose, not an answer
    ex = extract("A: Natalia sold 48 clips in April and then 24 more in May\nSo 72 in total")
    assert (ex.answer, ex.rule) == ("72", "last_number")
    # markers beat an answer-colon line
    assert extract("A: 5\nThe answer is 6").answer == "6"


def test_last_boxed_nested_and_unterminated():
    assert last_boxed("\\boxed{\\frac{a}{b}} and \\boxed{\\{1,2\\}}") == "\\{1,2\\}"
    assert last_boxed("\\boxed{1} then \\boxed{2") == "1"
    assert last_boxed("\\boxed 5") == "5"
    assert last_boxed("none") is None


def test_answer_heading_rows_agree_between_vector_and_per_row_paths():
    import polars as pl

    from mathpref.verify.vector import extract_frame

    texts = [
        "Steps 3 + 4 = 7.\n\n# Answer\n\n7",
        "x\n# Answer\n\n#### 5",
        "# Answer\n",
        "No heading: the answer is 3 # Answer 4",
        "1\n###Answer\n12 apples.",
    ]
    frame = extract_frame(pl.Series(texts))
    for text, answer, rule, settled in zip(
        texts, frame["answer"], frame["rule"], frame["settled"], strict=True
    ):
        if settled:
            assert (answer, rule) == (extract(text).answer, extract(text).rule)
    assert [extract(t).rule for t in texts] == [
        "answer_heading",
        "answer_heading",
        None,
        "the_answer_is",
        "answer_heading",
    ]
