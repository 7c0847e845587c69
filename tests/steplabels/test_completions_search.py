"""Bisection over step prefixes against hand-made oracles (which prefixes reach the gold)."""

from types import SimpleNamespace

import pytest

from mathpref.steplabels.base import StepItem
from mathpref.steplabels.completions import label, prefix_through, search

K = 3


def oracle(reach: list[bool], asked: list):
    """A probe answering from `reach` (prefix i reaches the gold), k flags per asked step."""

    def probe(pairs):
        asked.extend(pairs)
        return {(j, s): [reach[s]] * K for j, s in pairs}

    return probe


@pytest.mark.parametrize(
    "reach, first, probes",
    [
        # monotone: prefixes 0-3 reach, 4.. fail (the last one is the solution: known, not asked)
        ([True] * 4 + [False] * 4, 4, {3, 5, 4}),
        ([False] * 8, 0, {3, 1, 0}),  # step 0 already wrong: confirm asks 1
        ([True] * 7 + [False], 7, {3, 5, 6}),  # only the last step (the answer) is wrong
        ([True, False], 1, {0}),  # 2 steps: one probe, no neighbour to ask (1 is known)
    ],
)
def test_monotone(reach, first, probes):
    asked: list = []
    [(got, probed, recovered)] = search(len(reach), False, oracle(reach, asked))
    assert got == first and recovered == []
    assert {s for _, s in asked} == probes == set(probed)
    assert len(asked) == len(set(asked))  # no prefix asked twice
    assert len(asked) <= 4  # log2(8) + 1 confirmation, not 7 expansions


def test_non_monotone_recovery_resumes_above():
    # 3 fails (a sampling miss) but 4 reaches again; the real boundary is 5
    reach = [True, True, True, False, True, False, False, False]
    asked: list = []
    [(got, probed, recovered)] = search(8, False, oracle(reach, asked))
    assert recovered == [3]
    assert got == 5
    assert [s for _, s in asked] == [3, 1, 2, 4, 5, 6]


def test_non_monotone_without_confirmation_reports_the_first_boundary():
    reach = [True, True, True, False, True, False, False, False]
    [(got, _, recovered)] = search(8, False, oracle(reach, []), confirm=False)
    assert got == 3 and recovered == []


def test_edge_cases_ask_nothing():
    never = oracle([], [])
    assert search(1, False, never) == [(0, {}, [])]  # one incorrect step: it is the wrong one
    assert search(5, True, never) == [(None, {}, [])]  # a correct solution: no wrong step


def test_rounds_batch_all_items():
    rounds: list = []

    def probe(pairs):
        rounds.append(len(pairs))
        return {(j, s): [s < 2] for j, s in pairs}

    out = search([8, 8, 2], [False, False, True], probe, items=3)
    assert [o[0] for o in out] == [2, 2, None]
    assert rounds[0] == 2  # both open items in one round, the solved one never


# -- label(): the real grader over scripted texts ----------------------------------------------
STEPS = ("3 * 4 = 12 apples.", "12 - 2 = 9 apples are left.", "The answer is 9.")
ITEM = StepItem("t1", "p1", "Tom has 12 apples and eats 2.", "10", STEPS, text="\n".join(STEPS))
CONFIG = SimpleNamespace(k=2, temperature=0.7, top_p=1.0, max_new_tokens=64, seed=0, confirm=True)


def test_label_counts_requests_and_soft_scores():
    replies = {
        prefix_through(ITEM, 0): ["12 - 2 = 10.\nThe answer is 10.", "The answer is 11."],
        prefix_through(ITEM, 1): ["The answer is 9.", "So 9."],
    }
    seen: list = []

    def generate(requests):
        seen.extend(requests)
        return [replies[r.prefix][r.sample_index] for r in requests]

    [lab] = label([ITEM], CONFIG, generate)
    assert lab.status == "labelled" and lab.first_wrong_step == 1
    assert lab.requests == 4 == len(seen)
    assert lab.step_scores == (0.5, 0.0, 0.0)
    assert {r.parent_trajectory_id for r in seen} == {"t1"}
    first = list(seen)
    seen.clear()
    label([ITEM], CONFIG, generate)
    assert [(r.request_id, r.seed) for r in seen] == [(r.request_id, r.seed) for r in first]


def test_label_edge_cases():
    empty = label([ITEM], CONFIG, lambda rs: [""] * len(rs))
    assert empty[0].status == "unverifiable" and empty[0].first_wrong_step is None
    no_steps = StepItem("t2", "p1", "q", "10", ())
    no_gold = StepItem("t3", "p1", "q", "", STEPS)
    right = StepItem("t4", "p1", "q", "9", STEPS, text="\n".join(STEPS))
    labs = label([no_steps, no_gold, right], CONFIG, lambda rs: pytest.fail("asked"))
    assert [x.status for x in labs] == ["unverifiable", "unverifiable", "labelled"]
    assert labs[2].first_wrong_step is None and labs[2].requests == 0
    with pytest.raises(ValueError, match="needs a generation backend"):
        label([ITEM], CONFIG, None)


def test_prefix_through_keeps_the_original_text():
    item = StepItem("t", "p", "q", "1", ("a = 1", "b = 2"), text="  a = 1\n\nb = 2\n")
    assert prefix_through(item, 0) == "  a = 1\n\n"
    assert prefix_through(item, 1) == "  a = 1\n\nb = 2\n"
    assert prefix_through(item, -1) == ""
