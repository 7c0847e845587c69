"""The rounds example end to end on CPU (tiny model): SFT → generate → verify → pairs → release →
DPO → generate again. Slow (a few minutes on a shared machine); CI runs it as its own step."""

import importlib.util

import pytest

from tests.conftest import REPO

pytest.importorskip("trl")


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_rounds_end_to_end(tmp_path, shared_data):
    from mathpref.generation.model_identity import content_revision

    spec = importlib.util.spec_from_file_location("rounds", REPO / "examples" / "rounds.py")
    rounds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rounds)
    out = rounds.main(
        ["--work", str(tmp_path / "w"), "--gsm8k", str(shared_data / "gsm8k" / "train.jsonl")]
    )
    r0, r1 = out["rounds"]
    assert r0["correct"] > 0 and r0["pairs"] > 0  # SFT reproduced some gold solutions
    assert r1["correctness_pairs"] > 0
    merged = out["dpo"]["merged"]
    assert r1["model_ids"] == [merged]  # round 1 was sampled from round 0's DPO model ...
    assert r1["model_revisions"] == [content_revision(merged)]  # ... and records its content
    assert r0["model_revisions"] == [out["sft"]["revision"]] != r1["model_revisions"]
    assert (tmp_path / "w" / "releases" / "round-0" / "data" / "dpo").is_dir()
