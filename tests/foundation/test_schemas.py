import json

import pyarrow as pa
import pytest

from mathpref.errors import SchemaError
from mathpref.resources import resource_dir
from mathpref.schemas import get_schema, known_kinds, parse_type

REQUIRED = {
    "problems": ["problem_id", "question", "gold_answer", "source"],
    "trajectories": [
        "trajectory_id",
        "problem_id",
        "arm",
        "sample_index",
        "prompt",
        "completion",
        "parent_trajectory_id",
        "prefix",
    ],
    "verifications": ["trajectory_id", "status", "extracted_answer", "answer_key"],
}


def test_every_schema_file_is_complete():
    kinds = known_kinds()
    assert {"problems", "trajectories", "verifications", "quarantine"} <= set(kinds)
    for kind in kinds:
        raw = json.loads((resource_dir("schemas") / f"{kind}.json").read_text())
        assert raw["kind"] == kind and isinstance(raw["version"], int)
        names = [f["name"] for f in raw["fields"]]
        assert len(names) == len(set(names)), kind
        assert set(raw["key"]) <= set(names), kind
        for f in raw["fields"]:
            assert set(f) == {"name", "type", "nullable", "description", "volatile"}, f
            assert f["description"].strip() and "\n" not in f["description"]
            parse_type(f["type"])


@pytest.mark.parametrize("kind,cols", REQUIRED.items())
def test_columns_other_stages_rely_on(kind, cols):
    assert set(cols) <= set(get_schema(kind).names)


def test_continuation_fields_are_nullable_and_latency_volatile():
    s = get_schema("trajectories")
    fields = {f.name: f for f in s.fields}
    assert fields["parent_trajectory_id"].nullable and fields["prefix"].nullable
    assert s.volatile == ["latency_s"]


def test_conform_casts_orders_and_rejects():
    s = get_schema("quarantine")
    t = pa.table(
        {
            "reason": ["bad"],
            "stage": ["x"],
            "source": ["f"],
            "line": pa.array([3], pa.int32()),
            "field": [None],
            "raw": ["{}"],
        }
    )
    out = s.conform(t)
    assert out.column_names == s.names and out.schema.field("line").type == pa.int64()
    with pytest.raises(SchemaError, match="missing \\['raw'\\]"):
        s.conform(t.drop_columns(["raw"]))
    with pytest.raises(SchemaError, match="unexpected \\['extra'\\]"):
        s.conform(t.append_column("extra", pa.array([1])))
    with pytest.raises(SchemaError, match="'reason' has 1 null"):
        s.conform(t.set_column(0, "reason", pa.array([None], pa.string())))


def test_duplicate_keys_rejected():
    s = get_schema("problems")
    row = {
        "problem_id": "a",
        "source": "s",
        "source_index": 0,
        "question": "q",
        "gold_answer": "1",
        "gold_status": "ok",
        "gold_solution": None,
        "metadata": None,
        "source_id": None,
    }
    with pytest.raises(SchemaError, match="duplicate key"):
        s.conform(pa.Table.from_pylist([row, dict(row, source_index=1)]))


def test_unknown_type_and_kind():
    with pytest.raises(SchemaError):
        parse_type("decimal")
    with pytest.raises(SchemaError, match="known kinds"):
        get_schema("nope")
