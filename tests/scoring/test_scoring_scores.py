import math

import pytest
from scoring_helpers import by_id, make_inputs, traj

from mathpref.errors import SpecError
from mathpref.scoring import PairConfig, ScoreConfig, compute_scores


def scores(rows, config=None, extra_problems=()):
    out = compute_scores(*make_inputs(rows, extra_problems), config or ScoreConfig())
    return by_id(out["problem_scores"], "problem_id"), by_id(
        out["trajectory_scores"], "trajectory_id"
    )


def test_problem_scores_known_values(mixed_rows):
    ps, _ = scores(mixed_rows, extra_problems=["p3"])
    p1 = ps["p1"]
    # keys 42, 42, 7, null: 1 agreeing pair of 6 (the continuation c1 is not counted)
    assert p1["n_trajectories"] == 4 and p1["n_correct"] == 2 and p1["n_incorrect"] == 1
    assert p1["n_unjudged"] == 1 and p1["n_arms"] == 4 and p1["n_probe"] == 3
    assert p1["s_end"] == pytest.approx(1 / 6)
    # value sets {1,2} {1,3} {5}: Jaccard 1/3, 0, 0
    assert p1["s_path"] == pytest.approx(1 / 9)
    assert p1["s_cf"] == 0.0  # counterfactual says 7, canonical + paraphrase say 42
    assert p1["s_wm"] == pytest.approx(0.5 / 6 + 0.3 / 9 + 0.2 * 0)
    assert p1["pass_rate"] == pytest.approx(2 / 3)
    assert p1["majority_answer"] == "42" and p1["majority_count"] == 2
    assert p1["majority_is_correct"] is True
    assert p1["difficulty_band"] == "medium"
    p3 = ps["p3"]  # a problem without trajectories still gets a row
    assert p3["n_trajectories"] == 0 and p3["pass_rate"] is None and p3["s_wm"] is None
    assert p3["difficulty_band"] is None and p3["split"] in ("train", "test")


def test_missing_probes_null_s_cf_and_renormalised_s_wm():
    rows = [
        traj("a", "p", "x", values=["1", "2"]),
        traj("b", "p", "y", values=["1", "2"]),
        traj("c", "p", "z", "incorrect", values=["3"]),
    ]
    ps, _ = scores(rows)
    p = ps["p"]
    assert p["s_cf"] is None
    assert p["s_end"] == pytest.approx(1 / 3) and p["s_path"] == pytest.approx(1 / 3)
    assert p["s_wm"] == pytest.approx((0.5 / 3 + 0.3 / 3) / 0.8)


def test_s_cf_needs_both_sides_and_agreement():
    only_cf = [traj("a", "p", "cf", probe="counterfactual"), traj("b", "p", "x")]
    assert scores(only_cf)[0]["p"]["s_cf"] is None
    agree = [
        traj("a", "p", "cf", probe="counterfactual"),
        traj("b", "p", "c", probe="canonical"),
        traj("d", "p", "pp", "incorrect", probe="paraphrase"),
    ]
    assert scores(agree)[0]["p"]["s_cf"] == pytest.approx(0.5)


def test_null_keys_disagree_and_small_problems_are_null():
    ps, _ = scores(
        [
            traj("a", "p", status="unverifiable", key=None),
            traj("b", "p", "y", status="unverifiable", key=None),
            traj("c", "q", values=["1"]),
        ]
    )
    assert ps["p"]["s_end"] == 0.0 and ps["p"]["majority_answer"] is None
    assert ps["p"]["pass_rate"] is None and ps["p"]["s_path"] is None
    assert ps["q"]["s_end"] is None and ps["q"]["s_path"] is None and ps["q"]["s_wm"] is None


def test_all_correct_gets_agreement_bonus():
    rows = [traj(f"t{i}", "p", f"a{i}", tokens=100 * (i + 1)) for i in range(3)]
    ps, ts = scores(rows)
    assert ps["p"]["s_end"] == 1.0 and ps["p"]["pass_rate"] == 1.0
    assert ps["p"]["difficulty_band"] == "easy" and ps["p"]["s_wm"] == 1.0
    for tid, concise in (("t0", 1.0), ("t1", 0.5), ("t2", 1 / 3)):
        t = ts[tid]
        assert t["agreement_bonus"] == 0.2 and t["conciseness"] == pytest.approx(concise)
        assert t["quality"] == pytest.approx(concise)
        assert t["reward"] == pytest.approx(1.0 + 0.5 * 1.0 + 0.3 * concise + 0.2)


def test_no_bonus_when_correct_answers_disagree():
    rows = [traj("a", "p", key="42"), traj("b", "p", "y", key="42.0"), traj("c", "p", "z")]
    _, ts = scores(rows)
    assert all(ts[t]["agreement_bonus"] == 0.0 for t in "abc")


def test_none_correct():
    rows = [traj("a", "p", "x", "incorrect"), traj("b", "p", "y", "incorrect", key="8")]
    ps, ts = scores(rows)
    assert ps["p"]["pass_rate"] == 0.0 and ps["p"]["difficulty_band"] == "very_hard"
    assert ps["p"]["majority_is_correct"] is False and ps["p"]["majority_answer"] == "7"
    assert ts["a"]["quality"] == 0.0 and ts["a"]["conciseness"] is None
    assert ts["a"]["reward"] == pytest.approx(0.5 * ps["p"]["s_wm"])


def test_quality_mixes_conciseness_and_canonical_overlap():
    rows = [
        traj("c1", "p", "canon", values=["1", "2"], tokens=100, probe="canonical"),
        traj(
            "c2", "p", "canon", values=["1", "2", "3", "4"], tokens=100, probe="canonical", sample=1
        ),
        traj("x", "p", "x", values=["1", "3"], tokens=200),
        traj("y", "p", "y", values=None, tokens=100),
    ]
    _, ts = scores(rows)
    assert ts["c1"]["canonical_overlap"] == pytest.approx(0.5)  # vs c2 only
    assert ts["x"]["canonical_overlap"] == pytest.approx((1 / 3 + 2 / 4) / 2)
    assert ts["y"]["canonical_overlap"] == 0.0  # no values of its own
    assert ts["x"]["quality"] == pytest.approx((0.5 + (1 / 3 + 0.5) / 2) / 2)
    alone = scores([traj("c", "p", probe="canonical", values=["1"]), traj("d", "p", "y")])[1]
    assert alone["c"]["canonical_overlap"] is None and alone["d"]["canonical_overlap"] == 0.0


def test_length_penalty_and_weights():
    config = ScoreConfig(
        alpha=2.0,
        beta=0.0,
        gamma=0.0,
        length_penalty_per_token=0.01,
        length_penalty_free_tokens=100,
    )
    _, ts = scores(
        [traj("a", "p", tokens=150), traj("b", "p", "y", "incorrect", tokens=50)], config
    )
    assert ts["a"]["length_penalty"] == pytest.approx(0.5)
    assert ts["a"]["reward"] == pytest.approx(2.0 - 0.5)
    assert ts["b"]["reward"] == 0.0


def test_token_estimate_from_whitespace():
    rows = [traj("a", "p", text="one two\nthree\t four  five\r\n"), traj("b", "p", "y", text="")]
    _, ts = scores(rows, ScoreConfig(whitespace_token_factor=1.5))
    assert ts["a"]["completion_tokens"] == math.ceil(5 * 1.5) and ts["a"]["tokens_estimated"]
    assert ts["b"]["completion_tokens"] == 0


def test_eligibility_reasons():
    rows = [
        traj("ok", "p"),
        traj("unv", "p", status="unverifiable", key=None),
        traj("tmo", "p", status="timeout", key=None),
        traj("err", "p", status="error", key=None),
        traj("cut", "p", finish="length"),
        traj("fb", "p", "incorrect", rule="last_number"),
        traj("short", "p", tokens=2),
        traj("long", "p", tokens=5000),
        traj("nov", "p", status=None),
    ]
    config = ScoreConfig(min_completion_tokens=3, max_completion_tokens=4000)
    reasons = {t: r["ineligible_reason"] for t, r in scores(rows, config)[1].items()}
    assert reasons == {
        "ok": None,
        "unv": "status_unverifiable",
        "tmo": "status_timeout",
        "err": "status_error",
        "cut": "length_cut",
        "fb": "fallback_answer",
        "short": "too_short",
        "long": "too_long",
        "nov": "status_missing",
    }
    loose = scores(rows, ScoreConfig(exclude_fallback_answers=False))[1]
    assert loose["fb"]["eligible"] and loose["long"]["eligible"]


def test_continuations_do_not_count_in_problem_scores(mixed_rows):
    ps, ts = scores(mixed_rows)
    assert ts["c1"]["is_continuation"] and ts["c1"]["quality"] is None
    assert ps["p1"]["n_trajectories"] == 4


def test_split_is_stable_when_problems_are_added():
    rows = [traj(f"t{i}", f"p{i:03d}") for i in range(60)]
    config = ScoreConfig(test_fraction=0.3)
    first = {p: r["split"] for p, r in scores(rows, config)[0].items()}
    more = rows + [traj(f"u{i}", f"q{i:03d}") for i in range(60)]
    second = {p: r["split"] for p, r in scores(more, config)[0].items()}
    assert all(second[p] == s for p, s in first.items())
    assert 0 < sum(s == "test" for s in second.values()) < 120
    assert {r["split"] for r in scores(rows, ScoreConfig(test_fraction=0.0))[0].values()} == {
        "train"
    }
    assert {r["split"] for r in scores(rows, ScoreConfig(test_fraction=1.0))[0].values()} == {
        "test"
    }
    salted = scores(rows, ScoreConfig(test_fraction=0.3, split_salt="v2"))[0]
    assert any(salted[p]["split"] != s for p, s in first.items())


def test_custom_difficulty_bands():
    rows = [traj("a", "p"), traj("b", "p", "y", "incorrect")]
    config = ScoreConfig(difficulty_edges=(0.5,), difficulty_labels=("hard", "easy"))
    assert scores(rows, config)[0]["p"]["difficulty_band"] == "easy"  # 0.5 <= pass_rate


@pytest.mark.parametrize(
    "kwargs",
    [
        {"difficulty_edges": (0.5, 0.2)},
        {"difficulty_edges": (0.5,), "difficulty_labels": ("a", "b", "c")},
        {"w_end": -1.0},
        {"w_end": 0.0, "w_path": 0.0, "w_cf": 0.0},
        {"test_fraction": 1.5},
        {"min_completion_tokens": 10, "max_completion_tokens": 5},
    ],
)
def test_score_config_validation(kwargs):
    with pytest.raises(SpecError):
        ScoreConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strategies": ("correctness", "bogus")},
        {"tie_policy": "coin"},
        {"balance": "x"},
        {"min_pass_rate": 0.8, "max_pass_rate": 0.2},
        {"max_pairs_per_problem": -1},
        {"kto_balance": "y"},
        {"prompt_source": "z"},
        {"seed": -1},
    ],
)
def test_pair_config_validation(kwargs):
    with pytest.raises(SpecError):
        PairConfig(**kwargs)


def test_config_fields_have_help():
    from dataclasses import fields

    for cls in (ScoreConfig, PairConfig):
        assert all(f.metadata.get("help") for f in fields(cls))
