"""The metrics stage: hand-made builds pin the rules end to end; on math-qwen-samples the stage
agrees with an independent computation from the verifications table and with the file's own
grader labels (except the one known disagreement, idx 72 sample 7)."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from mathpref.db import connect
from mathpref.errors import StageError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.foundation.helpers import write_jsonl

REPO = Path(__file__).resolve().parents[2]

PROBLEMS = [
    {"question": "What is 2 + 2?", "answer": "2+2=4\n#### 4"},
    {"question": "What is 5 + 5?", "answer": "#### 10"},
    {"question": "How many eggs in 3 dozen?", "answer": "no marker here"},  # gold unparseable
    {"question": "What is 7 - 7?", "answer": "#### 0"},
]
SAMPLES = {
    0: ["The answer is 4.", "The answer is 5.", "The answer is 5.", "I do not know."],
    1: ["The answer is 10.", "The answer is 12.", "No idea.", "Hmm."],
    2: ["The answer is 36."] * 4,
    3: ["No idea.", "Cannot say.", "Unsure.", "Pass."],
}


def _hand_project(tmp: Path, extra: str = "") -> Path:
    write_jsonl(tmp / "problems.jsonl", PROBLEMS)
    log = [
        {"q": PROBLEMS[i]["question"], "model": "hand-model", "text": t}
        for i, texts in SAMPLES.items()
        for t in texts
    ]
    write_jsonl(tmp / "log.jsonl", log)
    spec = tmp / "spec.toml"
    spec.write_text(f"""
[pipeline]
name = "hand-eval"

[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"

[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "log.jsonl"
adapter = "generic"
question_field = "q"
completion_field = "text"
model_field = "model"
arm = "base"

[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
step_checks = false
{extra}
""")
    return spec


METRICS = """
[stages.metrics]
kind = "metrics"
inputs = { problems = "problems", trajectories = "trajectories", verifications = "verify" }
"""


def _build(spec: Path, store: Path, sets=()):
    return {r.name: r for r in Runner(load_spec(str(spec), list(sets)), Store(store)).build()}


def _metrics(store: Path, pipeline: str) -> dict[tuple[str, int], dict]:
    con = connect(Store(store), pipeline)
    rows = con.sql("SELECT * FROM eval_metrics").to_arrow_table().to_pylist()
    return {(r["metric"], r["k"]): r for r in rows}


def test_hand_made_build_pins_ties_statuses_and_no_answer(tmp_path):
    res = _build(_hand_project(tmp_path, METRICS), tmp_path / "st")
    assert any("decoding 'unknown'" in n for n in res["metrics"].notes)
    m = _metrics(tmp_path / "st", "hand-eval")
    expected = {
        ("accuracy", 1): 0.5,  # problems 1 and 2 have a correct first sample
        ("pass1_avg", 1): 0.125,  # 1/4, 1/4, 0, 0
        ("pass", 1): 0.125,
        ("pass", 2): 0.25,  # 1 - C(3,2)/C(4,2) = 1/2 for problems 1 and 2
        ("pass", 4): 0.5,
        ("maj", 1): 0.5,
        ("maj", 2): 0.25,  # 4 vs 5 and 10 vs 12 are ties: 1/2 each
        ("maj", 4): 0.125,  # 5 beats 4 (2 votes to 1); 10 vs 12 still a tie; 36 is unverifiable
    }
    assert {key: row["value"] for key, row in m.items()} == pytest.approx(expected)
    assert all(r["n_problems"] == 4 and r["n_samples"] == 4 for r in m.values())
    assert m[("accuracy", 1)]["ci_method"] == "wilson"
    assert m[("maj", 4)]["ci_method"] == "bootstrap"
    assert all(r["ci_low"] <= r["value"] <= r["ci_high"] for r in m.values())
    assert {r["decoding"] for r in m.values()} == {"unknown"}
    con = connect(Store(tmp_path / "st"), "hand-eval")
    ex = {r["gold"]: r for r in con.sql("SELECT * FROM eval_examples").to_arrow_table().to_pylist()}
    assert ex["4"]["vote_answer"] == "5" and ex["4"]["vote_correct"] == 0.0
    assert ex["10"]["vote_tied"] and ex["10"]["vote_correct"] == 0.5
    assert ex["10"]["answer_keys"] == ["10", "12", None, None]
    assert ex[None]["statuses"] == ["unverifiable"] * 4 and ex[None]["vote_correct"] == 0.0
    assert ex["0"]["vote_answer"] is None and ex["0"]["vote_count"] == 0


def test_decoding_override_seed_and_cache(tmp_path):
    spec = _hand_project(tmp_path, METRICS)
    store = tmp_path / "st"
    _build(spec, store, ['metrics.decoding={ base = "sampled" }'])
    first = _metrics(store, "hand-eval")
    assert {r["decoding"] for r in first.values()} == {"sampled"}
    again = _build(spec, store, ['metrics.decoding={ base = "sampled" }'])
    assert again["metrics"].status == "cached"
    _build(spec, store, ['metrics.decoding={ base = "sampled" }', "metrics.seed=7"])
    other = _metrics(store, "hand-eval")
    assert other[("maj", 4)]["value"] == first[("maj", 4)]["value"]
    with pytest.raises(Exception, match="decoding must map arms"):
        _build(spec, store, ['metrics.decoding={ base = "beam" }'])


def test_trajectories_without_verifications_fail_loudly(tmp_path):
    extra = """
[stages.other]
kind = "import"
inputs = { problems = "problems" }
path = "log.jsonl"
adapter = "generic"
question_field = "q"
completion_field = "text"
arm = "other-arm"

[stages.metrics]
kind = "metrics"
inputs = { problems = "problems", trajectories = "other", verifications = "verify" }
"""
    with pytest.raises(StageError, match="no verifications row"):
        _build(_hand_project(tmp_path, extra), tmp_path / "st")


# -- math-qwen-samples ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def qwen_store(tmp_path_factory):
    if not (REPO.parent / "shared" / "data" / "qwen25_math_samples").is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    store = tmp_path_factory.mktemp("qwen") / "st"
    _build(REPO / "pipelines" / "math-qwen-samples.toml", store)
    return store


def _pass(n: int, c: int, k: int) -> float:
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _maj(keys: list, correct: list[bool], k: int) -> float:
    votes = Counter(key for key in keys[:k] if key is not None)
    if not votes:
        return 0.0
    top = max(votes.values())
    tied = [key for key, n in votes.items() if n == top]
    pairs = list(zip(keys[:k], correct[:k], strict=True))
    return sum(any(c for kk, c in pairs if kk == t) for t in tied) / len(tied)


def _independent(per_problem: list[tuple[list, list[bool]]], metric: str, k: int) -> float:
    vals = []
    for keys, correct in per_problem:
        if metric == "pass":
            vals.append(_pass(len(correct), sum(correct), k))
        elif metric == "maj":
            vals.append(_maj(keys, correct, k))
        elif metric == "pass1_avg":
            vals.append(sum(correct) / len(correct))
        else:
            vals.append(float(correct[0]))
    return sum(vals) / len(vals)


def test_qwen_samples_match_the_verifications_table(qwen_store):
    con = connect(Store(qwen_store), "math-qwen-samples")
    rows = con.sql("""
        SELECT t.problem_id,
               list(v.answer_key ORDER BY t.sample_index) AS keys,
               list(v.status = 'correct' ORDER BY t.sample_index) AS correct
        FROM trajectories t JOIN verifications v USING (trajectory_id)
        GROUP BY t.problem_id
    """).fetchall()
    per_problem = [(keys, correct) for _, keys, correct in rows]
    assert len(per_problem) == 100
    m = _metrics(qwen_store, "math-qwen-samples")
    assert set(m) == {("accuracy", 1), ("pass1_avg", 1)} | {
        (metric, k) for metric in ("pass", "maj") for k in (1, 2, 4, 8)
    }
    for (metric, k), row in m.items():
        assert row["value"] == pytest.approx(_independent(per_problem, metric, k), abs=1e-12)
        assert row["benchmark"] == "math-qwen100" and row["decoding"] == "sampled"
    assert m[("maj", 8)]["value"] == pytest.approx(0.925)
    assert m[("pass", 8)]["value"] == pytest.approx(0.97)


def test_qwen_samples_against_the_files_own_grader_labels(qwen_store):
    """Votes by the file's own extracted `pred` strings and `score` labels give the same metrics
    except for idx 72, where the label misses 10{,}000 = 10000 in sample 7 (one known grader
    disagreement, bench/results/verify_agreement.md)."""
    path = REPO.parent / "shared" / "data" / "qwen25_math_samples" / "math_cot_100.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    labels = [(r["pred"], [bool(s) for s in r["score"]]) for r in records]
    m = _metrics(qwen_store, "math-qwen-samples")
    con = connect(Store(qwen_store), "math-qwen-samples")
    ours = con.sql(
        "SELECT source_index, answer_keys, statuses FROM eval_examples ORDER BY source_index"
    ).fetchall()
    for (metric, k), row in m.items():
        by_labels = _independent(labels, metric, k)
        assert abs(row["value"] - by_labels) <= 1 / 100 + 1e-12  # one problem of 100 at most
        for (idx, keys, statuses), (pred, score) in zip(ours, labels, strict=True):
            mine = _independent([(keys, [s == "correct" for s in statuses])], metric, k)
            theirs = _independent([(pred, score)], metric, k)
            if records[idx]["idx"] != 72:
                assert mine == pytest.approx(theirs), (idx, metric, k)
    # the difference at idx 72 is exactly its sample 7: labels 0 correct, ours 1
    assert sum(labels[72][1]) == 0
    assert [s == "correct" for s in ours[72][2]] == [False] * 7 + [True]
    assert m[("pass", 8)]["value"] - _independent(labels, "pass", 8) == pytest.approx(0.01)
    assert m[("maj", 8)]["value"] == pytest.approx(_independent(labels, "maj", 8))
