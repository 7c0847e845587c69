"""Canonical answer keys: equivalent answers share one answer_key (issue 10's grouping)."""

import pytest

from mathpref.verify import grade_batch
from mathpref.verify.keys import unify_keys

ROWS = [  # (problem, gold, completion)
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\sqrt{2}/2}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{\\sqrt2}{2}}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt{2}}}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\sqrt{3}/3}"),  # wrong, twice, written two ways
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt3}}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{0.7}"),
    ("q", "7", "The answer is 7."),
    ("q", "7", "\\boxed{\\sqrt{49}}"),
    ("q", "7", "\\boxed{8}"),
    ("q", "7", "\\boxed{2^3}"),  # 8 written differently
    ("r", "x+1", "\\boxed{1+x}"),
    ("r", "x+1", "no answer here"),
]


@pytest.mark.timeout(120)
def test_equivalent_answers_share_a_key():
    pids = [r[0] for r in ROWS]
    golds = [r[1] for r in ROWS]
    t = grade_batch(golds, [r[2] for r in ROWS]).to_pylist()
    keys, stats = unify_keys(
        pids,
        golds,
        [v["extracted_answer"] for v in t],
        [v["answer_key"] for v in t],
        [v["status"] for v in t],
    )
    assert [v["status"] for v in t][:3] == ["correct"] * 3
    assert len(set(keys[:3])) == 1  # the three ways of writing sqrt(2)/2
    assert keys[3] == keys[4] and keys[3] != keys[0]  # two ways of one wrong answer
    assert keys[5] == "0.7"  # exact numbers keep their key
    assert keys[6] == keys[7] == "7"
    assert keys[8] == keys[9] == "8"
    assert keys[10] is not None and keys[11] is None
    assert stats["merged"] >= 1
    # grouping by key now equals grouping by equivalence: distinct keys per problem
    assert len({k for p, k in zip(pids, keys, strict=True) if p == "p"}) == 3
