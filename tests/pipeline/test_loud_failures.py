"""Loud failures: misspelled optional fields, quarantine share, empty outputs, bools in configs."""

import json
import re

import pytest

from mathpref.errors import InputError, SpecError, StageError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.foundation.helpers import LOG, PROBLEMS, make_project, write_jsonl


def _build(spec, store):
    return Runner(load_spec(str(spec)), Store(store)).build()


def test_misspelled_label_field_names_the_fields_that_exist(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('label_field = "ok"', 'label_field = "is_corect"'))
    with pytest.raises(SpecError) as err:
        _build(spec, tmp_path / "st")
    msg = str(err.value)
    assert "label_field = 'is_corect'" in msg and "no record of log.jsonl" in msg
    assert "['model', 'ok', 'q', 'text']" in msg


def test_misspelled_arm_field_and_metadata_field(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('arm = "base"', 'arm_field = "modle"'))
    with pytest.raises(SpecError, match="arm_field = 'modle'"):
        _build(spec, tmp_path / "st")
    spec = make_project(tmp_path)
    text = spec.read_text().replace(
        'preset = "gsm8k"', 'preset = "gsm8k"\nmetadata_fields = ["lvl"]'
    )
    spec.write_text(text)
    with pytest.raises(
        SpecError, match=r"metadata_fields 'lvl'.*fields that exist: \['answer', 'question'\]"
    ):
        _build(spec, tmp_path / "st2")


def test_an_import_that_quarantines_everything_fails(tmp_path):
    spec = make_project(tmp_path)
    write_jsonl(tmp_path / "log.jsonl", [dict(r, q="A question nobody asked?") for r in LOG])
    with pytest.raises(InputError) as err:
        _build(spec, tmp_path / "st")
    msg = str(err.value)
    assert "6 of 6 row(s) (100.0 %) quarantined" in msg
    assert "6 x 'problem not among the problems input (matched by question)'" in msg
    assert "log.jsonl:1" in msg
    # allowed to quarantine everything, it still wrote nothing: the empty-output check fails
    spec.write_text(
        re.sub(
            r"max_quarantine_fraction = 0.5.*", "max_quarantine_fraction = 1.0", spec.read_text()
        )
    )
    with pytest.raises(StageError, match="wrote no trajectories from 4 input row"):
        _build(spec, tmp_path / "st2")


def test_quarantine_share_lists_top_reasons(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(re.sub(r"max_quarantine_fraction = 0.5.*", "", spec.read_text()))
    with pytest.raises(InputError) as err:
        _build(spec, tmp_path / "st")
    msg = str(err.value)  # the problems file: a duplicate and an empty question
    assert "2 of 6 row(s) (33.3 %) quarantined, above max_quarantine_fraction = 0.01" in msg
    assert "1 x 'duplicate question (first at line N)' (e.g. problems.jsonl:5:" in msg
    assert "1 x 'empty question' (e.g. problems.jsonl:6:" in msg
    assert "--set problems.max_quarantine_fraction=1" in msg


def test_below_the_share_builds(tmp_path):
    rows = [{"question": f"What is {i} + 1?", "answer": f"#### {i + 1}"} for i in range(150)]
    rows.append({"question": "", "answer": "#### 0"})  # 1 of 151: under 1 %
    write_jsonl(tmp_path / "p.jsonl", rows)
    (tmp_path / "s.toml").write_text(
        '[stages.problems]\nkind = "problems"\npath = "p.jsonl"\npreset = "gsm8k"\n'
    )
    (res,) = _build(tmp_path / "s.toml", tmp_path / "st")
    assert res.outputs["problems"]["rows"] == 150 and res.outputs["quarantine"]["rows"] == 1


def test_bool_is_not_an_int_in_configs(tmp_path):
    write_jsonl(tmp_path / "p.jsonl", PROBLEMS[:3])
    (tmp_path / "s.toml").write_text(
        '[stages.problems]\nkind = "problems"\npath = "p.jsonl"\npreset = "gsm8k"\nlimit = true\n'
    )
    with pytest.raises(SpecError, match="limit = True should be int"):
        _build(tmp_path / "s.toml", tmp_path / "st")
    (tmp_path / "s.toml").write_text(
        '[stages.problems]\nkind = "problems"\npath = "p.jsonl"\npreset = "gsm8k"\n'
        "max_quarantine_fraction = false\n"
    )
    with pytest.raises(SpecError, match="should be float"):
        _build(tmp_path / "s.toml", tmp_path / "st")


def test_empty_is_normal_where_declared(tmp_path):
    """The pairs stage on a log without continuations: no step pairs, and the build is green."""
    spec = make_project(
        tmp_path,
        stages="""
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
[stages.scores]
kind = "scores"
inputs = { problems = "problems", trajectories = "trajectories", verifications = "verify" }
[stages.pairs]
kind = "pairs"
inputs = { problems = "problems", trajectories = "trajectories", verifications = "verify", trajectory_scores = "scores.trajectory_scores", problem_scores = "scores.problem_scores" }
""",
    )
    results = {r.name: r for r in _build(spec, tmp_path / "st")}
    assert results["pairs"].outputs["step_pairs"]["rows"] == 0
    assert json.dumps(results["pairs"].outputs)  # built and recorded


@pytest.mark.timeout(300)
def test_timeouts_are_final_and_cached(tmp_path):
    """A row that runs out of CPU time is a final `timeout`, stored with the stage: an identical
    second build computes nothing and gives the same rows."""
    probs = [{"question": f"Simplify expression {i}.", "answer": "x^2 + 2x + 1"} for i in range(4)]
    write_jsonl(tmp_path / "p.jsonl", probs)
    log = [{"q": p["question"], "text": "\\boxed{(x+1)^2}"} for p in probs]
    write_jsonl(tmp_path / "log.jsonl", log)
    (tmp_path / "s.toml").write_text(
        """
[stages.problems]
kind = "problems"
path = "p.jsonl"
preset = "custom"
gold_format = "plain"
[stages.trajectories]
kind = "import"
inputs = { problems = "problems" }
path = "log.jsonl"
question_field = "q"
completion_field = "text"
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
timeout = 0.001
step_checks = false
"""
    )
    first = {r.name: r for r in _build(tmp_path / "s.toml", tmp_path / "st")}
    st = Store(tmp_path / "st")
    v = st.read(first["verify"].outputs["verifications"]["dataset_id"]).to_pylist()
    assert {r["status"] for r in v} == {"timeout"}
    second = _build(tmp_path / "s.toml", tmp_path / "st")
    assert {r.status for r in second} == {"cached"}
    assert second[-1].outputs == first["verify"].outputs
