from mathpref.db import connect
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.foundation.helpers import make_project


def _runner(spec, store, sets=()):
    return Runner(load_spec(str(spec), list(sets)), Store(store))


def test_second_build_is_fully_cached_with_same_fingerprints(tmp_path):
    spec = make_project(tmp_path)
    first = _runner(spec, tmp_path / "st").build()
    assert [r.status for r in first] == ["computed", "computed"]
    second = _runner(spec, tmp_path / "st").build()
    assert [r.status for r in second] == ["cached", "cached"]
    assert [r.outputs for r in first] == [r.outputs for r in second]
    # a fresh store computes the same fingerprints (ids derive from content, not time)
    third = _runner(spec, tmp_path / "other").build()
    assert [r.outputs for r in third] == [r.outputs for r in first]


def test_set_change_reruns_only_downstream_and_plan_says_why(tmp_path):
    spec = make_project(tmp_path)
    _runner(spec, tmp_path / "st").build()
    plan = {e.name: e for e in _runner(spec, tmp_path / "st", ["trajectories.arm=other"]).plan()}
    assert plan["problems"].action == "cached"
    assert plan["trajectories"].action == "run"
    assert plan["trajectories"].reasons == ["setting arm: 'base' -> 'other'"]
    res = {r.name: r for r in _runner(spec, tmp_path / "st", ["trajectories.arm=other"]).build()}
    assert res["problems"].status == "cached" and res["trajectories"].status == "computed"


def test_input_file_change_invalidates_by_content(tmp_path):
    spec = make_project(tmp_path)
    _runner(spec, tmp_path / "st").build()
    log = tmp_path / "log.jsonl"
    log.write_text(log.read_text() + log.read_text().splitlines()[0].replace("7.", "7!") + "\n")
    plan = {e.name: e for e in _runner(spec, tmp_path / "st").plan()}
    assert plan["problems"].action == "cached"
    assert plan["trajectories"].action == "run"
    assert plan["trajectories"].reasons[0].startswith("setting path: 'sha256:")
    # moving the data elsewhere keeps the cache: the config is hashed by content, not path
    (tmp_path / "moved").mkdir()
    (tmp_path / "problems.jsonl").rename(tmp_path / "moved" / "problems.jsonl")
    spec.write_text(
        spec.read_text().replace('path = "problems.jsonl"', 'path = "moved/problems.jsonl"')
    )
    assert {e.name: e.action for e in _runner(spec, tmp_path / "st").plan()}["problems"] == "cached"


def test_refs_views_and_history(tmp_path):
    spec = make_project(tmp_path)
    st = Store(tmp_path / "st")
    _runner(spec, tmp_path / "st").build()
    old_ref = st.read_ref("hand")
    _runner(spec, tmp_path / "st", ["trajectories.arm=other"]).build()
    con = connect(st, "hand")
    assert con.sql("SELECT DISTINCT arm FROM trajectories").fetchall() == [("other",)]
    assert con.sql("SELECT count(*) FROM rollouts").fetchall()[0][0] == 5
    assert con.sql("SELECT count(*) FROM verifications").fetchall()[0][0] == 0  # empty view
    assert len(st.history("hand")) == 2
    old_id = old_ref["stages"]["trajectories"]["outputs"]["trajectories"]["dataset_id"]
    assert set(st.read(old_id)["arm"].to_pylist()) == {"base"}  # older version reachable
    assert st.gc(dry_run=True) == []  # history keeps it
    removed = st.gc(keep_history=False)
    assert any(old_id in r for r in removed)


def test_plan_names_settings_even_when_an_input_is_recomputed(tmp_path):
    spec = make_project(tmp_path)
    _runner(spec, tmp_path / "st").build()
    sets = ["problems.limit=2", "trajectories.arm=x"]
    plan = {e.name: e for e in _runner(spec, tmp_path / "st", sets).plan()}
    assert plan["problems"].reasons == ["setting limit: 0 -> 2"]
    assert plan["trajectories"].action == "run"
    assert plan["trajectories"].reasons[0] == "setting arm: 'base' -> 'x'"
    assert "input stage(s) 'problems' recomputed first" in plan["trajectories"].reasons[1]


def test_ref_output_defaults_to_the_primary_output_after_the_json_round_trip(tmp_path):
    # the import stage's outputs are trajectories (primary) and quarantine, which sorts first
    spec = make_project(tmp_path)
    Runner(load_spec(str(spec)), Store(tmp_path / "st")).build()
    ref = Store(tmp_path / "st").read_ref("hand")
    for name, entry in ref.stages.items():
        assert ref.output(name) == entry["outputs"][entry["primary_output"]]
    assert ref.output("trajectories")["kind"] == "trajectories"
