"""Release loading for training: configs, columns, Step-DPO form, revisions (no model)."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mathpref.training.data import (
    ReleaseDataError,
    data_fingerprint,
    load_splits,
    open_release,
    pick_subset,
)


def test_hand_made_release_loads_each_method_with_trl_columns(handmade_release):
    rel = open_release(str(handmade_release))
    assert set(rel.configs) == {"dpo", "kto", "sft", "step_dpo"} and rel.lineage is None
    cols = {
        "sft": ["prompt", "completion"],
        "dpo": ["chosen", "rejected"],
        "kto": ["prompt", "completion", "label"],
        "step-dpo": ["prompt", "chosen", "rejected"],
    }
    for method, want in cols.items():
        subset = pick_subset(rel, method, None)
        train, test = load_splits(rel, subset, method, "train", "test")
        assert train.column_names == want and train.num_rows >= 10 and test.num_rows >= 3
    assert pick_subset(rel, "step-dpo", None) == "step_dpo"  # no step_dpo_trl here


def test_real_release_prefers_step_dpo_trl_and_records_lineage(release):
    rel = open_release(str(release))
    assert pick_subset(rel, "step-dpo", None) == "step_dpo_trl"
    assert rel.lineage["pipeline"] == "demo-scripted" and rel.name == "demo-scripted"
    train, test = load_splits(rel, "step_dpo_trl", "step-dpo", "train", "test")
    assert test is None and all(isinstance(p, str) for p in train["prompt"])
    fp = data_fingerprint(rel, "dpo")
    assert fp == data_fingerprint(open_release(str(release)), "dpo") != data_fingerprint(rel, "kto")


def test_conversational_step_rows_are_refused(tmp_path):
    turns = [{"role": "user", "content": "q"}]
    rows = [{"prompt": turns, "chosen": [{"role": "assistant", "content": "a"}]}]
    rows[0]["rejected"] = [{"role": "assistant", "content": "b"}]
    (tmp_path / "data" / "step_dpo").mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist(rows), tmp_path / "data/step_dpo/train-00000-of-00001.parquet"
    )
    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n- config_name: step_dpo\n  data_files:\n  - split: train\n"
        "    path: data/step_dpo/train-00000-of-00001.parquet\n---\n"
    )
    rel = open_release(str(tmp_path))
    with pytest.raises(ReleaseDataError, match="standard \\(string\\) form"):
        load_splits(rel, "step_dpo", "step-dpo", "train", "test")
    with pytest.raises(ReleaseDataError, match=r"no column\(s\) \['completion', 'label'\]"):
        load_splits(rel, "step_dpo", "kto", "train", "test")


def test_release_arguments(tmp_path):
    hub = open_release("org/name@v1")
    assert (hub.kind, hub.location, hub.revision, hub.label) == (
        "hub",
        "org/name",
        "v1",
        "org/name@v1",
    )
    with pytest.raises(ReleaseDataError, match="pin one as org/name@REVISION"):
        open_release("org/name")
    with pytest.raises(ReleaseDataError, match="no README.md"):
        open_release(str(tmp_path))
    (tmp_path / "README.md").write_text("# no front matter\n")
    with pytest.raises(ReleaseDataError, match="no 'configs:' block"):
        open_release(str(tmp_path))
    with pytest.raises(ReleaseDataError, match="neither a folder nor a Hub id"):
        open_release(str(tmp_path / "missing" / "x" / "y"))
