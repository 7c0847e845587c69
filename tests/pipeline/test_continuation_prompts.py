"""Continuations are asked exactly as their parent was, unless the spec gives the arm."""

import json

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.conftest import REPO


def _build(tmp, sets=()):
    spec = load_spec(str(REPO / "pipelines" / "demo-scripted.toml"), list(sets))
    for name in ("scores", "pairs", "verify_continuations"):
        spec.stages.pop(name, None)
    results = {r.name: r for r in Runner(spec, Store(tmp)).build()}
    st = Store(tmp)

    def read(name):
        return st.read(results[name].outputs["trajectories"]["dataset_id"]).to_pylist()

    return read("trajectories"), read("continuations"), results["continuations"].notes


def test_continuations_keep_the_parent_prompt(tmp_path):
    parents, conts, notes = _build(tmp_path / "a")
    by_id = {p["trajectory_id"]: p for p in parents}
    assert conts
    for c in conts:
        parent = by_id[c["parent_trajectory_id"]]
        assert c["prompt_messages"] == parent["prompt_messages"]
        msgs = json.loads(c["prompt_messages"])
        if parent["arm"] in ("precise", "reflective"):  # template "Problem: {question}"
            assert msgs[-1]["content"].startswith("Problem: ") and msgs[0]["role"] == "system"
    arms = {by_id[c["parent_trajectory_id"]]["arm"] for c in conts}
    assert any("the parent's own prompt messages" in n for n in notes)
    with_system = [c for c in conts if by_id[c["parent_trajectory_id"]]["arm"] == "precise"]
    assert with_system and all("one calculation per line" in c["prompt"] for c in with_system), arms


def test_spec_arms_override_and_say_so(tmp_path):
    arm = '[{name = "precise", family = "precise", system_prompt = "OVERRIDE", user_template = "Q: {question}"}]'
    parents, conts, notes = _build(tmp_path / "b", [f"continuations.arms={arm}"])
    by_id = {p["trajectory_id"]: p for p in parents}
    precise = [c for c in conts if by_id[c["parent_trajectory_id"]]["arm"] == "precise"]
    others = [c for c in conts if by_id[c["parent_trajectory_id"]]["arm"] != "precise"]
    assert precise and all(
        json.loads(c["prompt_messages"])[0] == {"role": "system", "content": "OVERRIDE"}
        for c in precise
    )
    assert all(
        c["prompt_messages"] == by_id[c["parent_trajectory_id"]]["prompt_messages"] for c in others
    )
    assert any(
        "['precise']: prompt from the arms of this stage's spec (override)" in n for n in notes
    )
