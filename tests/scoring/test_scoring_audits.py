import pyarrow as pa
import pyarrow.compute as pc
import pytest
from scoring_helpers import traj

from mathpref.db.connection import connect
from mathpref.errors import AuditError
from mathpref.scoring import raise_for_audits, run_analyses, run_audits

DATASETS = (
    "problems",
    "trajectories",
    "verifications",
    "problem_scores",
    "trajectory_scores",
    "pairs",
    "step_pairs",
    "kto_rows",
)
AUDITS = {
    "coherence_pair_labels",
    "correctness_pair_labels",
    "cross_problem_pairs",
    "identical_chosen_rejected",
    "kto_labels",
    "split_leak",
    "step_pair_labels",
    "unverified_in_pairs",
}


@pytest.fixture
def tables(build, mixed_rows):
    rows = mixed_rows + [
        traj("q1", "p2", "a1", "incorrect", tokens=10),
        traj("q2", "p2", "a2", "timeout", key=None),
    ]
    out = build(rows)
    return {k: out[k] for k in DATASETS}


def set_value(table, column, row, value):
    """Copy of `table` with table[column][row] = value."""
    values = table[column].to_pylist()
    values[row] = value
    i = table.column_names.index(column)
    return table.set_column(i, column, pa.array(values, table.schema.field(column).type))


def row_of(table, column, value):
    return table[column].to_pylist().index(value)


def failing(tables):
    return {r.name for r in run_audits(tables) if not r.passed}


def test_clean_build_passes_every_audit(tables):
    results = run_audits(tables)
    assert {r.name for r in results} == AUDITS
    assert all(r.passed and r.skipped is None for r in results)
    raise_for_audits(results)


def test_correctness_pair_with_wrong_labels(tables):
    pairs = tables["pairs"]
    i = row_of(pairs, "pair_type", "correctness")
    chosen = pairs["chosen_trajectory_id"][i].as_py()
    bad = set_value(pairs, "rejected_trajectory_id", i, chosen)
    assert "correctness_pair_labels" in failing({**tables, "pairs": bad})


def test_coherence_pair_with_incorrect_side(tables):
    i = row_of(tables["pairs"], "pair_type", "coherence")
    bad = set_value(tables["pairs"], "rejected_trajectory_id", i, "t3")
    assert "coherence_pair_labels" in failing({**tables, "pairs": bad})


def test_pair_with_unverifiable_row(tables):
    bad = set_value(tables["kto_rows"], "trajectory_id", 0, "t4")
    assert {"unverified_in_pairs", "kto_labels"} <= failing({**tables, "kto_rows": bad})
    bad = set_value(tables["step_pairs"], "rejected_trajectory_id", 0, "t4")
    assert "unverified_in_pairs" in failing({**tables, "step_pairs": bad})


def test_kto_label_flipped(tables):
    kto = tables["kto_rows"]
    bad = kto.set_column(kto.column_names.index("label"), "label", pc.invert(kto["label"]))
    assert failing({**tables, "kto_rows": bad}) == {"kto_labels"}


def test_step_pair_with_wrong_continuation(tables):
    bad = set_value(tables["step_pairs"], "chosen_trajectory_id", 0, "t1")
    assert "step_pair_labels" in failing({**tables, "step_pairs": bad})


def test_identical_chosen_rejected(tables):
    pairs = tables["pairs"]
    bad = set_value(pairs, "rejected", 0, pairs["chosen"][0].as_py())
    assert failing({**tables, "pairs": bad}) == {"identical_chosen_rejected"}


def test_pair_across_problems(tables):
    i = row_of(tables["pairs"], "pair_type", "correctness")
    bad = set_value(tables["pairs"], "rejected_trajectory_id", i, "q1")  # incorrect, other problem
    assert failing({**tables, "pairs": bad}) == {"cross_problem_pairs"}


def test_problem_in_both_splits(tables):
    pairs = tables["pairs"]
    other = "test" if pairs["split"][0].as_py() == "train" else "train"
    bad = set_value(pairs, "split", 0, other)
    assert failing({**tables, "pairs": bad}) == {"split_leak"}


def test_raise_for_audits_names_the_audit(tables):
    bad = set_value(tables["pairs"], "rejected", 0, tables["pairs"]["chosen"][0].as_py())
    with pytest.raises(AuditError, match="identical_chosen_rejected: 1 row"):
        raise_for_audits(run_audits({**tables, "pairs": bad}))


def test_missing_views_skip_or_raise(tables):
    results = {r.name: r for r in run_audits({"pairs": tables["pairs"]})}
    assert all(r.passed and r.skipped.startswith("missing views") for r in results.values())
    assert "verifications" in results["correctness_pair_labels"].skipped
    with pytest.raises(AuditError, match="missing views"):
        run_audits({"pairs": tables["pairs"]}, missing="error")


def test_audits_on_a_connection(tables):
    con = connect()
    for name, table in tables.items():
        con.register(name, table)
    assert all(r.passed for r in run_audits(con, names=["split_leak", "kto_labels"]))
    con.close()


def test_analyses(tables):
    out = dict(run_analyses(tables))
    assert set(out) == {
        "arm_accuracy",
        "completion_length_by_correctness",
        "pair_rules",
        "pass_rate_histogram",
        "s_end_vs_correctness",
    }
    arms = {r["arm"]: r for r in out["arm_accuracy"].to_pylist()}
    assert arms["a2"]["n"] == 3 and arms["a2"]["correct"] == 1 and arms["a2"]["timeout"] == 1
    assert arms["a3"]["unverifiable"] == 1 and arms["a3"]["accuracy"] == 0.0
    assert arms["a3"]["judged_accuracy"] is None
    rules = {(r["dataset"], r["pair_type"]): r["n"] for r in out["pair_rules"].to_pylist()}
    assert rules[("step_pairs", "step")] == 1
    hist = out["pass_rate_histogram"].to_pylist()
    assert sum(r["problems"] for r in hist) == tables["problem_scores"].num_rows
    assert dict(run_analyses({"problem_scores": tables["problem_scores"]})).keys() == {
        "pass_rate_histogram",
        "s_end_vs_correctness",
    }
