import time

import pytest

from mathpref.scoring import (
    PairConfig,
    ScoreConfig,
    build_pairs,
    compute_scores,
    raise_for_audits,
    run_audits,
)
from mathpref.scoring.synthetic import make_synthetic


def _run(n_problems):
    p, t, v = make_synthetic(n_problems)
    start = time.perf_counter()
    s = compute_scores(p, t, v, ScoreConfig())
    r = build_pairs(p, t, v, s["trajectory_scores"], s["problem_scores"], PairConfig())
    return {
        "problems": p,
        "trajectories": t,
        "verifications": v,
        **s,
        **r,
    }, time.perf_counter() - start


def test_synthetic_build_is_consistent_and_passes_audits():
    out, _ = _run(500)
    assert out["trajectory_scores"].num_rows == 4000
    assert out["problem_scores"].num_rows == 500
    counts = out["report"]["counts"]["pairs"]
    assert counts["correctness:cap=4,seed=0,balance=arm"] <= 4 * 500
    raise_for_audits(run_audits({k: v for k, v in out.items() if k != "report"}))


@pytest.mark.slow
def test_one_million_trajectories():
    out, _ = _run(125_000)
    assert out["trajectory_scores"].num_rows == 1_000_000
