from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mathpref
from mathpref.generation.arms import Arm
from mathpref.generation.requests import (
    GenerationResult,
    build_continuation_requests,
    build_requests,
    derive_seed,
    make_request_id,
)

pytestmark = pytest.mark.timeout(60)
ROOT = str(Path(mathpref.__file__).resolve().parent.parent)


def test_derive_seed_stable_and_in_range():
    s = derive_seed(1, "p1", "arm", 0)
    assert s == derive_seed(1, "p1", "arm", 0)
    assert 0 <= s < 2**31
    code = (
        "from mathpref.generation.requests import derive_seed;print(derive_seed(1, 'p1', 'arm', 0))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": ROOT}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert int(other.stdout) == s


def test_derive_seed_distinct():
    seeds = {
        derive_seed(b, f"p{i}", a, k)
        for b in (0, 1)
        for i in range(50)
        for a in ("x", "y")
        for k in range(5)
    }
    assert len(seeds) == 2 * 50 * 2 * 5
    assert derive_seed(0, "p", "a", 0) != derive_seed(0, "p", "a", 0, salt="s")


def test_build_requests(arms, problems):
    reqs = build_requests(problems, arms)
    assert len(reqs) == len(problems) * sum(a.n for a in arms)
    assert len({r.request_id for r in reqs}) == len(reqs)
    assert len({r.seed for r in reqs}) == len(reqs)
    first = reqs[0]
    assert (first.problem_id, first.arm, first.sample_index) == ("p1", "precise", 0)
    assert first.messages == (
        ("system", "Be precise."),
        ("user", "Problem: " + problems[0][1] + "\nAnswer with \\boxed{}."),
    )
    assert (first.temperature, first.top_p, first.max_new_tokens) == (0.7, 0.9, 16)
    assert first.seed == derive_seed(7, "p1", "precise", 0)
    assert first.request_id == make_request_id("p1", "precise", 0)
    assert first.arm_family == "precise" and first.question == problems[0][1]
    assert first.prefix is None and first.parent_trajectory_id is None
    greedy = [r for r in reqs if r.arm == "greedy"]
    assert greedy[0].messages == (("user", problems[0][1]),) and greedy[0].stop == ("\n\n",)
    # Stable: rebuilding (also with arms in another order) gives the same ids and seeds.
    again = {r.request_id: r for r in build_requests(problems, list(reversed(arms)))}
    assert all(again[r.request_id] == r for r in reqs)
    hash(first)  # frozen and hashable
    assert first.to_dict()["messages"][0] == ["system", "Be precise."]
    assert first.sampling_params()["seed"] == first.seed


def test_build_requests_rejects_duplicates(arms, problems):
    with pytest.raises(ValueError, match="duplicate problem_id"):
        build_requests([("p", "a"), ("p", "b")], arms)
    with pytest.raises(ValueError, match="duplicate arm name"):
        build_requests(problems, [arms[0], arms[0]])


def test_continuation_requests(arms, problems):
    items = [
        ("t1", "p1", problems[0][1], arms[0], "Step 1: 48 / 2 = 24."),
        ("t2", "p1", problems[0][1], arms[0], "Step 1: 48 * 2 = 96."),
    ]
    reqs = build_continuation_requests(items, 3, temperature=1.0, max_new_tokens=5)
    assert len(reqs) == 6
    assert all(r.is_continuation and r.temperature == 1.0 and r.max_new_tokens == 5 for r in reqs)
    assert [r.sample_index for r in reqs] == [0, 1, 2, 0, 1, 2]
    assert reqs[0].parent_trajectory_id == "t1" and reqs[0].prefix == items[0][4]
    assert reqs[0].messages == arms[0].messages(problems[0][1])
    assert len({r.request_id for r in reqs}) == 6 and len({r.seed for r in reqs}) == 6
    plain = build_requests(problems, arms)
    assert not {r.request_id for r in plain} & {r.request_id for r in reqs}
    assert not {r.seed for r in plain} & {r.seed for r in reqs}
    assert build_continuation_requests(items, 3, temperature=1.0, max_new_tokens=5) == reqs
    with pytest.raises(ValueError, match="temperature"):
        build_continuation_requests(items, 1, temperature=5.0)
    with pytest.raises(ValueError, match="n must be"):
        build_continuation_requests(items, 0)


def test_result_validation():
    GenerationResult("r", "x", 1, 1, "length", 0.1, "prompt")
    with pytest.raises(ValueError, match="finish_reason"):
        GenerationResult("r", "x", 1, 1, "eos", 0.1, "prompt")  # type: ignore[arg-type]


def test_arm_objects_unchanged(arms, problems):
    before = [a.to_dict() for a in arms]
    build_continuation_requests([("t", "p", "q", arms[0], "x")], 1, temperature=0.0)
    assert [a.to_dict() for a in arms] == before
    assert isinstance(arms[0], Arm)
