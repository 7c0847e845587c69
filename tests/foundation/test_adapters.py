import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.sources.gold import extract_gold, last_boxed
from mathpref.store import Store
from tests.conftest import REPO


def _stage_tables(spec, store, names, sets=()):
    pipeline = load_spec(str(spec), list(sets))
    for extra in [n for n in pipeline.stages if n not in names]:
        del pipeline.stages[extra]
    results = {r.name: r for r in Runner(pipeline, Store(store)).build()}
    st = Store(store)
    return {
        (n, role): st.read(o["dataset_id"]) for n in names for role, o in results[n].outputs.items()
    }


def test_openai_gsm8k_solutions_real_file(tmp_path, shared_data):
    t = _stage_tables(
        REPO / "pipelines" / "gsm8k-openai-solutions.toml",
        tmp_path / "st",
        ["problems", "trajectories"],
    )
    problems, traj = t[("problems", "problems")], t[("trajectories", "trajectories")]
    assert problems.num_rows == 1319 and traj.num_rows == 5276
    assert Counter(traj["arm"].to_pylist()) == {
        "6b_finetuning": 1319,
        "6b_verification": 1319,
        "175b_finetuning": 1319,
        "175b_verification": 1319,
    }
    assert set(problems["gold_status"].to_pylist()) == {"ok"}
    first = json.loads((shared_data / "gsm8k" / "test.jsonl").open().readline())
    row = problems.filter(pa.compute.equal(problems["source_index"], 0)).to_pylist()[0]
    assert row["question"] == first["question"] and row["gold_answer"] == "18"
    labels = Counter(
        (a, lab)
        for a, lab in zip(traj["arm"].to_pylist(), traj["source_label"].to_pylist(), strict=True)
    )
    assert labels[("6b_finetuning", True)] == 286 and labels[("175b_verification", True)] == 742
    assert set(traj["prompt"].to_pylist()) <= set(problems["question"].to_pylist())
    assert t[("trajectories", "quarantine")].num_rows == 0
    assert len(traj["trajectory_id"].unique()) == 5276


def test_qwen_math_samples_real_file(tmp_path, shared_data):
    t = _stage_tables(
        REPO / "pipelines" / "math-qwen-samples.toml", tmp_path / "st", ["problems", "trajectories"]
    )
    problems, traj = t[("problems", "problems")], t[("trajectories", "trajectories")]
    assert problems.num_rows == 100 and traj.num_rows == 800
    assert set(traj["arm"].to_pylist()) == {"qwen25-math-cot"}
    assert sorted(Counter(traj["problem_id"].to_pylist()).values()) == [8] * 100
    assert sorted(set(traj["sample_index"].to_pylist())) == list(range(8))
    assert sum(traj["source_label"].to_pylist()) == 728
    raw = [
        json.loads(line)
        for line in (shared_data / "qwen25_math_samples" / "math_cot_100.jsonl").open()
    ]
    golds = dict(
        zip(problems["question"].to_pylist(), problems["gold_answer"].to_pylist(), strict=True)
    )
    assert all(golds[r["question"]] == r["answer"] for r in raw)  # raw `answer`, not `gt`
    assert json.loads(problems["metadata"][0].as_py()).keys() == {"idx", "level"}


def test_math500_problems_and_parquet_and_hf_folder(tmp_path, shared_data):
    spec = tmp_path / "m.toml"
    spec.write_text(f"""
[stages.problems]
kind = "problems"
path = "{shared_data}/math500/test.jsonl"
preset = "math"
""")
    probs = _stage_tables(spec, tmp_path / "st", ["problems"])[("problems", "problems")]
    assert probs.num_rows == 500 and set(probs["gold_status"].to_pylist()) == {"ok"}
    # the same problems from Parquet and from a datasets folder give the same rows
    src = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").open()][:20]
    pq.write_table(pa.Table.from_pylist(src), tmp_path / "m.parquet")
    folder = tmp_path / "hfdir"
    folder.mkdir()
    (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in src))
    for path, extra in ((tmp_path / "m.parquet", ""), (folder, 'split = "test"'), (folder, "")):
        spec.write_text(f"""
[stages.problems]
kind = "problems"
path = "{path}"
preset = "math"
source = "math500"
limit = 20
{extra}
""")
        got = _stage_tables(spec, tmp_path / f"st-{path.name}{len(extra)}", ["problems"])
        p = got[("problems", "problems")]
        assert p.num_rows == 20
        assert p.sort_by("source_index")["gold_answer"].to_pylist() == [r["answer"] for r in src]


def test_generic_log_with_field_mapping(tmp_path, shared_data):
    golds = [json.loads(line) for line in (shared_data / "gsm8k" / "test.jsonl").open()][:3]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in golds))
    log = [
        {
            "meta": {"question": g["question"]},
            "response": {"text": f"The answer is {i}"},
            "policy": f"arm{i % 2}",
            "verdict": "correct" if i else "incorrect",
        }
        for i, g in enumerate(golds)
    ]
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    spec = tmp_path / "g.toml"
    spec.write_text("""
[stages.problems]
kind = "problems"
path = "p.jsonl"
preset = "gsm8k"
[stages.trajectories]
kind = "import"
inputs = { problems = "problems" }
path = "log.jsonl"
adapter = "generic"
question_field = "meta.question"
completion_field = "response.text"
arm_field = "policy"
label_field = "verdict"
""")
    traj = _stage_tables(spec, tmp_path / "st", ["problems", "trajectories"])[
        ("trajectories", "trajectories")
    ].sort_by("completion")
    assert traj["arm"].to_pylist() == ["arm0", "arm1", "arm0"]
    assert traj["source_label"].to_pylist() == [False, True, True]
    assert traj["prompt"].to_pylist() == [g["question"] for g in golds]


def test_gold_extraction_rules():
    assert extract_gold("a\n#### 1,234", "gsm8k") == "1,234"
    assert extract_gold("so $\\boxed{\\frac{1}{2}}$ and \\boxed{x^{2}}", "boxed") == "x^{2}"
    assert last_boxed("\\boxed{\\left\\{ 1,2 \\right\\}}") == "\\left\\{ 1,2 \\right\\}"
    assert extract_gold("no answer here\nat all", "auto") is None
    assert extract_gold("\\boxed{unclosed", "boxed") is None
    assert extract_gold("  42 ", "plain") == "42"
