"""The critic and PRM methods of the step_labels stage, end to end on the demo
(pipelines/demo-step-labels.toml with `method` overridden): scripted judge replies; a tiny PRM."""

import json

import pyarrow as pa
import pytest

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import InputRef, StageSpec, load_spec
from mathpref.stages.step_labels import StepLabelsConfig, select_items
from mathpref.store import Store
from tests.conftest import REPO

SPEC = str(REPO / "pipelines" / "demo-step-labels.toml")


def _spec(judge=None, sources=()):
    """The demo, plus a second step_labels stage `judge` (critic or PRM config) whose labels the
    pairs read beside the completion labels (whose continuations give the chosen next steps)."""
    spec = load_spec(SPEC, [f"pairs.step_sources={json.dumps(list(sources))}"] if sources else [])
    if judge:
        base = spec.stages["step_labels"]
        spec.stages["judge"] = StageSpec("judge", "step_labels", dict(base.inputs), judge)
        spec.stages["pairs"].inputs["step_labels"] = [InputRef("step_labels"), InputRef("judge")]
    return spec


def _build(tmp, judge=None, sources=()):
    results = {r.name: r for r in Runner(_spec(judge, sources), Store(tmp)).build()}
    st = Store(tmp)

    def read(name, role):
        return st.read(results[name].outputs[role]["dataset_id"])

    return read, results


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's incorrect solutions (what step_labels selects) and their completions."""
    store = tmp_path_factory.mktemp("store")
    read, _ = _build(store)
    cfg = StepLabelsConfig(method="critic", backend="scripted", completions="unused.jsonl")
    rows = select_items(
        read("trajectories", "trajectories"),
        read("verify", "verifications"),
        read("problems", "problems"),
        cfg,
    ).to_pylist()
    return store, rows


def test_critic_labels_from_scripted_judge_replies_feed_step_pairs(demo, tmp_path):
    store, rows = demo
    assert len(rows) >= 3
    logic = next(r for r in rows if "7 * 7 = 49" in r["completion"])
    broken = next(r for r in rows if r is not logic)
    replies = {r["trajectory_id"]: "All paragraphs are correct." for r in rows}
    replies[logic["trajectory_id"]] = "Paragraph 1 uses the wrong quantity.\n\\boxed{1}"
    replies[broken["trajectory_id"]] = "Hmm, hard to say \\boxed{"  # truncated -> unverifiable
    path = tmp_path / "judge.jsonl"
    lines = [{"problem_id": t, "arm": "critic", "completion": c} for t, c in replies.items()]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    judge = {"method": "critic", "backend": "scripted", "completions": str(path)}
    read, results = _build(store, judge, ["critic", "log", "arithmetic"])
    labels = {r["trajectory_id"]: r for r in read("judge", "step_labels").to_pylist()}
    assert set(labels) == {r["trajectory_id"] for r in rows}
    assert {r["source"] for r in labels.values()} == {"critic"}
    assert labels[logic["trajectory_id"]]["first_wrong_step"] == 1
    bad = labels[broken["trajectory_id"]]
    assert bad["status"] == "unverifiable" and bad["first_wrong_step"] is None
    assert "truncated" in bad["detail"] and all(r["requests"] == 1 for r in labels.values())
    others = [
        r for t, r in labels.items() if t not in (logic["trajectory_id"], bad["trajectory_id"])
    ]
    assert others and all(
        r["status"] == "labelled" and r["first_wrong_step"] is None for r in others
    )
    out = results["judge"].outputs
    assert "trajectories" not in out or read("judge", "trajectories").num_rows == 0
    pairs = read("pairs", "step_pairs").to_pylist()
    assert pairs and all(p["pair_rule"].endswith("sources=critic>log>arithmetic") for p in pairs)
    by_rejected = {p["rejected_trajectory_id"]: p for p in pairs}
    assert by_rejected[logic["trajectory_id"]]["error_step"] == 1
    assert any("1 unverifiable" in n for n in results["judge"].notes)


def test_prm_labels_from_a_tiny_prm(demo, tmp_path):
    pytest.importorskip("torch")
    from mathpref.steplabels.tiny_prm import build_tiny_prm

    store, rows = demo
    model = build_tiny_prm(tmp_path / "prm", layout="prm", known=True)
    judge = {
        "method": "prm",
        "backend": "transformers",
        "model": str(model),
        "backend_options": {"device": "cpu"},
    }
    read, _ = _build(store, judge, ["prm", "log", "arithmetic"])
    labels = read("judge", "step_labels").to_pylist()
    assert len(labels) == len(rows) and {r["source"] for r in labels} == {"prm"}
    assert {r["model"] for r in labels} == {str(model)}
    # no <|wrong|> in the demo: every step scores sigmoid(2) = 0.88, above 0.5 -> no wrong step
    for r in labels:
        assert r["status"] == "labelled" and r["first_wrong_step"] is None
        assert len(r["step_scores"]) == r["n_steps"] and set(r["step_scores"]) == {0.880797}
    pairs = read("pairs", "step_pairs").to_pylist()  # the PRM finds nothing: the others' steps
    assert pairs and all(p["pair_rule"].endswith("sources=prm>log>arithmetic") for p in pairs)
    # a threshold above 0.88 makes step 0 the first wrong one of each solution: the PRM comes
    # first, and no continuation starts from an empty prefix, so no step pair is left
    read, _ = _build(store, judge | {"prm_threshold": 0.9}, ["prm", "log", "arithmetic"])
    assert {r["first_wrong_step"] for r in read("judge", "step_labels").to_pylist()} == {0}
    assert read("pairs", "step_pairs").num_rows == 0
    read, _ = _build(store, judge | {"prm_threshold": 0.9}, ["log", "arithmetic", "prm"])
    assert read("pairs", "step_pairs").num_rows == len(pairs)  # the PRM last: the same pairs


def test_config_checks_the_judge_fields():
    with pytest.raises(ValueError, match="method 'prm' needs"):
        StepLabelsConfig(method="prm", backend="scripted", model="m")
    with pytest.raises(ValueError, match="prm_threshold"):
        StepLabelsConfig(method="prm", backend="vllm", model="m", prm_threshold=1.0)
    with pytest.raises(ValueError, match="critic_samples"):
        StepLabelsConfig(method="critic", backend="scripted", completions="x", critic_samples=0)
    assert pa  # pyarrow is what the stage writes
