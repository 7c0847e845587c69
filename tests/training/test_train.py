"""`mathpref train` on the tiny model, from a real release (`mathpref release demo-scripted`)."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mathpref.training.run import TrainRequest, train
from tests.conftest import REPO

pytest.importorskip("trl")

TINY = [
    "max_steps=5",
    "per_device_train_batch_size=2",
    "per_device_eval_batch_size=2",
    "learning_rate=1e-3",
    "lora_r=4",
    "lora_alpha=8",
    "lora_target_modules=[q_proj, v_proj]",
    "max_length=128",
    "save_steps=100",
]


def run(method, out, release, model, *extra, **kw):
    req = TrainRequest(method=method, out=out, data=str(release), model=str(model), **kw)
    req.sets = TINY + list(extra)
    return train(req, progress=lambda line: None)


def losses(out: Path) -> list[float]:
    hist = json.loads((out / "log_history.json").read_text())
    return [h["loss"] for h in hist if "loss" in h]


@pytest.fixture(scope="module")
def dpo_run(tmp_path_factory, release, tiny_model):
    out = tmp_path_factory.mktemp("dpo") / "out"
    return run("dpo", out, release, tiny_model, merge=True)


def test_dpo_trains_five_steps_and_writes_the_output_folder(dpo_run, release):
    out, state = dpo_run.out, dpo_run.state
    assert state["state"] == "finished" and state["metrics"]["global_step"] == 5
    ls = losses(out)
    assert len(ls) == 5 and all(math.isfinite(x) for x in ls)
    for name in ("adapter_model.safetensors", "adapter_config.json", "tokenizer.json"):
        assert (out / name).is_file(), name
    assert "rewards/accuracies" in state["metrics"] and "eval_rewards/margins" in state["metrics"]
    card = (out / "README.md").read_text()
    assert state["fingerprint"] in card and state["release"]["data_fingerprint"] in card
    for word in ("DPOTrainer", "trl 1.16", "peft", "mathpref", str(release), "`dpo`"):
        assert word in card, word
    lineage = json.loads((release / "mathpref_release.json").read_text())
    pairs_fp = next(d["fingerprint"] for d in lineage["datasets"] if d["kind"] == "pairs")
    assert pairs_fp in card  # the release's own lineage fingerprints are named
    from huggingface_hub import ModelCard

    assert "dpo" in ModelCard(card).data.tags


def test_resolved_config_runs_with_trls_parser(dpo_run):
    from trl.scripts.dpo import make_parser

    *objs, rest_config, rest_cli = make_parser().parse_args_and_config(
        ["--config", str(dpo_run.out / "trl_config.yaml")],
        return_remaining_strings=True,
        separate_remaining_strings=True,
    )
    assert rest_config == [] and rest_cli == []
    assert objs[0].dataset_config == "dpo" and objs[1].max_steps == 5 and objs[2].lora_r == 4


def test_adapter_reloads_onto_the_base(dpo_run, tiny_model):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    model = PeftModel.from_pretrained(base, str(dpo_run.out))
    saved = load_file(dpo_run.out / "adapter_model.safetensors")
    lora_b = [k for k in saved if "lora_B" in k]
    assert lora_b and any(saved[k].abs().sum() > 0 for k in lora_b)  # the adapter was trained
    ids = torch.tensor([[1, 10, 20, 30]])
    with torch.no_grad():
        tuned = model(input_ids=ids).logits
        with model.disable_adapter():
            plain = model(input_ids=ids).logits
    assert not torch.allclose(tuned, plain)


def test_merged_model_generates_in_a_pipeline(dpo_run, tmp_path):
    from mathpref.generation.model_identity import content_revision
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec
    from mathpref.store import Store

    merged = dpo_run.merged
    assert merged == dpo_run.out / "merged" and (merged / "model.safetensors").is_file()
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[pipeline]
name = "after-dpo"
[stages.problems]
kind = "problems"
path = "{REPO}/pipelines/data/demo-problems.jsonl"
preset = "gsm8k"
limit = 2
[stages.trajectories]
kind = "generate"
inputs = {{ problems = "problems" }}
backend = "transformers"
model = "{merged}"
preset = "direct-reflective-deliberative"
only_arms = ["direct"]
n = 2
max_new_tokens = 8
backend_options = {{ batch_size = 4, device = "cpu" }}
""")
    store = Store(tmp_path / "st")
    Runner(load_spec(str(spec)), store).build()
    t = store.read(store.read_ref("after-dpo").output("trajectories")["dataset_id"])
    assert t.num_rows == 4
    assert set(t["model_id"].to_pylist()) == {str(merged)}
    assert set(t["model_revision"].to_pylist()) == {content_revision(merged)}
    assert dpo_run.state["merged"] == content_revision(merged)


@pytest.mark.parametrize("method", ["sft", "kto", "step-dpo"])
def test_each_method_trains_five_steps_from_the_release(method, release, tiny_model, tmp_path):
    res = run(method, tmp_path / method, release, tiny_model)
    ls = losses(res.out)
    assert res.state["metrics"]["global_step"] == 5
    assert len(ls) == 5 and all(math.isfinite(x) for x in ls), ls
    want = {"sft": "sft", "kto": "kto", "step-dpo": "step_dpo_trl"}[method]
    assert res.state["release"]["subset"] == want
    assert (res.out / "adapter_model.safetensors").is_file()


def test_reuse_of_an_output_folder_needs_overwrite(dpo_run, release, tiny_model):
    from mathpref.training.output import OutputError

    with pytest.raises(OutputError, match="not empty: pass --overwrite"):
        run("dpo", dpo_run.out, release, tiny_model)


def test_missing_config_and_unpinned_hub_id_are_one_line_errors(release, tiny_model, tmp_path):
    from mathpref.training.data import ReleaseDataError

    with pytest.raises(ReleaseDataError, match=r"no config 'prm' \(configs: dpo, kto, sft, step"):
        run("dpo", tmp_path / "a", release, tiny_model, subset="prm")
    with pytest.raises(ReleaseDataError, match="--subset step_dpo_trl"):  # published fields
        run("step-dpo", tmp_path / "a", release, tiny_model, subset="step_dpo")
    req = TrainRequest(method="dpo", out=tmp_path / "b", data="org/name", model=str(tiny_model))
    with pytest.raises(ReleaseDataError, match="pin one as org/name@REVISION"):
        train(req, progress=lambda line: None)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_resume_continues_a_killed_run(release, tiny_model, tmp_path):
    out = tmp_path / "killed"
    sets = [s for s in TINY if not s.startswith(("max_steps", "save_steps"))]
    sets += ["max_steps=10", "save_steps=2", "per_device_train_batch_size=1"]
    cmd = [sys.executable, "-m", "mathpref.cli", "train", "dpo", "--data", str(release)]
    cmd += ["--model", str(tiny_model), "--out", str(out)]
    for s in sets:
        cmd += ["--set", s]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = out / "checkpoints" / "checkpoint-2" / "trainer_state.json"
    deadline = time.time() + 240
    while not first.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert first.exists(), "no checkpoint was written before the deadline"
    state = json.loads((out / "mathpref_train.json").read_text())
    assert state["state"] == "running"
    done = sorted(int(p.name.split("-")[1]) for p in (out / "checkpoints").glob("checkpoint-*"))
    assert done and done[-1] < 10  # killed before the end
    # a checkpoint cut off mid-save (no trainer_state.json yet) is passed over on resume
    done = [
        d
        for d in done
        if (out / "checkpoints" / f"checkpoint-{d}" / "trainer_state.json").is_file()
    ]

    lines = []
    req = TrainRequest(method="dpo", out=out, data=str(release), model=str(tiny_model))
    req.sets, req.resume = sets, True
    res = train(req, progress=lines.append)
    assert any(f"resuming from checkpoint-{done[-1]}" in line for line in lines), lines
    assert res.state["state"] == "finished" and res.state["metrics"]["global_step"] == 10
    steps = [h["step"] for h in json.loads((out / "log_history.json").read_text()) if "loss" in h]
    assert steps == list(range(1, 11))  # the history before the kill came back from the checkpoint
