"""SFT from a problems dataset's gold solutions (GSM8K calculator notes kept or stripped)."""

import json
import math

import pytest

from mathpref.training.gold import (
    GoldDataError,
    gold_sft_rows,
    load_problems,
    strip_calculator_notes,
)


def test_strip_calculator_notes():
    text = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n48+24 = <<48+24=72>>72\n#### 72"
    assert strip_calculator_notes(text) == (
        "Natalia sold 48/2 = 24 clips in May.\n48+24 = 72\n#### 72"
    )
    assert strip_calculator_notes("a << b and c >> d") == "a << b and c >> d"  # not a note: kept


def test_gold_rows_from_gsm8k_train(shared_data):
    probs = load_problems(str(shared_data / "gsm8k" / "train.jsonl"), preset="gsm8k")
    assert probs.num_rows == 7473
    rows = gold_sft_rows(probs, user_template="Q: {question}", system_prompt="Be brief.", limit=3)
    assert len(rows) == 3
    first = rows[0]
    assert first["prompt"][0] == {"role": "system", "content": "Be brief."}
    assert first["prompt"][1]["content"].startswith("Q: Natalia sold clips")
    answer = first["completion"][0]["content"]
    assert "<<" not in answer and answer.endswith("#### 72")
    kept = gold_sft_rows(probs, notes="keep", limit=1)
    assert "<<48/2=24>>" in kept[0]["completion"][0]["content"]


def test_problems_without_solutions_and_bad_options(tmp_path):
    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps({"problem": "What is 1+1?", "answer": "2"}) + "\n")
    probs = load_problems(str(f), preset="math")  # math preset: no solution field here
    with pytest.raises(GoldDataError, match="no problem has a gold solution"):
        gold_sft_rows(probs)
    with pytest.raises(GoldDataError, match="must contain '\\{question\\}'"):
        gold_sft_rows(probs, user_template="no placeholder")
    with pytest.raises(GoldDataError, match="no such file"):
        load_problems(str(tmp_path / "missing.jsonl"))


def test_sft_from_problems_trains(shared_data, tiny_model, tmp_path):
    pytest.importorskip("trl")
    from mathpref.training.run import TrainRequest, train

    req = TrainRequest(
        method="sft",
        out=tmp_path / "sft",
        problems=str(shared_data / "gsm8k" / "train.jsonl"),
        problems_limit=6,
        model=str(tiny_model),
        sets=["max_steps=5", "per_device_train_batch_size=2", "lora_target_modules=[q_proj]"],
    )
    res = train(req, progress=lambda line: None)
    assert res.state["metrics"]["global_step"] == 5 and math.isfinite(res.state["metrics"]["loss"])
    assert res.state["release"]["kind"] == "problems" and res.state["release"]["train_rows"] == 6
    assert "gold solutions" in (res.out / "README.md").read_text()
