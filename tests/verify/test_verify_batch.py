"""grade_batch: order, dedupe, inputs, and agreement of the vector path with grade()."""

import random

import pyarrow as pa
import pytest

from mathpref.verify import COLUMNS, grade, grade_batch


def _rows():
    golds = ["18", "18", "\\frac{1}{2}", "7", None, "x+1", "5", "1,000", "3", "2"]
    comps = [
        "#### 18",
        "The answer is 17.",
        "So \\boxed{0.5}",
        "A: 7 apples",
        "The answer is 4.",
        "\\boxed{1+x}",
        "no answer",
        "Total: 1000 dollars\nThe answer is $1,000.",
        "The answer is 3.\n\nQuestion: next\nThe answer is 9.",
        None,
    ]
    return golds, comps


@pytest.mark.timeout(60)
def test_batch_matches_single_grade_in_order():
    golds, comps = _rows()
    table = grade_batch(golds, comps)
    assert table.column_names == list(COLUMNS)
    assert all(table.schema.field(c).type == pa.string() for c in COLUMNS)
    rows = table.to_pylist()
    assert len(rows) == len(golds)
    for g, c, row in zip(golds, comps, rows, strict=True):
        v = grade(g, c or "")
        assert row == {k: getattr(v, k) for k in COLUMNS}, (g, c)
    assert [r["status"] for r in rows] == [
        "correct",
        "incorrect",
        "correct",
        "correct",
        "unverifiable",
        "correct",
        "incorrect",
        "correct",
        "correct",
        "incorrect",
    ]


@pytest.mark.timeout(60)
def test_dedupe_gives_same_result_and_accepts_arrow():
    golds, comps = _rows()
    golds, comps = golds * 7, comps * 7
    a = grade_batch(golds, comps, dedupe=True)
    b = grade_batch(
        pa.array(golds, pa.string()), pa.chunked_array([pa.array(comps)]), dedupe=False, workers=1
    )
    assert a.equals(b)


@pytest.mark.timeout(120)
def test_vector_path_agrees_with_per_row_grade():
    rng = random.Random(7)
    fmts = [
        "#### {}",
        "The answer is {}.",
        "A: {}",
        "\\boxed{{{}}}",
        "Total {} today",
        "The answer is {}.\nQuestion: what is 9?\nThe answer is 9.",
        "Answer: ${}",
        "A: it is {} apples in the big red basket",
        "#### {} dollars",
        "the answer is: {}",
    ]
    vals = ["18", "1,000", "$12.50", "-3", "0.5", "007", "2.50", "1/2", "18 million", "3x"]
    golds, comps = [], []
    for _ in range(400):
        golds.append(rng.choice(["18", "1000", "12.5", "-3", "1/2", "7", "0.5"]))
        comps.append("Work: 3 + 4 = <<3+4=7>>7.\n" + rng.choice(fmts).format(rng.choice(vals)))
    rows = grade_batch(golds, comps).to_pylist()
    for g, c, row in zip(golds, comps, rows, strict=True):
        v = grade(g, c)
        assert row == {k: getattr(v, k) for k in COLUMNS}, (g, c)


def test_progress_and_length_mismatch():
    seen = []
    grade_batch(["1", "2"], ["#### 1", "#### 3"], progress=seen.append)
    assert seen and seen[-1] == 2
    with pytest.raises(ValueError):
        grade_batch(["1"], ["a", "b"])
    assert grade_batch([], []).num_rows == 0
