"""`mathpref eval` end to end with the tiny local model, run names, prompts and exemplars."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mathpref.evaluation.prompts import FEWSHOT_INDICES, exemplar_solution
from mathpref.evaluation.runspec import EvalSettings, model_slug, spec_dict, to_toml
from mathpref.store import Store


def _cli(*args, env=None):
    r = subprocess.run(
        [sys.executable, "-m", "mathpref.cli", *args], capture_output=True, text=True, env=env
    )
    return r.returncode, r.stdout, r.stderr


def test_eval_tiny_model_end_to_end_then_fully_cached(shared_data, tmp_path):
    pytest.importorskip("transformers")
    st = str(tmp_path / "st")
    args = ["eval", "--model", "tiny", "--benchmark", "gsm8k", "--limit", "5", "--samples", "2"]
    args += ["--max-new-tokens", "24", "--store", st]
    code, out, err = _cli(*args, "--jsonl", str(tmp_path / "ex.jsonl"))
    assert code == 0, err
    assert "4 stage(s) computed, 0 cached" in out
    name = re.search(r"run (eval-tiny-gsm8k-[0-9a-f]{8});", out).group(1)
    ref = Store(st).read_ref(name)
    metrics = Store(st).read(ref.output("metrics", "eval_metrics")["dataset_id"]).to_pylist()
    arms = {(r["arm"], r["decoding"], r["n_samples"]) for r in metrics}
    assert arms == {("greedy", "greedy", 1), ("sampled", "sampled", 2)}
    assert {r["n_problems"] for r in metrics} == {5}
    assert {(r["metric"], r["k"]) for r in metrics if r["arm"] == "sampled"} == {
        ("accuracy", 1),
        ("pass1_avg", 1),
        ("pass", 1),
        ("pass", 2),
        ("maj", 1),
        ("maj", 2),
    }
    lines = [json.loads(x) for x in (tmp_path / "ex.jsonl").read_text().splitlines()]
    assert len(lines) == 10
    assert {len(x["samples"]) for x in lines if x["arm"] == "sampled"} == {2}
    assert set(lines[0]) >= {"problem_id", "question", "gold", "samples", "vote_answer"}
    assert set(lines[0]["samples"][0]) >= {"completion", "extracted_answer", "status"}
    # the same command again: nothing recomputed
    code, out, err = _cli(*args)
    assert code == 0, err
    assert "0 stage(s) computed, 4 cached" in out and f"run {name};" in out
    # the written spec rebuilds the run
    code, out, err = _cli("build", str(Path(st) / "evals" / f"{name}.toml"), "--store", st)
    assert code == 0 and "0 stage(s) computed, 4 cached" in out, err
    code, out, err = _cli(
        "eval", "examples", name, "--out", str(tmp_path / "again.jsonl"), "--store", st
    )
    assert code == 0, err
    assert (tmp_path / "again.jsonl").read_text() == (tmp_path / "ex.jsonl").read_text()


def test_cli_errors_are_one_line(tmp_path):
    code, _, err = _cli("eval", "--benchmark", "gsm8k", "--store", str(tmp_path))
    assert code == 1 and err.strip() == (
        "error: mathpref eval needs --model M (a Hub id, a local folder, or 'tiny')"
    )
    code, _, err = _cli("eval", "--model", "tiny", "--benchmark", "aime", "--store", str(tmp_path))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "--benchmark must be one of" in err
    code, _, err = _cli(
        "eval",
        "--model",
        "m",
        "--benchmark",
        "math500",
        "--prompt",
        "few-shot-8",
        "--store",
        str(tmp_path),
    )
    assert code == 1 and "MATH-500 is evaluated zero-shot" in err


def test_run_names_are_slugs_and_change_with_settings():
    a = EvalSettings(model="Qwen/Qwen2.5-Math-1.5B-Instruct", benchmark="gsm8k")
    assert re.fullmatch(r"eval-qwen-qwen2\.5-math-1\.5b-instruct-gsm8k-[0-9a-f]{8}", a.run_name())
    assert a.run_name() == EvalSettings(model="Qwen/Qwen2.5-Math-1.5B-Instruct").run_name()
    assert a.run_name() != EvalSettings(model=a.model, samples=8).run_name()
    assert a.run_name() != EvalSettings(model=a.model, benchmark="math500").run_name()
    assert model_slug("/models/SmolLM2 135M/") == "smollm2-135m"
    assert model_slug("./ckpt/step-100") == "step-100"
    assert model_slug("!!!") == "model"
    assert len(model_slug("x" * 200)) == 40
    with pytest.raises(ValueError, match="--temperature"):
        EvalSettings(model="m", temperature=3.0)


def test_few_shot_exemplars_come_from_gsm8k_train_only(shared_data, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    raw = spec_dict(EvalSettings(model="m", benchmark="gsm8k-platinum", prompt="few-shot-8"))
    arms = raw["stages"]["trajectories"]["arms"]
    assert [a["name"] for a in arms] == ["greedy", "sampled"]
    template = arms[0]["user_template"]
    assert template.count("Question: ") == 9 and template.endswith("Question: {question}\nAnswer:")
    assert arms[0]["stop"] == ["\nQuestion:"] and arms[1]["temperature"] == 0.7
    train = [json.loads(x) for x in (shared_data / "gsm8k" / "train.jsonl").open()]
    for i in FEWSHOT_INDICES:
        assert train[i]["question"].strip() in template
        assert exemplar_solution(train[i]["answer"]) in template
    assert "<<" not in template and "####" not in template
    tests = [
        json.loads(x)["question"].strip() for x in (shared_data / "gsm8k" / "test.jsonl").open()
    ]
    platinum = [
        json.loads(x)["question"].strip()
        for x in (shared_data / "gsm8k_platinum" / "gsm8k_platinum.jsonl").open()
    ]
    assert not [q for q in tests + platinum if q in template]
    # the spec text round-trips through TOML
    import tomllib

    assert tomllib.loads(to_toml(raw)) == raw


def test_exemplar_solution_form():
    text = "She has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"
    assert exemplar_solution(text) == "She has 3 + 4 = 7 apples.\nThe answer is 7."
    with pytest.raises(ValueError, match="no final"):
        exemplar_solution("no marker")
