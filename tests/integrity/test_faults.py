"""The fault-injection suite: kill -9 at several points of a write, corrupted, truncated and
deleted part files, deleted manifests, refs and stage records, gc killed mid-way, and a write
through `mathpref sql` as root. Every case ends with a store that matches a clean build (checked
by fingerprints and `datasets verify --full`) or with a clear one-line error naming the fix;
never with wrong data read silently. Runs in well under a minute."""

import os
import shutil
import signal
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from mathpref.errors import StoreCorruptError, StoreError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from mathpref.store.check import repair, verify_store
from tests.foundation.helpers import make_project

pytestmark = pytest.mark.timeout(120)

# Five stages over the hand-made fixtures (problems -> import -> verify -> scores -> pairs).
STAGES = """
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
workers = 1

[stages.scores]
kind = "scores"
inputs = { problems = "problems", trajectories = "trajectories", verifications = "verify" }

[stages.pairs]
kind = "pairs"
inputs = { problems = "problems", trajectories = "trajectories", verifications = "verify", \
trajectory_scores = "scores.trajectory_scores", problem_scores = "scores.problem_scores" }
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    spec = make_project(tmp, stages=STAGES)
    clean = Store(tmp / "clean")
    Runner(load_spec(str(spec)), clean).build()
    return spec, _state(clean)


def _state(st: Store):
    ref = st.read_ref("hand")
    return {
        n: {r: o["fingerprint"] for r, o in s["outputs"].items()} for n, s in ref.stages.items()
    }


def _build(spec, st):
    return Runner(load_spec(str(spec)), st).build()


def _assert_clean(st, expected):
    assert _state(st) == expected
    bad = [f.line() for f in verify_store(st, full=True) if f.bad]
    assert not bad, bad


def _copy(project, tmp_path):
    spec, expected = project
    st_root = tmp_path / "st"
    shutil.copytree(spec.parent / "clean", st_root, symlinks=True)
    return spec, expected, Store(st_root)


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "mathpref.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=100,
    )


POINTS = [
    "parts-written",
    "manifest-written",
    "published",
    "stage-record",
    "history-written",
]


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_during_a_write_then_rerun(project, tmp_path, point):
    spec, expected = project
    st = tmp_path / "st"
    r = _cli("build", str(spec), "--store", str(st), env={"MATHPREF_DEBUG_KILL_AT": point})
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert not (st / "refs" / "hand.json").exists()
    if point == "history-written":  # a build in history whose ref was never written
        assert list((st / "refs" / "history" / "hand").glob("*.json"))
        assert "restored refs/hand.json" in " ".join(Store(st).gc())
    else:
        _build(spec, Store(st))
    _assert_clean(Store(st), expected)
    assert not list((st / "tmp").iterdir())


def _part(st, stage, role):
    return st.files(st.read_ref("hand").output(stage, role)["dataset_id"])[0]


@pytest.mark.parametrize("how", ["flip", "truncate", "delete", "fewer-rows"])
def test_damaged_part_is_refused_then_repaired(project, tmp_path, how):
    spec, expected, st = _copy(project, tmp_path)
    part = _part(st, "verify", "verifications")
    did = part.parent.parent.name
    os.chmod(part, 0o644)  # as root this changes nothing; it is what a non-root user would need
    if how == "flip":
        data = bytearray(part.read_bytes())
        data[len(data) // 3] ^= 0x01
        part.write_bytes(bytes(data))
    elif how == "truncate":
        os.truncate(part, part.stat().st_size - 7)
    elif how == "delete":
        part.unlink()
    else:
        pq.write_table(pq.read_table(part).slice(1), part)
    with pytest.raises(StoreCorruptError, match=f"verifications/{did}.*datasets repair {did}"):
        st.read(did)
    with pytest.raises(StoreCorruptError):  # the next build does not call it cached
        _build(spec, st)
    r = _cli("sql", "SELECT count(*) FROM verifications", "--store", str(st.root))
    assert r.returncode == 1 and "is corrupt" in r.stderr and len(r.stderr.splitlines()) == 1
    with st.lock():
        repair(st, did)
    _build(spec, st)
    _assert_clean(st, expected)


def test_deleted_manifest_is_healed_by_the_next_build(project, tmp_path):
    spec, expected, st = _copy(project, tmp_path)
    folder = _part(st, "scores", "trajectory_scores").parent.parent
    os.chmod(folder, 0o755)
    (folder / "manifest.json").unlink()
    with pytest.raises(StoreCorruptError, match="has no manifest"):
        st.read(folder.name)
    _build(spec, st)
    _assert_clean(st, expected)


def test_deleted_ref_and_stage_records(project, tmp_path):
    spec, expected, st = _copy(project, tmp_path)
    (st.root / "refs" / "hand.json").unlink()
    with pytest.raises(StoreError, match="no successful build"):
        st.read_ref("hand")
    for rec in list((st.root / "stages").glob("*.json"))[:2]:
        rec.unlink()
    st.gc()  # restores the ref from history
    _assert_clean(st, expected)
    _build(spec, st)  # recomputes the two stages; their versions are still whole, so reused
    _assert_clean(st, expected)


def test_gc_killed_mid_way_then_finished(project, tmp_path):
    spec, expected, st = _copy(project, tmp_path)
    Runner(load_spec(str(spec), ["trajectories.arm=other"]), st).build()
    Runner(load_spec(str(spec)), st).build()  # back to the first build: the second is history
    for p in (st.root / "refs" / "history" / "hand").glob("*.json"):
        if "other" in p.read_text():
            p.unlink()  # only the first build stays reachable
    before = len(list((st.root / "datasets").glob("*/*")))
    r = _cli(
        "datasets", "gc", "--store", str(st.root), env={"MATHPREF_DEBUG_KILL_AT": "discard-renamed"}
    )
    assert r.returncode == -signal.SIGKILL
    assert list((st.root / "trash").iterdir())  # killed between the rename and the removal
    assert len(list((st.root / "datasets").glob("*/*"))) == before - 1
    _assert_clean(st, expected)  # what the refs reach was never touched
    r = _cli("datasets", "gc", "--store", str(st.root))
    assert r.returncode == 0, r.stderr
    assert not list(st.root.glob("trash/*"))
    _assert_clean(st, expected)


def test_write_through_sql_as_root_is_refused_and_a_direct_write_is_caught(project, tmp_path):
    spec, expected, st = _copy(project, tmp_path)
    part = _part(st, "pairs", "pairs")
    r = _cli(
        "sql",
        f"COPY (SELECT * FROM pairs WHERE false) TO '{part}' (FORMAT parquet)",
        "--store",
        str(st.root),
    )
    assert r.returncode == 1 and "refused" in r.stderr
    _assert_clean(st, expected)
    # root ignores the 0444 mode: a write that bypasses mathpref lands, and the next read says so
    pq.write_table(pq.read_table(part).slice(0, 0), part)
    r = _cli("build", str(spec), "--store", str(st.root))
    assert r.returncode == 1 and "cached" not in r.stdout and "datasets repair" in r.stderr
