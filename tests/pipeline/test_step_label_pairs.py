"""Completion-based step labels on the demo feed step pairs (pipelines/demo-step-labels.toml)."""

import pytest

from mathpref.errors import SpecError, StageError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.conftest import REPO

SPEC = str(REPO / "pipelines" / "demo-step-labels.toml")


def _build(tmp, sets=()):
    results = {r.name: r for r in Runner(load_spec(SPEC, list(sets)), Store(tmp)).build()}
    st = Store(tmp)

    def read(name, role):
        return st.read(results[name].outputs[role]["dataset_id"]).to_pylist()

    return read, results


def test_completion_labels_produce_step_pairs(tmp_path):
    read, results = _build(tmp_path)
    labels = {r["trajectory_id"]: r for r in read("step_labels", "step_labels")}
    trajs = {t["trajectory_id"]: t for t in read("trajectories", "trajectories")}
    assert labels and all(r["source"] == "completions" for r in labels.values())
    # "5 + 2 = 7 ... 7 * 7 = 49": no arithmetic slip, the completions find step 1
    logic = [r for r in labels.values() if "7 * 7 = 49" in trajs[r["trajectory_id"]]["completion"]]
    assert [r["first_wrong_step"] for r in logic] == [1]
    assert logic[0]["requests"] == 4 and logic[0]["step_scores"] == [1.0, 0.0, 0.0]
    train = [
        r for r in labels.values() if "60 * 2.5 = 120" in trajs[r["trajectory_id"]]["completion"]
    ]
    assert train and all(r["first_wrong_step"] == 0 for r in train)
    conts = read("step_labels", "trajectories")
    assert conts and all(c["parent_trajectory_id"] in labels and c["prefix"] for c in conts)
    assert any("mean requests per labelled solution" in n for n in results["step_labels"].notes)
    pairs = read("pairs", "step_pairs")
    assert pairs and all(
        p["pair_rule"].endswith("sources=completions>log>arithmetic") for p in pairs
    )
    by_rejected = {p["rejected_trajectory_id"]: p for p in pairs}
    assert logic[0]["trajectory_id"] in by_rejected
    for p in pairs:
        assert p["error_step"] == labels[p["rejected_trajectory_id"]]["first_wrong_step"]


def test_arithmetic_only_order_loses_the_logic_error(tmp_path):
    read, _ = _build(tmp_path, ['pairs.step_sources=["log", "arithmetic"]'])
    pairs = read("pairs", "step_pairs")
    trajs = {t["trajectory_id"]: t for t in read("trajectories", "trajectories")}
    assert all("7 * 7 = 49" not in trajs[p["rejected_trajectory_id"]]["completion"] for p in pairs)
    assert all("sources=" not in p["pair_rule"] for p in pairs)  # the default rule text


def test_label_sources_need_a_step_labels_input(tmp_path):
    spec = load_spec(SPEC, [])
    spec.stages["pairs"].inputs.pop("step_labels")
    with pytest.raises(StageError, match="need a step_labels input"):
        Runner(spec, Store(tmp_path)).build()


def test_unknown_method_and_source_are_refused(tmp_path):
    from mathpref.stages.base import stage_class

    with pytest.raises(SpecError, match="method must be one of"):
        stage_class("step_labels")("s", {"method": "oracle", "backend": "scripted"}, tmp_path)
    with pytest.raises(SpecError, match="needs completions"):
        stage_class("step_labels")("s", {"backend": "scripted"}, tmp_path)
    with pytest.raises(SpecError, match="unknown step_sources"):
        stage_class("pairs")("p", {"step_sources": ["gpt4"]}, tmp_path)


def test_release_prm_takes_completion_labels_and_records_the_source(tmp_path):
    import pyarrow.parquet as pq

    from mathpref.release import ReleaseOptions, release_build

    _build(tmp_path / "store")
    out = tmp_path / "release"
    res = release_build(Store(tmp_path / "store"), "demo-step-labels", out, ReleaseOptions())
    assert "prm" in res["configs"]
    rows = [
        r for f in (out / "data" / "prm").glob("*.parquet") for r in pq.read_table(f).to_pylist()
    ]
    assert rows and {r["step_source"] for r in rows} == {"completions"}
    for r in rows:
        assert r["labels"][-1] is False and all(r["labels"][:-1])


def test_report_prints_the_agreement(tmp_path):
    from typer.testing import CliRunner

    from mathpref.cli import app

    _build(tmp_path)
    res = CliRunner().invoke(
        app, ["report", "--store", str(tmp_path), "--pipeline", "demo-step-labels"]
    )
    assert res.exit_code == 0, res.output
    assert "step_source_agreement" in res.output and "completions" in res.output
