"""Items 4 and 9: names checked, wiring checked at plan time, `${A:-${B}}` and `$$`."""

import pytest

from mathpref.errors import SpecError, StoreError
from mathpref.pipeline.expand import expand_vars
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.foundation.helpers import make_project


@pytest.mark.parametrize(
    "name", ['"../evil"', '"a/b"', '".."', '".hidden"', '"x y"', "5", "true", '["a"]', '""']
)
def test_bad_pipeline_names_are_spec_errors(tmp_path, name):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('name = "hand"', f"name = {name}"))
    with pytest.raises(SpecError, match=r"\[pipeline\] name"):
        load_spec(str(spec))


def test_good_names_and_store_guard(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('name = "hand"', 'name = "v1.2_hand-x"'))
    assert load_spec(str(spec)).name == "v1.2_hand-x"
    st = Store(tmp_path / "st")
    with pytest.raises(StoreError, match="not allowed"):
        st.write_ref("../../escape", {"pipeline": "x", "built_at": "", "stages": {}})
    with pytest.raises(StoreError, match="not allowed"):
        st.history("../x")
    assert not (tmp_path / "escape.json").exists()


def test_wrong_types_in_stage_tables(tmp_path):
    spec = make_project(tmp_path, stages="[stages.v]\nkind = 3\n")
    with pytest.raises(SpecError, match="kind must be a string"):
        load_spec(str(spec))
    spec = make_project(tmp_path, stages='[stages.v]\nkind = "verify"\ninputs = { problems = 1 }\n')
    with pytest.raises(SpecError, match="input 'problems' must be a stage name"):
        load_spec(str(spec))
    spec = make_project(tmp_path, stages='[stages."a.b"]\nkind = "verify"\n')
    with pytest.raises(SpecError, match="stage name 'a.b' is not allowed"):
        load_spec(str(spec))


def test_wrong_input_kind_fails_at_plan_time_naming_stage_role_columns(tmp_path):
    spec = make_project(
        tmp_path,
        stages='[stages.verify]\nkind = "verify"\n'
        'inputs = { trajectories = "problems", problems = "problems" }\n',
    )
    st = Store(tmp_path / "st")
    with pytest.raises(SpecError) as err:
        Runner(load_spec(str(spec)), st).plan()
    msg = str(err.value)
    assert "stage 'verify' (verify): input 'trajectories' = 'problems' is a problems" in msg
    assert "['trajectory_id', 'prefix', 'completion', 'prompt_echo_end']" in msg
    assert not list((tmp_path / "st" / "work").iterdir())  # no work was started
    spec = make_project(
        tmp_path,
        stages='[stages.scores]\nkind = "scores"\ninputs = { problems = "problems", '
        'trajectories = "trajectories", verifications = "trajectories.quarantine" }\n',
    )
    with pytest.raises(SpecError, match="input 'verifications' = 'trajectories.quarantine' is a "):
        Runner(load_spec(str(spec)), st)


def test_shipped_specs_wire_correctly(monkeypatch, tmp_path):
    from mathpref.resources import resource_dir

    monkeypatch.setenv("MATHPREF_MODEL", "x")
    for path in sorted(resource_dir("pipelines").glob("*.toml")):
        spec = load_spec(str(path))
        from mathpref.pipeline.wiring import check_wiring
        from mathpref.stages.base import stage_class

        stages = {}
        for n in spec.order():
            s = spec.stages[n]
            stages[n] = type("S", (), {"outputs": stage_class(s.kind).outputs})()
            stages[n].__class__ = stage_class(s.kind)  # no config checks needed here
        check_wiring(spec, stages)


def test_nested_defaults_and_dollar_escape():
    env = {"B": "bee", "EMPTY": ""}
    assert expand_vars("${A:-${B}}", env) == "bee"
    assert expand_vars("${A:-${C:-deep}}/x", env) == "deep/x"
    assert expand_vars("${B:-${C}}", env) == "bee"  # the default is not expanded when unused
    assert expand_vars("costs $$5 or $18, ${EMPTY}", env) == "costs $5 or $18, "
    assert expand_vars("$$${B}$$", env) == "$bee$"
    for bad in ("${A:-${B}", "${1A}", "${A?err}", "${A:=x}", "${}"):
        with pytest.raises(SpecError):
            expand_vars(bad, env)
    with pytest.raises(SpecError, match="variable C is not set"):
        expand_vars("${A:-${C}}", env)


def test_expansion_errors_name_the_stage(tmp_path):
    spec = make_project(tmp_path)
    spec.write_text(spec.read_text().replace('arm = "base"', 'arm = "${X:-${Y}"'))
    with pytest.raises(SpecError, match=r"stage 'trajectories': unterminated"):
        load_spec(str(spec))
