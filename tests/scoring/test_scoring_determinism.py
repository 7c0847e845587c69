"""Scores are bit-for-bit reproducible, so stage fingerprints (and caching) are stable."""

from mathpref.schemas import get_schema
from mathpref.scoring import ScoreConfig, compute_scores
from mathpref.scoring.synthetic import make_synthetic
from mathpref.store import fingerprint


def test_repeated_scoring_gives_identical_fingerprints():
    p, t, v = make_synthetic(6000, seed=3)
    seen = set()
    for _ in range(3):
        out = compute_scores(p, t, v, ScoreConfig())
        seen.add(
            tuple(
                fingerprint(out[k], get_schema(k).key, get_schema(k).volatile)
                for k in ("problem_scores", "trajectory_scores")
            )
        )
    assert len(seen) == 1
