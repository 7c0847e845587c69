import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scoring_helpers import make_inputs, traj  # noqa: E402

from mathpref.scoring import ScoreConfig, build_pairs, compute_scores  # noqa: E402


@pytest.fixture
def build():
    """build(rows, score_config=None, pair_config=None, extra_problems=()) -> dict of all tables."""

    def _build(rows, score_config=None, pair_config=None, extra_problems=()):
        p, t, v = make_inputs(rows, extra_problems)
        s = compute_scores(p, t, v, score_config or ScoreConfig())
        r = build_pairs(p, t, v, s["trajectory_scores"], s["problem_scores"], pair_config)
        return {"problems": p, "trajectories": t, "verifications": v, **s, **r}

    return _build


@pytest.fixture
def mixed_rows():
    """Problem p1: 2 correct (canonical, paraphrase), 1 incorrect (counterfactual) with an
    arithmetic error in step 1 and a correct continuation, 1 unverifiable; p2: one correct."""
    return [
        traj("t1", "p1", "a0", values=["1", "2"], tokens=100, probe="canonical"),
        traj("t2", "p1", "a1", values=["1", "3"], tokens=200, probe="paraphrase"),
        traj(
            "t3",
            "p1",
            "a2",
            "incorrect",
            values=["5"],
            tokens=50,
            probe="counterfactual",
            text="s1\ns2 wrong\ns3",
            err=1,
        ),
        traj("t4", "p1", "a3", "unverifiable", key=None, tokens=700),
        traj("c1", "p1", "a2", "correct", parent="t3", prefix="s1", text="s2 right\ns3 ok"),
        traj("t5", "p2", "a0", text="a b c"),
    ]
