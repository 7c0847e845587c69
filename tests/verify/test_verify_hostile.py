"""Hostile predictions: never correct, no side effect, bounded time."""

import os

import pytest

from mathpref.verify import equivalent, grade, grade_batch


def _payloads(marker: str) -> list[str]:
    return [
        f"__import__('os').system('touch {marker}')",
        f"().__class__.__base__.__subclasses__() or open('{marker}','w')",
        "9**9**9**9**9",
        "10^{10^{10^{10}}}",
        "2^{99999999}",
        "x" * 200_000,
        "1" * 200_000,
        "\\sqrt{" * 500 + "2" + "}" * 500,
        "7" * 50_000,
        "(" * 5000 + "1" + ")" * 5000,
        "\\frac{" * 300 + "1" + "}{2}" * 300,
    ]


@pytest.mark.timeout(120)
def test_hostile_predictions(tmp_path):
    marker = tmp_path / "pwned"
    for payload in _payloads(str(marker)):
        assert not equivalent("2", payload, timeout=2.0)
        v = grade("2", "The answer is \\boxed{" + payload + "}", timeout=2.0)
        assert v.status != "correct", (payload[:40], v)
        v = grade("3", payload, timeout=2.0)
        assert v.status != "correct", (payload[:40], v)
    assert not marker.exists()
    assert not os.path.exists("/tmp/pwned") or os.path.getmtime("/tmp/pwned") < 0


@pytest.mark.timeout(120)
def test_hostile_predictions_in_batch(tmp_path):
    marker = tmp_path / "pwned"
    payloads = _payloads(str(marker))
    completions = ["\\boxed{" + p + "}" for p in payloads] + payloads
    table = grade_batch(["2"] * len(completions), completions, timeout=2.0)
    statuses = table.column("status").to_pylist()
    assert "correct" not in statuses
    assert not marker.exists()


def test_hostile_gold_is_unverifiable():
    assert grade("9**9**9**9**9", "5").status == "unverifiable"
    assert grade("1" * 5000, "5").status == "unverifiable"
