"""The `native` import adapter: logs already in the trajectories schema, read whole with Arrow."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mathpref.errors import InputError
from mathpref.ids import trajectory_id
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.schemas import get_schema
from mathpref.stages.problems import problem_id
from mathpref.store import Store

PROBLEMS = [
    {"question": "Tom has 3 apples and buys 4 more. How many apples?", "answer": "3+4=7\n#### 7"},
    {"question": "A pen costs $2. How much do 5 pens cost?", "answer": "5*2=10\n#### 10"},
]
SOURCE = "hand"
P1, P2 = (problem_id(SOURCE, p["question"]) for p in PROBLEMS)


def _rows():
    """Six hand-made rows: two with a null id (derived), one of an unknown problem."""
    base = {
        "arm": "a0",
        "backend": "vllm",
        "model_id": "m",
        "prompt": "Solve it.",
        "finish_reason": "stop",
    }
    return [
        {
            **base,
            "trajectory_id": "t1",
            "problem_id": P1,
            "sample_index": 0,
            "completion": "3 + 4 = 7\n#### 7",
            "completion_tokens": 9,
            "source_label": True,
        },
        {
            **base,
            "trajectory_id": "t2",
            "problem_id": P1,
            "sample_index": 1,
            "completion": "3 + 4 = 8\n#### 8",
        },
        {
            **base,
            "trajectory_id": None,
            "problem_id": P2,
            "sample_index": 0,
            "completion": "5 * 2 = 10\n#### 10",
        },
        {
            **base,
            "trajectory_id": None,
            "problem_id": P2,
            "sample_index": 1,
            "arm": "a1",
            "completion": "The answer is 12",
        },
        {
            **base,
            "trajectory_id": "t5",
            "problem_id": "nope",
            "sample_index": 0,
            "completion": "42",
        },
        {
            **base,
            "trajectory_id": "t6",
            "problem_id": P2,
            "sample_index": 2,
            "parent_trajectory_id": "t2",
            "prefix": "5 * 2 = 10\n",
            "completion": "#### 10",
        },
    ]


def _table(rows, drop=(), extra=None):
    schema = get_schema("trajectories").arrow
    fields = [f.with_nullable(True) for f in schema if f.name not in drop]
    cols = {f.name: pa.array([r.get(f.name) for r in rows], f.type) for f in fields}
    if extra:
        cols.update(extra)
    return pa.table(cols)


def _project(tmp_path, log_name):
    (tmp_path / "problems.jsonl").write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[pipeline]
name = "native"

[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
source = "{SOURCE}"

[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "{log_name}"
adapter = "native"
max_quarantine_fraction = 0.5  # the rows include broken ones on purpose
""")
    return spec


def _build(tmp_path, log_name):
    spec = _project(tmp_path, log_name)
    store = Store(tmp_path / "store")
    res = {r.name: r for r in Runner(load_spec(str(spec)), store).build()}
    out = res["trajectories"].outputs
    return (
        store.read(out["trajectories"]["dataset_id"]),
        store.read(out["quarantine"]["dataset_id"]),
    )


def test_native_parquet_keeps_ids_derives_missing_and_quarantines_unknown_problems(tmp_path):
    pq.write_table(_table(_rows()), tmp_path / "log.parquet")
    traj, quarantine = _build(tmp_path, "log.parquet")
    assert traj.num_rows == 5
    by_index = {(r["problem_id"], r["arm"], r["sample_index"]): r for r in traj.to_pylist()}
    assert by_index[(P1, "a0", 0)]["trajectory_id"] == "t1"
    assert by_index[(P1, "a0", 0)]["completion_tokens"] == 9
    assert by_index[(P1, "a0", 0)]["source_label"] is True
    assert by_index[(P2, "a0", 0)]["trajectory_id"] == trajectory_id(P2, "a0", 0, "m")
    assert by_index[(P2, "a1", 1)]["trajectory_id"] == trajectory_id(P2, "a1", 1, "m")
    cont = by_index[(P2, "a0", 2)]
    assert cont["trajectory_id"] == "t6" and cont["parent_trajectory_id"] == "t2"
    assert cont["prefix"] == "5 * 2 = 10\n" and cont["backend"] == "vllm"
    assert cont["source_error_step"] is None  # a column the log does not have: null
    q = quarantine.to_pylist()
    assert len(q) == 1
    assert q[0]["line"] == 5 and q[0]["field"] == "problem_id"
    assert "problem not among the problems input" in q[0]["reason"]
    assert json.loads(q[0]["raw"])["trajectory_id"] == "t5"


def test_native_jsonl_reads_the_same_rows(tmp_path):
    rows = [{k: v for k, v in r.items() if v is not None} for r in _rows()]
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    traj, quarantine = _build(tmp_path, "log.jsonl")
    assert traj.num_rows == 5 and quarantine.num_rows == 1
    assert set(traj["trajectory_id"].to_pylist()) >= {"t1", "t2", "t6"}


def test_native_missing_required_column_names_it(tmp_path):
    pq.write_table(_table(_rows(), drop=("completion",)), tmp_path / "log.parquet")
    with pytest.raises(InputError, match="required field 'completion' missing"):
        _build(tmp_path, "log.parquet")


def test_native_extra_columns_are_listed(tmp_path):
    table = _table(_rows(), extra={"score": pa.array([1.0] * 6), "judge": pa.array(["x"] * 6)})
    pq.write_table(table, tmp_path / "log.parquet")
    with pytest.raises(InputError, match=r"\['score', 'judge'\] are not in the trajectories"):
        _build(tmp_path, "log.parquet")


def test_native_null_required_values_and_duplicate_ids_are_quarantined(tmp_path):
    rows = _rows()
    rows[1]["completion"] = None
    rows[5]["trajectory_id"] = "t1"
    pq.write_table(_table(rows), tmp_path / "log.parquet")
    traj, quarantine = _build(tmp_path, "log.parquet")
    assert traj.num_rows == 3
    reasons = {r["line"]: (r["field"], r["reason"]) for r in quarantine.to_pylist()}
    assert reasons[2] == ("completion", "field 'completion' is null")
    assert reasons[6] == ("trajectory_id", "duplicate trajectory_id of line 1")
    assert reasons[5][0] == "problem_id"
