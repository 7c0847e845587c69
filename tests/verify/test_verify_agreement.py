"""Agreement with existing graders' labels on the real staged data."""

import json
from pathlib import Path

import pytest

from mathpref.verify import grade_batch

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")

pytestmark = pytest.mark.skipif(not (DATA / "gsm8k").is_dir(), reason="shared data absent")


def _jsonl(path):
    return [json.loads(line) for line in path.open()]


@pytest.mark.timeout(120)
def test_gsm8k_agreement_with_openai_is_correct():
    tests = _jsonl(DATA / "gsm8k" / "test.jsonl")
    sols = _jsonl(DATA / "gsm8k" / "example_model_solutions.jsonl")
    golds, comps, labels = [], [], []
    for t, s in zip(tests, sols, strict=True):
        for k in KEYS:
            golds.append(t["answer"].split("####")[-1].strip())
            comps.append(s[k]["solution"])
            labels.append(s[k]["is_correct"])
    status = grade_batch(golds, comps).column("status").to_pylist()
    agree = sum((st == "correct") == lab for st, lab in zip(status, labels, strict=True))
    assert len(labels) == 5276
    assert agree / len(labels) >= 0.999


@pytest.mark.timeout(120)
def test_qwen_math_agreement_with_score():
    golds, comps, labels = [], [], []
    for rec in _jsonl(DATA / "qwen25_math_samples" / "math_cot_100.jsonl"):
        for resp, score in zip(rec["code"], rec["score"], strict=True):
            golds.append(rec["answer"])
            comps.append(resp)
            labels.append(score)
    status = grade_batch(golds, comps).column("status").to_pylist()
    agree = sum((st == "correct") == lab for st, lab in zip(status, labels, strict=True))
    assert len(labels) == 800
    assert agree / len(labels) >= 0.995
