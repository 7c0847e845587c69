import pyarrow as pa
import pytest
from scoring_helpers import traj

from mathpref.scoring import PairConfig, ScoreConfig, pair_rules


def grid(pid="p", n_correct=4, n_incorrect=4, arms=None):
    """n_correct correct and n_incorrect incorrect rows of one problem, distinct texts/tokens."""
    rows = []
    for i in range(n_correct):
        arm = arms[i] if arms else f"a{i}"
        rows.append(traj(f"{pid}c{i}", pid, arm, tokens=100 + 10 * i, sample=i))
    for j in range(n_incorrect):
        rows.append(traj(f"{pid}i{j}", pid, f"b{j}", "incorrect", tokens=100 + j, sample=j))
    return rows


def pair_set(out, pair_type="correctness"):
    return {
        (r["chosen_trajectory_id"], r["rejected_trajectory_id"])
        for r in out["pairs"].to_pylist()
        if r["pair_type"] == pair_type
    }


def test_correctness_all_pairs_and_rule(build):
    out = build(
        grid(n_correct=2, n_incorrect=3),
        pair_config=PairConfig(max_pairs_per_problem=0, strategies=("correctness",)),
    )
    assert len(pair_set(out)) == 6
    rows = out["pairs"].to_pylist()
    assert {r["pair_rule"] for r in rows} == {"correctness:cap=all,seed=0,balance=arm"}
    assert all(r["prompt"] == "Q p" and r["margin"] > 0 for r in rows)
    assert out["report"]["counts"]["pairs"] == {"correctness:cap=all,seed=0,balance=arm": 6}


def test_correctness_cap_uses_each_trajectory_once(build):
    for seed in range(5):
        out = build(grid(), pair_config=PairConfig(max_pairs_per_problem=4, seed=seed))
        pairs = pair_set(out)
        assert len(pairs) == 4
        assert len({c for c, _ in pairs}) == 4 and len({r for _, r in pairs}) == 4


def test_caps_are_deterministic_per_seed(build):
    def picked(seed):
        return pair_set(build(grid(), pair_config=PairConfig(max_pairs_per_problem=2, seed=seed)))

    assert picked(0) == picked(0)
    assert len({frozenset(picked(s)) for s in range(8)}) > 1


def test_balance_by_arm(build):
    rows = grid(n_correct=4, n_incorrect=1, arms=["x", "x", "x", "y"])
    for seed in range(6):
        out = build(rows, pair_config=PairConfig(max_pairs_per_problem=2, seed=seed))
        assert {
            r["chosen_arm"] for r in out["pairs"].to_pylist() if r["pair_type"] == "correctness"
        } == {"x", "y"}


def test_one_arm_only(build):
    rows = [traj(f"c{i}", "p", "solo", tokens=100 + i, sample=i) for i in range(3)]
    rows += [traj(f"i{i}", "p", "solo", "incorrect", sample=3 + i) for i in range(2)]
    out = build(rows, pair_config=PairConfig(max_pairs_per_problem=3))
    assert len(pair_set(out)) == 3
    assert {r["chosen_arm"] for r in out["pairs"].to_pylist()} == {"solo"}


def test_all_correct_and_none_correct(build):
    out = build(grid("all", 3, 0) + grid("none", 0, 3))
    assert pair_set(out) == set()
    coh = out["pairs"].to_pylist()
    assert [(r["problem_id"], r["chosen_trajectory_id"]) for r in coh] == [("all", "allc0")]
    kto = {r["trajectory_id"]: r["label"] for r in out["kto_rows"].to_pylist()}
    assert kto == {
        "allc0": True,
        "allc1": True,
        "allc2": True,
        "nonei0": False,
        "nonei1": False,
        "nonei2": False,
    }


def test_coherence_margin_and_ties(build):
    rows = [
        traj("a", "p", "x", tokens=100),
        traj("b", "p", "y", tokens=100),
        traj("c", "p", "z", tokens=300),
    ]
    skip = build(rows, pair_config=PairConfig(strategies=("coherence",), tie_policy="skip"))
    assert skip["pairs"].num_rows == 0  # a and b tie for the best reward
    by_id = build(rows, pair_config=PairConfig(strategies=("coherence",)))  # default policy
    (row,) = by_id["pairs"].to_pylist()
    assert (row["chosen_trajectory_id"], row["rejected_trajectory_id"]) == ("a", "c")
    assert row["pair_rule"] == "coherence:min_margin=0.01,ties=trajectory_id"
    assert row["margin"] == pytest.approx(0.3 * (1 - 1 / 3))
    strict = build(
        rows,
        pair_config=PairConfig(
            strategies=("coherence",), min_margin=0.5, tie_policy="trajectory_id"
        ),
    )
    assert strict["pairs"].num_rows == 0


def test_ineligible_rows_never_enter(build):
    rows = [
        traj("good", "p", "a"),
        traj("bad", "p", "b", "incorrect"),
        traj("unv", "p", "c", "unverifiable", key=None),
        traj("tmo", "p", "d", "timeout", key=None),
        traj("err", "p", "d", "error", key="7", sample=1),
        traj("cut", "p", "e", "incorrect", finish="length"),
        traj("fb", "p", "f", "correct", rule="last_number"),
    ]
    out = build(rows, pair_config=PairConfig(max_pairs_per_problem=0))
    used = (
        set(out["pairs"]["chosen_trajectory_id"].to_pylist())
        | set(out["pairs"]["rejected_trajectory_id"].to_pylist())
        | set(out["kto_rows"]["trajectory_id"].to_pylist())
    )
    assert used == {"good", "bad"}
    loose = build(
        rows,
        score_config=ScoreConfig(exclude_fallback_answers=False),
        pair_config=PairConfig(max_pairs_per_problem=0),
    )
    assert ("fb", "bad") in pair_set(loose)


def test_identical_texts_removed(build):
    rows = [
        traj("c", "p", "a", text="same text"),
        traj("i", "p", "b", "incorrect", text="same text"),
        traj("i2", "p", "b", "incorrect", text="other", sample=1),
    ]
    out = build(rows, pair_config=PairConfig(max_pairs_per_problem=1))
    assert pair_set(out) == {("c", "i2")}  # the cap counts only non-identical pairs
    rule = pair_rules(PairConfig(max_pairs_per_problem=1))["correctness"]
    assert out["report"]["identical_removed"][rule] == 1


def test_pass_rate_band_filter(build):
    rows = grid("half", 1, 1) + grid("most", 3, 1)
    out = build(rows, pair_config=PairConfig(min_pass_rate=0.6))
    assert set(out["pairs"]["problem_id"].to_pylist()) == {"most"}
    assert set(out["kto_rows"]["problem_id"].to_pylist()) == {"most"}


def test_split_follows_problem(build):
    out = build(grid("p1") + grid("p2"), score_config=ScoreConfig(test_fraction=1.0))
    for name in ("pairs", "kto_rows"):
        assert set(out[name]["split"].to_pylist()) == {"test"}
    ps = {r["problem_id"]: r["split"] for r in out["problem_scores"].to_pylist()}
    out = build(grid("p1") + grid("p2"), score_config=ScoreConfig(test_fraction=0.5))
    ps = {r["problem_id"]: r["split"] for r in out["problem_scores"].to_pylist()}
    assert all(r["split"] == ps[r["problem_id"]] for r in out["pairs"].to_pylist())


def test_kto_caps_and_balance(build):
    rows = grid("p", 3, 1)
    out = build(rows, pair_config=PairConfig(strategies=("unpaired",)))
    assert out["kto_rows"].num_rows == 4
    assert out["kto_rows"]["pair_rule"][0].as_py() == "unpaired:cap=all,seed=0,balance=none"
    capped = build(rows, pair_config=PairConfig(strategies=("unpaired",), kto_max_per_label=2))
    assert sorted(capped["kto_rows"]["label"].to_pylist()) == [False, True, True]
    balanced = build(rows, pair_config=PairConfig(strategies=("unpaired",), kto_balance="label"))
    assert sorted(balanced["kto_rows"]["label"].to_pylist()) == [False, True]
    assert all(r["completion"].startswith("solution") for r in out["kto_rows"].to_pylist())


def test_strategy_subset_and_prompt_source(build):
    out = build(
        grid(), pair_config=PairConfig(strategies=("correctness",), prompt_source="trajectory")
    )
    assert set(out["pairs"]["pair_type"].to_pylist()) == {"correctness"}
    assert out["kto_rows"].num_rows == 0 and out["step_pairs"].num_rows == 0
    assert "step-level: strategy not enabled" in out["report"]["notes"]
    assert all(r["prompt"] == f"[{r['chosen_arm']}] Q p" for r in out["pairs"].to_pylist())


def test_step_pairs_from_correct_continuation(build, mixed_rows):
    out = build(mixed_rows)
    (row,) = out["step_pairs"].to_pylist()
    assert row["rejected_trajectory_id"] == "t3" and row["chosen_trajectory_id"] == "c1"
    assert row["initial_reason_steps"] == "s1\n" and row["error_step"] == 1
    assert row["rejected"] == "s2 wrong" and row["chosen"] == "s2 right"
    assert row["full_chosen"] == "s1\ns2 right\ns3 ok"
    assert row["full_rejected"] == "s1\ns2 wrong\ns3"
    assert row["pair_rule"] == "step:cap=1,seed=0" and row["prompt"] == "Q p1"
    assert out["report"]["counts"]["step_pairs"] == {"step:cap=1,seed=0": 1}


def test_step_pairs_need_matching_prefix_and_correct_continuation(build):
    base = traj("r", "p", "a", "incorrect", text="x = 1\n\ny = 3\n\nz = 4", err=1)
    rows = [
        base,
        traj("ok", "p", "a"),
        traj("k1", "p", "a", parent="r", prefix="x = 1", text="y = 2\n\nz = 3", sample=1),
        traj("k2", "p", "a", parent="r", prefix="x = 2", text="y = 2", sample=2),
        traj("k3", "p", "a", "incorrect", parent="r", prefix="x = 1", text="y = 9", sample=3),
        traj("k4", "p", "a", parent="r", prefix="x = 1", text="y = 3", sample=4),
    ]
    out = build(rows, pair_config=PairConfig(step_max_per_trajectory=0))
    (row,) = out["step_pairs"].to_pylist()  # k2: other prefix, k3: wrong, k4: same step
    assert row["chosen_trajectory_id"] == "k1"
    assert row["initial_reason_steps"] == "x = 1\n\n"  # paragraph-style separator
    report = out["report"]["step"]
    assert report["dropped"] == {"prefix_mismatch": 1} and report["identical_removed"] == 1


def test_no_continuations_reported_not_invented(build):
    out = build(grid())
    assert out["step_pairs"].num_rows == 0
    assert "step-level: no continuations in input" in out["report"]["notes"]
    assert isinstance(out["step_pairs"], pa.Table)
    assert out["step_pairs"].schema.names[0] == "step_pair_id"


def test_report_counts(build, mixed_rows):
    report = build(mixed_rows)["report"]
    assert report["by_type"] == {"correctness": 2, "coherence": 1, "step": 1, "unpaired": 4}
    assert report["candidates"] == 4 and report["correctness_candidate_pairs"] == 2


def test_trajectories_without_a_problem_are_reported():
    from scoring_helpers import make_inputs

    from mathpref.scoring import build_pairs, compute_scores

    p, t, v = make_inputs(grid())
    s = compute_scores(p.slice(0, 0), t, v)
    out = build_pairs(p.slice(0, 0), t, v, s["trajectory_scores"], s["problem_scores"])
    assert out["pairs"].num_rows == 0
    assert "8 trajectories have no problem_scores row: left out" in out["report"]["notes"]
