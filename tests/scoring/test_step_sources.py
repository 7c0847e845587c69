"""The step_sources view, its agreement table, and the declared source order, on hand-made rows."""

import pyarrow as pa
import pytest

from mathpref.db import connection as _sql
from mathpref.errors import SpecError
from mathpref.report.step_agreement import step_source_agreement
from mathpref.scoring.config import PairConfig
from mathpref.scoring.step_sources import error_steps_sql, rule_suffix

TRAJ = pa.table(
    {
        "trajectory_id": ["a", "b", "c", "d", "e", "c1"],
        "problem_id": ["p"] * 6,
        "parent_trajectory_id": [None, None, None, None, None, "c"],
        "source_error_step": pa.array([2, None, None, 1, None, None], pa.int32()),
    }
)
VER = pa.table(
    {
        "trajectory_id": ["a", "b", "c", "d", "e", "c1"],
        "problem_id": ["p"] * 6,
        "first_arith_error_step": pa.array([2, 0, None, None, None, 3], pa.int32()),
    }
)
LABELS = pa.table(
    {
        "trajectory_id": ["a", "b", "c", "d", "e"],
        "problem_id": ["p"] * 5,
        "source": ["completions"] * 5,
        "status": ["labelled", "labelled", "labelled", "unverifiable", "labelled"],
        "first_wrong_step": pa.array([1, 0, 3, None, None], pa.int32()),
    }
)


def test_agreement_on_trajectories_both_label():
    rows = {
        (r["source_a"], r["source_b"]): r
        for r in step_source_agreement(
            {"trajectories": TRAJ, "verifications": VER, "step_labels": LABELS}
        )
    }
    # arithmetic labels a-e (the continuation c1 is left out); completions a, b, c, e (d is
    # unverifiable): agree on b (0) and e (no wrong step): 2 of 4
    ac = rows[("arithmetic", "completions")]
    assert (ac["both_labelled"], ac["agree"]) == (4, 2)
    al = rows[("arithmetic", "log")]  # log labels a (2) and d (1); arithmetic a=2, d=null
    assert (al["both_labelled"], al["agree"], al["agreement"]) == (2, 1, 0.5)
    assert rows[("completions", "log")]["both_labelled"] == 1  # a only; d unverifiable
    assert len(rows) == 3


def test_agreement_without_step_labels():
    rows = step_source_agreement({"trajectories": TRAJ, "verifications": VER})
    assert [(r["source_a"], r["source_b"]) for r in rows] == [("arithmetic", "log")]


@pytest.mark.parametrize(
    "order, want",
    [
        (
            ("log", "arithmetic"),
            {"a": (2, "log"), "b": (0, "arithmetic"), "c": (None, None), "d": (1, "log")},
        ),
        (
            ("completions", "log", "arithmetic"),
            {
                "a": (1, "completions"),
                "b": (0, "completions"),
                "c": (3, "completions"),
                "d": (1, "log"),
            },
        ),
        (
            ("arithmetic", "completions"),
            {"a": (2, "arithmetic"), "c": (3, "completions"), "d": (None, None), "e": (None, None)},
        ),
    ],
)
def test_declared_order(order, want):
    con = _sql.connect()
    _sql.register(con, {"trajectories": TRAJ, "verifications": VER, "step_labels": LABELS})
    got = {r[0]: (r[1], r[2]) for r in con.execute(error_steps_sql(order)).fetchall()}
    for tid, value in want.items():
        assert got[tid] == value, tid


def test_rule_text_and_config_checks():
    assert rule_suffix(PairConfig().step_sources) == ""  # today's rule text
    assert rule_suffix(("prm", "log")) == ",sources=prm>log"
    with pytest.raises(SpecError, match="unknown step_sources"):
        PairConfig(step_sources=("log", "gpt4"))
    with pytest.raises(SpecError, match="without repeats"):
        PairConfig(step_sources=("log", "log"))
