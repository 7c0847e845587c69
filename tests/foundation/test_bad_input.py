import json
import subprocess
import sys

import pytest

from mathpref.errors import InputError, SpecError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.foundation.helpers import make_project


def _build(spec, store):
    return Runner(load_spec(str(spec)), Store(store)).build()


def test_malformed_jsonl_line_names_file_and_line(tmp_path):
    spec = make_project(tmp_path)
    with open(tmp_path / "problems.jsonl", "a") as fh:
        fh.write('{"question": "broken\n')
    with pytest.raises(InputError, match=r"problems\.jsonl:7: malformed JSON"):
        _build(spec, tmp_path / "st")
    assert not (tmp_path / "st" / "refs" / "hand.json").exists()


def test_missing_field_names_field_and_option(tmp_path):
    spec = make_project(tmp_path)
    text = spec.read_text().replace('question_field = "q"', 'question_field = "prompt_text"')
    spec.write_text(text)
    with pytest.raises(InputError, match=r"log\.jsonl:1: field 'prompt_text' missing.*_field"):
        _build(spec, tmp_path / "st")


def test_missing_problem_field_names_mapping(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('preset = "gsm8k"', 'preset = "math"'))
    with pytest.raises(InputError, match=r"field 'problem' missing.*question_field"):
        _build(spec, tmp_path / "st")


def test_unknown_config_key_lists_valid_ones(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('preset = "gsm8k"', 'preset = "gsm8k"\npresett = 1'))
    with pytest.raises(SpecError, match=r"unknown key\(s\) \['presett'\]; valid keys: .*preset"):
        _build(spec, tmp_path / "st")


def test_unknown_stage_kind_and_input(tmp_path):
    spec = make_project(tmp_path, stages='[stages.x]\nkind = "verifyy"\n')
    with pytest.raises(SpecError, match=r"unknown stage kind 'verifyy'; valid kinds: .*verify"):
        _build(spec, tmp_path / "st")
    spec = make_project(
        tmp_path,
        stages='[stages.x]\nkind = "verify"\n'
        'inputs = { trajectories = "trajs", problems = "problems" }\n',
    )
    with pytest.raises(SpecError, match=r"unknown stage 'trajs'; stages: \["):
        load_spec(str(spec))


def test_set_override_errors(tmp_path):
    spec = make_project(tmp_path)
    with pytest.raises(SpecError, match="no stage 'nope'"):
        load_spec(str(spec), ["nope.x=1"])
    with pytest.raises(SpecError, match="stage.key=value"):
        load_spec(str(spec), ["novalue"])


def test_unusable_rows_go_to_quarantine(tmp_path):
    spec = make_project(tmp_path)
    results = {r.name: r for r in _build(spec, tmp_path / "st")}
    st = Store(tmp_path / "st")
    q = st.read(results["problems"].outputs["quarantine"]["dataset_id"]).to_pylist()
    reasons = sorted(r["reason"] for r in q)
    assert reasons == ["duplicate question (first at line 3)", "empty question"]
    assert {r["line"] for r in q} == {5, 6}
    probs = st.read(results["problems"].outputs["problems"]["dataset_id"])
    assert probs.num_rows == 4
    assert sorted(probs["gold_status"].to_pylist()) == ["ok", "ok", "ok", "unparseable"]
    assert any("unparseable gold" in n for n in results["problems"].notes)
    tq = st.read(results["trajectories"].outputs["quarantine"]["dataset_id"]).to_pylist()
    assert len(tq) == 1 and tq[0]["line"] == 6 and "not among the problems" in tq[0]["reason"]
    assert json.loads(tq[0]["raw"])["q"] == "A question nobody asked?"


def test_cli_error_is_one_line_and_debug_shows_traceback(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('adapter = "generic"', 'adapter = "nope"'))
    cmd = [
        sys.executable,
        "-m",
        "mathpref.cli",
        "build",
        str(spec),
        "--store",
        str(tmp_path / "st"),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "adapter 'nope'" in lines[0]
    r = subprocess.run(cmd[:3] + ["--debug"] + cmd[3:], capture_output=True, text=True)
    assert "Traceback" in r.stderr and r.returncode == 1
