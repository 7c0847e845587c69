"""Hand-made cases that pin the estimators and the vote rules of docs/decisions/0007."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from mathpref.evaluation.estimators import (
    bootstrap_means,
    k_grid,
    majority_vote,
    pass_at_k,
    percentile_interval,
    wilson_interval,
)
from mathpref.evaluation.metrics import problem_values


def _pass_by_enumeration(correct: list[bool], k: int) -> float:
    """The share of k-subsets of the samples that hold a correct one (the estimator's meaning)."""
    subsets = list(itertools.combinations(range(len(correct)), k))
    return sum(any(correct[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_pass_at_k_equals_subset_enumeration(n):
    for c in range(n + 1):
        correct = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_pass_by_enumeration(correct, k), abs=1e-12)


def test_pass_at_k_hand_values_and_n_minus_c_below_k():
    assert pass_at_k(8, 1, 1) == 1 / 8
    assert pass_at_k(8, 1, 4) == pytest.approx(1 - math.comb(7, 4) / math.comb(8, 4))  # = 0.5
    assert pass_at_k(8, 1, 4) == pytest.approx(0.5)
    assert pass_at_k(4, 2, 2) == pytest.approx(1 - 1 / 6)
    # n - c < k: every k-subset holds a correct sample (C(n-c, k) = 0)
    assert pass_at_k(8, 6, 4) == 1.0
    assert pass_at_k(5, 3, 3) == 1.0
    assert pass_at_k(8, 0, 8) == 0.0
    assert pass_at_k(8, 1, 8) == 1.0
    with pytest.raises(ValueError, match="undefined"):
        pass_at_k(2, 1, 4)
    with pytest.raises(ValueError):
        pass_at_k(2, 3, 1)


def test_vote_plain_majority_and_first_k_only():
    keys = ["7", "8", "7", "8", "8"]
    correct = [True, False, True, False, False]
    assert majority_vote(keys, correct, 5).score == 0.0  # 8 wins 3-2
    assert majority_vote(keys, correct, 3).score == 1.0  # first three: 7 wins 2-1
    v = majority_vote(keys, correct, 3)
    assert v.winners == ("7",) and v.votes == 2 and not v.tied


def test_tie_gives_mean_correctness_of_tied_answers():
    v = majority_vote(["7", "8"], [True, False], 2)
    assert v.tied and v.winners == ("7", "8") and v.score == 0.5
    three = majority_vote(["1", "2", "3", "1", "2", "3"], [0, 0, 1, 0, 0, 1], 6)
    assert three.score == pytest.approx(1 / 3)
    # both tied answers wrong: 0; order of first appearance decides the reported winner only
    assert majority_vote(["9", "8"], [False, False], 2) == majority_vote(["9", "8"], [0, 0], 2)
    assert majority_vote(["9", "8"], [False, False], 2).winners == ("9", "8")


def test_no_answer_casts_no_vote_and_never_wins():
    # two samples without an answer outnumber the one answer: the answer still wins
    v = majority_vote([None, None, "5"], [False, False, True], 3)
    assert v.winners == ("5",) and v.score == 1.0
    # no answer at all in the first k: 0, even though a later sample is correct
    nothing = majority_vote([None, None, "5"], [False, False, True], 2)
    assert nothing.winners == () and nothing.score == 0.0 and nothing.votes == 0


def test_statuses_other_than_correct_are_not_correct_but_count():
    statuses = ["correct", "timeout", "error", "unverifiable", "incorrect"]
    keys = ["4", "4", "5", "6", None]
    # denominators keep every sample: 1 correct of 5
    assert problem_values(keys, statuses, "pass1_avg", 1) == pytest.approx(0.2)
    assert problem_values(keys, statuses, "pass", 1) == pytest.approx(0.2)
    assert problem_values(keys, statuses, "pass", 4) == pytest.approx(1 - 1 / 5)  # C(4,4)/C(5,4)
    assert problem_values(keys, statuses, "accuracy", 1) == 1.0
    assert problem_values(keys[1:], statuses[1:], "accuracy", 1) == 0.0  # first is a timeout
    # key "4" has a correct and a timeout verdict: the key is correct and wins 2-1-1
    assert problem_values(keys, statuses, "maj", 5) == 1.0
    # a timeout alone never makes its key correct
    assert problem_values(["5", "5", "4"], ["timeout", "error", "correct"], "maj", 3) == 0.0


def test_wilson_interval_hand_values():
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    low, high = wilson_interval(10, 10)
    assert round(low, 4) == 0.7225 and high == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    narrow = wilson_interval(500, 1000, confidence=0.5)
    wide = wilson_interval(500, 1000, confidence=0.99)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]


def test_bootstrap_is_seeded_and_covers_the_mean():
    values = np.array([[1, 0, 1, 1, 0, 1, 1, 1, 0, 1] * 5, [0.5] * 50])
    a = bootstrap_means(values, 1000, seed=3)
    b = bootstrap_means(values, 1000, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, bootstrap_means(values, 1000, seed=4))
    low, high = percentile_interval(a[0])
    assert low < values[0].mean() < high
    assert percentile_interval(a[1]) == (0.5, 0.5)  # a constant has no spread
    # the first resamples do not depend on how many are drawn in all
    assert np.array_equal(bootstrap_means(values, 300, seed=3), a[:, :300])


def test_k_grid():
    assert k_grid(1) == [1]
    assert k_grid(2) == [1, 2]
    assert k_grid(8) == [1, 2, 4, 8]
    assert k_grid(5) == [1, 2, 4, 5]


def test_mixed_verdicts_within_a_key_are_detected():
    from mathpref.evaluation.examples import _mixed_verdicts

    assert _mixed_verdicts(["4", "4"], ["correct", "timeout"])
    assert not _mixed_verdicts(["4", "5", None], ["correct", "incorrect", "correct"])
