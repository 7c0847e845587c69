"""The executor boundary without Ray: worker resources, shard purity, the CLI options."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from mathpref.errors import StageError
from mathpref.pipeline.executor import LocalExecutor
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.stages.base import StageContext, TableInputs
from mathpref.stages.resources import Resources
from mathpref.store import Store
from tests.conftest import REPO
from tests.foundation.helpers import make_project


class Closable:
    def __init__(self, log, name, fail=False):
        self.log, self.name, self.fail = log, name, fail

    def close(self):
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} would not close")


def test_resources_lifetimes_and_close():
    log = []
    worker = Resources(cpus=3)
    stage = Resources(parent=worker)
    assert stage.cpus == 3
    a = stage.get("a", lambda: Closable(log, "a"))
    assert stage.get("a", lambda: Closable(log, "other")) is a  # created once
    pool = stage.get("pool", lambda: Closable(log, "pool"), lifetime="worker")
    assert "pool" in worker and "pool" not in stage
    stage.get("b", lambda: Closable(log, "b", fail=True))
    with pytest.raises(RuntimeError, match="b would not close"):
        stage.close()
    assert sorted(log) == ["a", "b"] and len(stage) == 0  # every one tried, the worker's kept
    assert worker.get("pool", lambda: None) is pool
    worker.close()
    assert log[-1] == "pool"
    with pytest.raises(ValueError, match="lifetime"):
        worker.get("x", lambda: 1, lifetime="build")


def test_a_shard_reads_only_its_shard_inputs():
    read = TableInputs("verify", {"trajectories": pa.table({"a": [1, 2], "b": [3, 4]})})
    assert read("trajectories", ["b"]).column_names == ["b"]
    with pytest.raises(StageError, match="'problems', which its shard_inputs did not give"):
        read("problems")
    read.clear()  # release_inputs() inside a shard (the pairs stage on Ray): reads still work
    assert read("trajectories", ["a"])["a"].to_pylist() == [1, 2]


def test_an_uncached_read_is_not_held_by_the_input_reader(tmp_path):
    _, ctx, _ = _verify_ctx(tmp_path)
    reader = ctx.read_input
    texts = ctx.input("trajectories", ["completion"], keep=False)
    assert texts.num_rows > 0 and reader.cache == {}
    ids = ctx.input("trajectories", ["trajectory_id"])  # cached
    assert list(reader.cache) == [("trajectories", ("trajectory_id",))]
    again = ctx.input("trajectories", ["trajectory_id"], keep=False)  # served from the cache
    assert again.equals(ids) and len(reader.cache) == 1
    ctx.release_inputs()
    assert reader.cache == {}


def _verify_ctx(tmp_path):
    """The verify stage of a built hand-made project, and a context over its real inputs."""
    spec = load_spec(str(make_project(tmp_path, stages=VERIFY)), ["verify.shard_rows=2"])
    store = Store(tmp_path / "st")
    runner = Runner(spec, store)
    built = {r.name: r for r in runner.build()}
    ctx = runner._context("verify", built, tmp_path / "work")
    return (
        runner.stages["verify"],
        ctx,
        store.read(built["verify"].outputs["verifications"]["dataset_id"]),
    )


VERIFY = """
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
"""


def test_shards_are_pure_functions_of_their_inputs(tmp_path):
    """Each shard run alone, in reverse order, by a fresh stage object, in a fresh context
    holding only its shard inputs, gives exactly the rows of the normal build."""
    stage, ctx, built = _verify_ctx(tmp_path)
    n = stage.num_shards(ctx)
    assert n == 3
    parts = {}
    for i in reversed(range(n)):
        fresh = type(stage)(stage.name, {"shard_rows": 2}, stage.base_dir)
        tables = stage.shard_inputs(ctx, i)
        shard_ctx = StageContext(
            name="verify",
            base_dir=ctx.base_dir,
            work_dir=tmp_path / "w",
            read_input=TableInputs("verify", tables),
            input_roles=list(tables),
        )
        parts[i] = fresh.run_shard(shard_ctx, i, n)["verifications"]
        shard_ctx.resources.close()
    rows = pa.concat_tables([parts[i] for i in range(n)]).to_pylist()
    assert rows == built.select(parts[0].column_names).to_pylist()
    # the problems a shard gets are only those its trajectories need
    first = stage.shard_inputs(ctx, 0)
    used = set(first["trajectories"]["problem_id"].to_pylist())
    assert set(first["problems"]["problem_id"].to_pylist()) == used
    assert len(used) < ctx.input("problems").num_rows


def test_local_executor_closes_stage_resources_even_when_a_shard_fails(tmp_path, monkeypatch):
    from mathpref.stages.verify import VerifyStage

    log = []

    def boom(self, ctx, shard, n_shards):
        ctx.resource("model", lambda: Closable(log, "model"))
        raise RuntimeError("shard failed")

    monkeypatch.setattr(VerifyStage, "run_shard", boom)
    spec = load_spec(str(make_project(tmp_path, stages=VERIFY)))
    with pytest.raises(StageError, match="stage 'verify' \\(verify\\) failed: RuntimeError"):
        Runner(spec, Store(tmp_path / "st"), executor=LocalExecutor()).build()
    assert log == ["model"]


def test_kept_resources_outlive_the_stage_run(tmp_path):
    kept = Resources()
    spec = load_spec(str(make_project(tmp_path, stages=VERIFY)))
    Runner(spec, Store(tmp_path / "st"), executor=LocalExecutor(kept, keep_resources=True)).build()
    # kept (not closed) after the build: verify's math-verify pool, ready for the next build
    (key,) = kept._objects
    assert key[0] == "math-verify" and not kept._objects[key].closed
    kept.close()


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "mathpref.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_executor_options_are_checked(tmp_path):
    spec = str(REPO / "pipelines" / "demo-scripted.toml")
    bad = _cli("build", spec, "--store", str(tmp_path), "--executor", "spark")
    assert bad.returncode != 0 and "unknown executor 'spark'; valid: local, ray" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    lonely = _cli("build", spec, "--store", str(tmp_path), "--ray-address", "auto")
    assert lonely.returncode != 0 and "need --executor ray" in lonely.stderr


def test_ray_executor_without_ray_names_the_install_command(monkeypatch):
    from mathpref.errors import MissingDependencyError
    from mathpref.pipeline.executor import get_executor

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'mathpref\[ray\]'"):
        get_executor("ray")
