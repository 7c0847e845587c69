"""Canonical answer keys: equivalent answers share one answer_key (issue 10's grouping)."""

import pytest

from mathpref.verify import grade_batch
from mathpref.verify.keys import unify_keys

ROWS = [  # (problem, gold, completion)
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\sqrt{2}/2}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{\\sqrt2}{2}}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt{2}}}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\sqrt{3}/3}"),  # wrong, twice, written two ways
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{\\frac{1}{\\sqrt3}}"),
    ("p", "\\frac{\\sqrt{2}}{2}", "\\boxed{0.7}"),
    ("q", "7", "The answer is 7."),
    ("q", "7", "\\boxed{\\sqrt{49}}"),
    ("q", "7", "\\boxed{8}"),
    ("q", "7", "\\boxed{2^3}"),  # 8 written differently
    ("r", "x+1", "\\boxed{1+x}"),
    ("r", "x+1", "no answer here"),
]


@pytest.mark.timeout(120)
def test_equivalent_answers_share_a_key():
    pids = [r[0] for r in ROWS]
    golds = [r[1] for r in ROWS]
    t = grade_batch(golds, [r[2] for r in ROWS]).to_pylist()
    keys, stats = unify_keys(
        pids,
        golds,
        [v["extracted_answer"] for v in t],
        [v["answer_key"] for v in t],
        [v["status"] for v in t],
    )
    assert [v["status"] for v in t][:3] == ["correct"] * 3
    assert len(set(keys[:3])) == 1  # the three ways of writing sqrt(2)/2
    assert keys[3] == keys[4] and keys[3] != keys[0]  # two ways of one wrong answer
    assert keys[5] == "0.7"  # exact numbers keep their key
    assert keys[6] == keys[7] == "7"
    assert keys[8] == keys[9] == "8"
    assert keys[10] is not None and keys[11] is None
    assert stats["merged"] >= 1
    # grouping by key now equals grouping by equivalence: distinct keys per problem
    assert len({k for p, k in zip(pids, keys, strict=True) if p == "p"}) == 3


@pytest.mark.timeout(300)
def test_verify_stage_writes_canonical_keys(tmp_path):
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec
    from mathpref.store import Store
    from tests.foundation.helpers import write_jsonl

    write_jsonl(
        tmp_path / "p.jsonl",
        [{"q": "Half of sqrt 2?", "a": "\\frac{\\sqrt{2}}{2}"}, {"q": "3+4?", "a": "7"}],
    )
    answers = [
        "\\boxed{\\sqrt{2}/2}",
        "\\boxed{\\frac{1}{\\sqrt{2}}}",
        "\\boxed{\\sqrt{3}/3}",
        "\\boxed{\\frac{1}{\\sqrt3}}",
    ]
    log = [{"q": "Half of sqrt 2?", "text": a} for a in answers] + [
        {"q": "3+4?", "text": "The answer is 7."}
    ]
    write_jsonl(tmp_path / "log.jsonl", log)
    (tmp_path / "s.toml").write_text(
        """
[stages.problems]
kind = "problems"
path = "p.jsonl"
question_field = "q"
answer_field = "a"
gold_format = "plain"
[stages.trajectories]
kind = "import"
inputs = { problems = "problems" }
path = "log.jsonl"
question_field = "q"
completion_field = "text"
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
"""
    )
    results = {
        r.name: r
        for r in Runner(load_spec(str(tmp_path / "s.toml")), Store(tmp_path / "st")).build()
    }
    st = Store(tmp_path / "st")
    traj = {
        t["trajectory_id"]: t["completion"]
        for t in st.read(results["trajectories"].outputs["trajectories"]["dataset_id"]).to_pylist()
    }
    v = {
        traj[r["trajectory_id"]]: r
        for r in st.read(results["verify"].outputs["verifications"]["dataset_id"]).to_pylist()
    }
    k = [v[a]["answer_key"] for a in answers]
    assert k[0] == k[1] and k[2] == k[3] and k[0] != k[2]
    assert v["The answer is 7."]["answer_key"] == "7"
