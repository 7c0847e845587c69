"""TRL 1.16 trains straight from a release folder with no column mapping (tiny local model)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

COMMON = dict(
    max_steps=5,
    per_device_train_batch_size=2,
    learning_rate=1e-4,
    report_to=[],
    use_cpu=True,
    bf16=False,
    save_strategy="no",
    logging_steps=1,
    dataloader_num_workers=0,
    seed=0,
)


def _train(release: Path, config: str, tmp_path: Path):
    from datasets import load_dataset

    ds = load_dataset(str(release), config, cache_dir=str(tmp_path / "hf"))
    return ds["train"].select(range(min(16, ds["train"].num_rows)))


def _losses(trainer) -> list[float]:
    return [h["loss"] for h in trainer.state.log_history if "loss" in h]


def test_dpo_trainer_reads_the_release(gsm8k_release, tiny_model, tmp_path):
    from trl import DPOConfig, DPOTrainer

    train = _train(gsm8k_release, "dpo", tmp_path)
    args = DPOConfig(output_dir=str(tmp_path / "out"), max_length=256, **COMMON)
    trainer = DPOTrainer(model=str(tiny_model), args=args, train_dataset=train)
    # TRL took the prompt from the conversations: the prompt is the user turn, and the
    # completion is only the assistant answer
    first = trainer.train_dataset[0]
    tok = trainer.processing_class
    prompt = tok.decode(first["prompt_ids"])
    assert prompt.endswith("<|assistant|>\n") and train[0]["messages"][0]["content"] in prompt
    assert train[0]["chosen"][-1]["content"][:20] in tok.decode(first["chosen_ids"])
    trainer.train()
    assert trainer.state.global_step == 5 and len(_losses(trainer)) == 5


def test_kto_trainer_reads_the_release(gsm8k_release, tiny_model, tmp_path):
    from trl import KTOConfig, KTOTrainer

    train = _train(gsm8k_release, "kto", tmp_path)
    assert set(train["label"]) == {True, False} or len(set(train["label"])) == 1
    args = KTOConfig(output_dir=str(tmp_path / "out"), max_length=256, **COMMON)
    trainer = KTOTrainer(model=str(tiny_model), args=args, train_dataset=train)
    trainer.train()
    assert trainer.state.global_step == 5


def test_sft_trainer_reads_the_release(gsm8k_release, tiny_model, tmp_path):
    from trl import SFTConfig, SFTTrainer

    train = _train(gsm8k_release, "sft", tmp_path)
    args = SFTConfig(output_dir=str(tmp_path / "out"), max_length=256, **COMMON)
    trainer = SFTTrainer(model=str(tiny_model), args=args, train_dataset=train)
    row = trainer.train_dataset[0]
    # prompt-completion data: the loss is on the completion only
    masked = sum(label == -100 for label in row["labels"])
    assert 0 < masked < len(row["input_ids"])
    trainer.train()
    assert trainer.state.global_step == 5


@pytest.mark.slow
def test_trl_dpo_cli_reads_the_release(gsm8k_release, tiny_model, tmp_path):
    """`trl dpo --dataset_name DIR --dataset_config dpo`, as the card says."""
    trl = Path(sys.executable).with_name("trl")
    cmd = [
        str(trl),
        "dpo",
        "--model_name_or_path",
        str(tiny_model),
        "--dataset_name",
        str(gsm8k_release),
        "--dataset_config",
        "dpo",
        "--output_dir",
        str(tmp_path / "o"),
        "--max_steps",
        "2",
        "--per_device_train_batch_size",
        "2",
        "--use_cpu",
        "--bf16",
        "False",
        "--report_to",
        "none",
        "--save_strategy",
        "no",
        "--max_length",
        "256",
    ]
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
