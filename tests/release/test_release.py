"""`mathpref release` on real builds: configs, splits, dedup, determinism, atomicity, the card."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mathpref.cli import app
from mathpref.release import ReleaseOptions, release_build
from mathpref.release.card import HUB_LICENSES, HUB_TASK_CATEGORIES, SIZE_CATEGORIES
from mathpref.release.source import ReleaseError


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _load(root: Path, config: str, tmp_path: Path):
    from datasets import load_dataset

    return load_dataset(str(root), config, cache_dir=str(tmp_path / "hf"))


def test_gsm8k_release_via_cli(store, tmp_path):
    out = tmp_path / "rel"
    runner = CliRunner()
    args = ["release", "gsm8k-openai-solutions", "--store", str(store.root), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code != 0 and not out.exists()
    assert "1319 of 1319 problem(s) match eval items" in str(refused.exception)
    done = runner.invoke(app, [*args, "--allow-contaminated"])
    assert done.exit_code == 0, done.output
    assert {p.name for p in (out / "data").iterdir()} == {"dpo", "kto", "sft"}
    assert "step_dpo: not written (the build has no step pairs" in done.output
    record = json.loads((out / "mathpref_release.json").read_text())
    assert record["command"] == (
        "mathpref release gsm8k-openai-solutions --out DIR --store STORE --allow-contaminated"
    )
    assert str(tmp_path) not in (out / "README.md").read_text()
    assert str(tmp_path) not in (out / "mathpref_release.json").read_text()


def test_dpo_splits_are_real_and_deduplicated(gsm8k_release, tmp_path):
    ds = _load(gsm8k_release, "dpo", tmp_path)
    assert set(ds) == {"train", "test"}
    train, test = set(ds["train"]["problem_id"]), set(ds["test"]["problem_id"])
    assert train and test and not train & test
    # 2,999 pair rows in the build, 2,996 distinct (prompt, chosen, rejected)
    assert ds["train"].num_rows + ds["test"].num_rows == 2996
    keys = {
        json.dumps([r["messages"], r["chosen"], r["rejected"]])
        for s in ("train", "test")
        for r in ds[s]
    }
    assert len(keys) == 2996
    row = ds["train"][0]
    assert row["messages"] == row["chosen"][:-1] == row["rejected"][:-1]
    assert row["chosen"][-1]["role"] == "assistant" and row["chosen_status"] == "correct"
    assert row["rejected_status"] == "incorrect" or row["pair_type"] == "coherence"
    card = (gsm8k_release / "README.md").read_text()
    assert "**Flagged problems were released as they are (--allow-contaminated).**" in card
    assert "1319 of 1319 problems flagged" in card


def test_no_empty_files_and_card_matches_files(gsm8k_release, demo_release, tmp_path):
    from datasets import get_dataset_config_names
    from huggingface_hub import DatasetCard

    for root in (gsm8k_release, demo_release):
        card = DatasetCard.load(root / "README.md")
        data = card.data.to_dict()
        assert data["license"] in HUB_LICENSES
        assert set(data["task_categories"]) <= HUB_TASK_CATEGORIES
        assert set(data["size_categories"]) <= set(SIZE_CATEGORIES)
        assert {"dpo", "preference", "math", "synthetic", "mathpref"} <= set(data["tags"])
        names = sorted(c["config_name"] for c in data["configs"])
        assert sorted(get_dataset_config_names(str(root))) == names
        files = sorted((root / "data").rglob("*.parquet"))
        assert files and all(pq.ParquetFile(f).metadata.num_rows > 0 for f in files)
        for info in data["dataset_info"]:
            for split in info["splits"]:
                rows = sum(
                    pq.ParquetFile(f).metadata.num_rows
                    for f in (root / "data" / info["config_name"]).glob(
                        f"{split['name']}-*.parquet"
                    )
                )
                assert rows == split["num_examples"]
        again = DatasetCard(str(card))
        assert again.data.to_dict() == data


def test_re_release_is_byte_identical_and_atomic(store, tmp_path, monkeypatch):
    out = tmp_path / "demo"
    release_build(store, "demo-scripted", out)
    first = _hashes(out)
    release_build(store, "demo-scripted", out)
    assert _hashes(out) == first
    # a failure while writing leaves the previous release untouched and no staging folder
    import mathpref.release.run as run

    def boom(info):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run, "build_card", boom)
    with pytest.raises(RuntimeError):
        release_build(store, "demo-scripted", out, ReleaseOptions(sft_per_problem=1))
    assert _hashes(out) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    # a folder that is not a release is never replaced
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    monkeypatch.undo()
    with pytest.raises(ReleaseError, match="is not a mathpref release"):
        release_build(store, "demo-scripted", other)
    assert (other / "notes.txt").read_text() == "keep me"


def test_demo_release_writes_step_configs_and_the_standard_identity(store, tmp_path):
    from mathpref.generation.backends.base import render_plain

    out = tmp_path / "std"
    release_build(store, "demo-scripted", out, ReleaseOptions(format="standard"))
    assert {p.name for p in (out / "data").iterdir()} == {
        "dpo",
        "kto",
        "sft",
        "step_dpo",
        "step_dpo_trl",
    }
    trajs = {}
    for name in ("trajectories", "continuations"):
        ref = store.read_ref("demo-scripted").output(name)
        for r in store.read(ref["dataset_id"]).to_pylist():
            trajs[r["trajectory_id"]] = r
    dpo = pq.read_table(out / "data/dpo/train-00000-of-00001.parquet").to_pylist()
    for row in dpo:
        c = trajs[row["chosen_trajectory_id"]]
        # prompt + completion is exactly the sequence the model produced
        assert row["prompt"] + row["chosen"] == c["prompt"] + c["completion"]
        # and the stored turns render to the same prompt (plain format: no tokenizer here)
        turns = [(m["role"], m["content"]) for m in json.loads(c["prompt_messages"])]
        assert render_plain(turns) == row["prompt"]
        r = trajs[row["rejected_trajectory_id"]]
        assert row["rejected"] == r["completion"]
        assert row["same_prompt"] == (r["prompt"] == c["prompt"])
    step = pq.read_table(out / "data/step_dpo_trl/train-00000-of-00001.parquet").to_pylist()
    pub = pq.read_table(out / "data/step_dpo/train-00000-of-00001.parquet").to_pylist()
    for row in step:
        assert row["prompt"].startswith("### ") and isinstance(row["chosen"], str)
    for row in pub:
        assert row["prompt"] in {t["prompt"] for t in trajs.values()} or "### " not in row["prompt"]
        assert row["full_chosen"].startswith(row["initial_reason_steps"])
        assert set(row) >= {
            "dataset",
            "prompt",
            "initial_reason_steps",
            "chosen",
            "rejected",
            "full_chosen",
            "full_rejected",
            "answer",
        }
    # the rendered prompt followed by the prefix, then the step
    by_id = {r["step_pair_id"]: r for r in pub}
    for row in step:
        if row["step_pair_id"] in by_id:
            assert row["prompt"].endswith(by_id[row["step_pair_id"]]["initial_reason_steps"])


def test_prm800k_release_writes_step_dpo_and_prm(store, tmp_path):
    out = tmp_path / "prm"
    with pytest.raises(ReleaseError, match="match eval items"):
        release_build(store, "prm800k-step-pairs", out)
    res = release_build(store, "prm800k-step-pairs", out, ReleaseOptions(allow_contaminated=True))
    assert {"step_dpo", "prm"} <= set(res["configs"])
    assert "chat-template" in res["skipped"]["step_dpo_trl"]
    prm = pq.read_table(out / "data/prm/train-00000-of-00001.parquet").to_pylist()
    assert prm
    for row in prm:
        assert row["labels"][-1] is False and all(row["labels"][:-1])
        assert len(row["completions"]) == len(row["labels"])
    card = (out / "README.md").read_text()
    assert "TRL removed its PRMTrainer" in card
    assert "math500" in card and "4 of 6 problems flagged" in card
    # dropping instead: no flagged problem is left in any config
    dropped = tmp_path / "dropped"
    res = release_build(
        store, "prm800k-step-pairs", dropped, ReleaseOptions(drop_contaminated=True)
    )
    record = json.loads((dropped / "mathpref_release.json").read_text())
    flagged = {r["problem_id"] for r in record["decontamination"]["flagged"]}
    for f in (dropped / "data").rglob("*.parquet"):
        assert not set(pq.read_table(f)["problem_id"].to_pylist()) & flagged


def test_standard_needs_a_chat_template_for_bare_prompts(store, tmp_path, tiny_model):
    with pytest.raises(ReleaseError, match="give --chat-template TOKENIZER"):
        release_build(
            store,
            "prm800k-step-pairs",
            tmp_path / "x",
            ReleaseOptions(format="standard", allow_contaminated=True),
        )
    out = tmp_path / "y"
    release_build(
        store,
        "prm800k-step-pairs",
        out,
        ReleaseOptions(format="standard", allow_contaminated=True, chat_template=str(tiny_model)),
    )
    row = pq.read_table(out / "data/kto/train-00000-of-00001.parquet").to_pylist()[0]
    assert row["prompt"].startswith("<|begin|><|user|>\n") and row["prompt"].endswith(
        "<|assistant|>\n"
    )
    step = pq.read_table(out / "data/step_dpo_trl/train-00000-of-00001.parquet").to_pylist()
    assert step and all("<|assistant|>\n" in r["prompt"] for r in step)


def test_axolotl_defaults(demo_release, tmp_path):
    """The dpo rows satisfy the Axolotl chat_template.default defaults the decision record quotes."""
    import re

    import yaml

    record = (Path(__file__).resolve().parents[2] / "docs/decisions/0005-releases.md").read_text()
    block = re.search(r"<!-- axolotl-defaults -->\s*```yaml\n(.*?)```", record, re.S).group(1)
    d = yaml.safe_load("\n".join(line[2:] for line in block.splitlines()))
    assert (d["field_messages"], d["field_chosen"], d["field_rejected"]) == (
        "messages",
        "chosen",
        "rejected",
    )
    role_key = d["message_property_mappings"]["role"]
    content_key = d["message_property_mappings"]["content"]
    role_map = {src: target for target, srcs in d["roles"].items() for src in srcs}
    ds = _load(demo_release, "dpo", tmp_path)
    for row in ds["train"]:
        prompt = row[d["field_messages"]]
        assert prompt and all(set(m) == {role_key, content_key} for m in prompt)
        assert {role_map[m[role_key]] for m in prompt} <= {"system", "user"}
        for side in (d["field_chosen"], d["field_rejected"]):
            value = row[side]
            # Axolotl takes a list's last message (a dict as is, a string as the content)
            last = value[-1] if isinstance(value, list) else value
            assert role_map[last[role_key]] == "assistant" and isinstance(last[content_key], str)
            assert value[:-1] == prompt


def test_include_raw_tables(store, tmp_path):
    out = tmp_path / "raw"
    res = release_build(
        store,
        "demo-scripted",
        out,
        ReleaseOptions(include=["trajectories", "verifications", "scores"]),
    )
    assert {"trajectories", "verifications", "trajectory_scores", "problem_scores"} <= set(
        res["configs"]
    )
    ds = _load(out, "trajectories", tmp_path)
    assert not set(ds["train"]["problem_id"]) & set(ds["test"]["problem_id"])
    with pytest.raises(ValueError, match="--include: unknown"):
        ReleaseOptions(include=["pairs"])


def test_no_machine_paths_with_user_eval_file_and_chat_template(store, tmp_path, tiny_model):
    from mathpref.decontam.config import DecontamConfig

    ev = tmp_path / "my_eval.jsonl"
    ev.write_text(json.dumps({"question": "What is the secret number of the club today?"}) + "\n")
    out = tmp_path / "rel"
    opts = ReleaseOptions(
        format="standard",
        allow_contaminated=True,
        chat_template=str(tiny_model),
        decontam=DecontamConfig(files=[{"path": str(ev)}]),
    )
    release_build(store, "prm800k-step-pairs", out, opts)
    for name in ("README.md", "mathpref_release.json"):
        text = (out / name).read_text()
        assert str(tmp_path) not in text and str(tiny_model.parent) not in text
    record = json.loads((out / "mathpref_release.json").read_text())
    assert record["decontamination"]["files"][0]["name"] == "my_eval"
    assert [e["name"] for e in record["decontamination"]["eval_sets"]][-1] == "my_eval"
