from __future__ import annotations

import json

import pytest

from mathpref.errors import BackendError
from mathpref.generation.arms import Arm
from mathpref.generation.backends.base import get_backend, render_plain
from mathpref.generation.requests import build_continuation_requests, build_requests

pytestmark = pytest.mark.timeout(30)

LINES = [
    {"problem_id": "p1", "arm": "a", "sample_index": 0, "completion": "p1 a 0. The answer is 1."},
    {
        "problem_id": "p1",
        "arm": "a",
        "sample_index": 1,
        "completion": "p1 a 1 ### tail",
        "finish_reason": "length",
        "completion_tokens": 42,
    },
    {"problem_id": "p1", "completion": "p1 any arm"},
    {"question": "  What is\n2 + 3? ", "completion": "2 + 3 = 5. The answer is 5."},
    {"parent_trajectory_id": "t1", "prefix": "Step 1:", "sample_index": 0, "completion": " A"},
    {"parent_trajectory_id": "t1", "prefix": "Step 1:", "completion": " B"},
    {"problem_id": "p1", "arm": "a", "prefix": "Other:", "completion": " C"},
]


@pytest.fixture
def jsonl(tmp_path):
    path = tmp_path / "script.jsonl"
    body = "# demo script\n\n" + "\n".join(json.dumps(line) for line in LINES) + "\n"
    path.write_text(body)
    return path


def test_lookups(jsonl):
    backend = get_backend("scripted", path=str(jsonl))
    arm_a = Arm(name="a", family="f", n=2, stop=["###"])
    arm_b = Arm(name="b", family="f", n=1)
    reqs = build_requests([("p1", "q1"), ("p2", "What is 2 + 3?")], [arm_a, arm_b])
    results = {r.request_id: r for r in backend.generate(reqs)}
    got = {(r.problem_id, r.arm, r.sample_index): results[r.request_id] for r in reqs}
    assert got["p1", "a", 0].completion == "p1 a 0. The answer is 1."
    assert got["p1", "a", 1].completion == "p1 a 1 "  # stop string applied
    assert got["p1", "a", 1].finish_reason == "stop" and got["p1", "a", 1].completion_tokens == 42
    assert got["p1", "b", 0].completion == "p1 any arm"  # arm wildcard
    assert got["p2", "a", 1].completion.startswith("2 + 3 = 5")  # matched by question text
    res = got["p1", "a", 0]
    assert res.rendered_prompt == render_plain(reqs[0].messages)
    assert res.finish_reason == "stop" and res.latency_s == 0.0 and res.prompt_tokens == 1
    # Deterministic: same results again.
    assert list(backend.generate(reqs)) == list(backend.generate(reqs))


def test_continuation_lookups(jsonl):
    backend = get_backend("scripted", path=jsonl)
    arm = Arm(name="a", family="f")
    reqs = build_continuation_requests(
        [("t1", "p1", "q1", arm, "Step 1:"), ("t9", "p1", "q1", arm, "Other:")], 2
    )
    out = [r.completion for r in backend.generate(reqs)]
    assert out == [" A", " B", " C", " C"]
    assert backend.name == "scripted"


def test_missing_key_names_key_and_file(jsonl):
    backend = get_backend("scripted", path=jsonl)
    (req,) = build_requests([("p404", "unknown question")], [Arm(name="z", family="f")])
    with pytest.raises(BackendError) as info:
        list(backend.generate([req]))
    msg = str(info.value)
    assert "p404" in msg and "'z'" in msg and "sample_index=0" in msg and str(jsonl) in msg
    arm = Arm(name="a", family="f")
    (cont,) = build_continuation_requests([("t2", "p1", "q1", arm, "Nope:")], 1)
    with pytest.raises(BackendError, match="parent_trajectory_id='t2'.*Nope:"):
        list(backend.generate([cont]))


def test_bad_files(tmp_path):
    dup = tmp_path / "dup.jsonl"
    dup.write_text(
        '{"problem_id": "p", "completion": "x"}\n{"problem_id": "p", "completion": "y"}\n'
    )
    with pytest.raises(BackendError, match=r"dup.jsonl:2: duplicate key \(same as line 1\)"):
        get_backend("scripted", path=dup)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem_id": "p", "answer": "x"}\n')
    with pytest.raises(BackendError, match="unknown key"):
        get_backend("scripted", path=bad)
    with pytest.raises(BackendError, match="file not found"):
        get_backend("scripted", path=tmp_path / "none.jsonl")
    backend = get_backend("scripted", records=[{"question": "q", "completion": "c"}])
    (req,) = build_requests([("p", "q")], [Arm(name="a", family="f")])
    assert next(backend.generate([req])).completion == "c"
