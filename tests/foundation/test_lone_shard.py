"""Stages of one shard: set-based ones (scores, pairs) write no shard file; the others write
theirs and hand the checked tables on in memory. Either way the store gets the same rows."""

import pyarrow as pa
import pytest

import mathpref.pipeline.executor as executor
from mathpref.errors import SchemaError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.shards import read_shards
from mathpref.pipeline.spec import load_spec
from mathpref.stages.scoring import PairsStage, ScoresStage
from mathpref.store import Store
from tests.conftest import REPO

SPEC = str(REPO / "pipelines" / "demo-scripted.toml")


def _build(store, monkeypatch, record=None, read_back=None):
    if record is not None:
        real = executor.publish_shard

        def publish(stage, work, shard, tables, keep=False):
            record.append(stage.kind)
            return real(stage, work, shard, tables, keep)

        monkeypatch.setattr(executor, "publish_shard", publish)
    if read_back is not None:
        import mathpref.pipeline.runner as runner_mod

        def counting(work, role, kind, n, kept=None):
            read_back.append((role, bool(kept and role in kept)))
            return read_shards(work, role, kind, n, kept)

        monkeypatch.setattr(runner_mod, "read_shards", counting)
    Runner(load_spec(SPEC), Store(store)).build()
    ref = Store(store).read_ref()
    return {
        n: {r: o["fingerprint"] for r, o in s["outputs"].items()} for n, s in ref.stages.items()
    }


def test_set_based_stages_skip_the_shard_file_with_the_same_fingerprints(tmp_path, monkeypatch):
    published, read_back = [], []
    fast = _build(tmp_path / "a", monkeypatch, published, read_back)
    assert "verify" in published and "problems" in published
    assert "scores" not in published and "pairs" not in published
    # every lone shard's output came from memory, none from its file
    assert read_back and all(from_memory for _, from_memory in read_back)
    monkeypatch.setattr(ScoresStage, "checkpoint_lone_shard", True)
    monkeypatch.setattr(PairsStage, "checkpoint_lone_shard", True)
    checkpointed = _build(tmp_path / "b", monkeypatch)  # the recorder above still records
    assert published.count("pairs") == 1 and published.count("scores") == 1
    assert checkpointed == fast


def test_outputs_without_a_shard_file_are_still_checked_against_the_schema(tmp_path, monkeypatch):
    import mathpref.stages.scoring as scoring

    def broken(read, config=None):
        return {
            "problem_scores": pa.table({"problem_id": ["p1"]}),  # the other columns missing
            "trajectory_scores": None,
        }

    monkeypatch.setattr(scoring, "compute_scores_staged", broken)
    with pytest.raises(SchemaError, match="columns do not match schema 'problem_scores'"):
        Runner(load_spec(SPEC), Store(tmp_path / "s")).build()
