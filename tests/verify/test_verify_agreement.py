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


@pytest.mark.timeout(180)
def test_other_labelled_files_agree():
    """ProcessBench (gold joined via GSM8K test / MATH-500), PRM800K samples, math-verify's
    examples: every disagreement is one of the known, explained rows of the bench."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench import verify_agreement as bench

    for load, rows, at_least in (
        (bench.load_processbench_gsm8k, 400, 396),
        (bench.load_processbench_math500, 112, 111),
        (bench.load_prm800k, 10, 10),
        (bench.load_math_verify_examples, 6, 6),
    ):
        data = load(DATA)
        status = grade_batch([r["gold"] for r in data], [r["completion"] for r in data])
        status = status.column("status").to_pylist()
        wrong = [
            r["id"] for r, st in zip(data, status, strict=True) if (st == "correct") != r["label"]
        ]
        assert len(data) == rows and len(data) - len(wrong) >= at_least, wrong
        assert set(wrong) <= set(bench.KNOWN), wrong
