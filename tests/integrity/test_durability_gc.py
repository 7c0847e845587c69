"""Items 3 and 6: fsync before manifest and rename; leftovers cleaned under the lock; gc keeps
whatever refs or history reach, restores missing refs, cleans manifest-less folders, and
deletes through the trash."""

import json
import os

import pytest

from mathpref.errors import StoreError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from mathpref.store.gc import collect
from tests.foundation.helpers import make_project
from tests.integrity.kinds import sample_table


def test_parts_and_folders_are_fsynced_before_the_manifest_and_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(a, b):
        events.append(("replace", str(b)))
        return real_replace(a, b)

    def rename(a, b):
        events.append(("rename", str(a), str(b)))
        return real_rename(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    st = Store(tmp_path / "s")
    events.clear()
    st.write_dataset("verifications", sample_table("verifications"), dataset_id="d", manifest={})
    (rename_at,) = [i for i, e in enumerate(events) if e[0] == "rename"]
    tmp, final = events[rename_at][1:]
    manifest_at = events.index(("replace", f"{tmp}/manifest.json"))
    fsynced = {e[1]: i for i, e in enumerate(events) if e[0] == "fsync"}
    assert fsynced[f"{tmp}/data/part-00000.parquet"] < manifest_at
    assert fsynced[f"{tmp}/data"] < manifest_at
    assert any(p.endswith(".tmp") and i < manifest_at for p, i in fsynced.items())  # manifest
    assert manifest_at < fsynced[tmp] < rename_at  # the folder, after its manifest
    assert fsynced[str(tmp_path / "s" / "datasets" / "verifications")] > rename_at
    assert final.endswith("/datasets/verifications/d")


def _leftovers(root):
    (root / "tmp" / "verifications-x.1234").mkdir(parents=True)
    (root / "tmp" / "verifications-x.1234" / "part.parquet").write_bytes(b"half")
    (root / "refs" / ".hand.json.abcd1234.tmp").write_text("{")
    (root / "stages" / ".v.json.abcd1234.tmp").write_text("{")
    (root / "trash").mkdir(exist_ok=True)
    (root / "trash" / "problems-old").mkdir()


def test_leftovers_are_cleaned_by_the_next_build_under_the_lock(tmp_path):
    spec = make_project(tmp_path)
    st = Store(tmp_path / "st")
    _leftovers(st.root)
    Runner(load_spec(str(spec)), st).build()
    assert not list((st.root / "tmp").iterdir())
    assert not list(st.root.rglob(".*.tmp")) and not list(st.root.glob("trash/*"))
    _leftovers(st.root)
    gone = st.gc()
    assert "tmp/verifications-x.1234" in gone and "refs/.hand.json.abcd1234.tmp" in gone


def _two_builds(tmp_path):
    spec = make_project(tmp_path)
    st = Store(tmp_path / "st")
    Runner(load_spec(str(spec)), st).build()
    first = st.read_ref("hand").dataset_ids()
    Runner(load_spec(str(spec), ["trajectories.arm=other"]), st).build()
    return spec, st, first, st.read_ref("hand").dataset_ids()


def test_gc_keeps_history_reachable_versions_and_restores_a_missing_ref(tmp_path):
    spec, st, first, second = _two_builds(tmp_path)
    ref = json.loads((st.root / "refs" / "hand.json").read_text())
    (st.root / "refs" / "hand.json").unlink()
    st.write_dataset("problems", sample_table("problems"), dataset_id="orphan", manifest={})
    report = collect(st)
    assert report.restored == [
        f"restored refs/hand.json from refs/history/hand/{sorted(os.listdir(st.root / 'refs/history/hand'))[-1]}"
    ]
    assert report.removed == ["problems/orphan"] and not report.problems
    assert json.loads((st.root / "refs" / "hand.json").read_text()) == ref
    for did in first | second:
        st.read(did)  # every version either build used is still whole
    assert not list(st.root.glob("trash/*"))


def test_gc_prune_history_and_missing_versions(tmp_path):
    spec, st, first, second = _two_builds(tmp_path)
    report = collect(st, keep_history=False)
    assert len([r for r in report.removed if r.startswith("refs/history/")]) == 1
    only_first = first - second
    assert only_first and all(f"/{d}" in " ".join(report.removed) for d in only_first)
    for did in second:
        st.read(did)
    # a version a ref names but that is gone is reported, not silently ignored
    gone = next(iter(second))
    from mathpref.store.atomic import discard

    discard(st.dataset_dir(gone), st.trash)
    assert any(gone in p and "rebuild 'hand'" in p for p in collect(st).problems)


def test_gc_removes_manifest_less_folders_and_stops_on_unreadable_refs(tmp_path):
    spec, st, first, second = _two_builds(tmp_path)
    did = next(iter(first - second))
    folder = st.dataset_dir(did)
    os.chmod(folder, 0o755)
    os.chmod(folder / "manifest.json", 0o644)
    (folder / "manifest.json").unlink()  # as a killed older gc left it
    (st.root / "refs" / "history" / "hand" / "zz-broken.json").write_text("{not json")
    with pytest.raises(StoreError, match="gc deletes nothing"):
        collect(st)
    st.write_dataset("problems", sample_table("problems"), dataset_id="orphan", manifest={})
    assert st.has_dataset("problems", "orphan")
    (st.root / "refs" / "history" / "hand" / "zz-broken.json").unlink()
    report = collect(st)
    assert any(r.endswith(f"/{did} (no manifest)") for r in report.removed)
    assert not folder.exists()
