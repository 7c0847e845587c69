"""Eval-set registry and decontamination: normalised exact match and word n-gram coverage."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from mathpref.decontam import EvalIndex, normalize, words
from mathpref.decontam.match import find_contamination, flagged_summary
from mathpref.errors import SpecError
from mathpref.evalsets import EvalSetError, eval_set_names, load_eval_file, load_eval_set
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store


def _eval(questions, name="ev"):
    return pa.table(
        {
            "eval_set": [name] * len(questions),
            "item_id": [f"{name}:{i}" for i in range(len(questions))],
            "index": list(range(len(questions))),
            "question": questions,
            "answer": [None] * len(questions),
        }
    )


def _problems(questions):
    return pa.table(
        {
            "problem_id": [f"p{i}" for i in range(len(questions))],
            "source": ["t"] * len(questions),
            "question": questions,
        }
    )


def test_normalize_folds_case_punctuation_and_unicode():
    assert normalize("Janet’s ducks lay 16 eggs PER day!!") == "janet s ducks lay 16 eggs per day"
    assert normalize("  a\u00a0b\n\tc_d ") == "a b c d"
    assert words("") == []


def test_exact_and_ngram_coverage_and_short_items():
    item = "A plane travels 1200 miles in 3 hours. How far does it go in 5 hours?"
    ev = _eval([item, "What is 2 + 3?", "Compute the sum of the first ten primes."])
    idx = EvalIndex(ev, n=8, threshold=0.5)
    # exact after normalisation
    hit = idx.hits("a PLANE travels 1,200 miles in 3 hours; how far does it go in 5 hours")
    # "1,200" -> "1 200": not exact, but most 8-grams survive
    assert hit and hit[0].item == 0 and hit[0].match == "ngram" and hit[0].score >= 0.5
    assert idx.hits(item.upper())[0].match == "exact"
    # an item shorter than 8 words is compared by its whole length
    assert idx.size[1] == 4
    assert [h.item for h in idx.hits("Quick: what is 2 + 3? Show work.")] == [1]
    # an unrelated problem is not flagged; one changed number drops coverage below 1
    assert idx.hits("Tom has 3 apples and buys 4 more.") == []
    partial = idx.hits("A plane travels 1300 miles in 3 hours. How far does it go in 5 hours?")
    assert partial and 0.5 <= partial[0].score < 1.0


def test_threshold_is_configurable():
    ev = _eval(["one two three four five six seven eight nine ten eleven twelve"])
    q = "one two three four five six seven eight nine ten zzz"  # 3 of 5 8-grams
    assert EvalIndex(ev, threshold=0.5).hits(q)[0].score == pytest.approx(0.6)
    assert EvalIndex(ev, threshold=0.7).hits(q) == []
    with pytest.raises(ValueError):
        EvalIndex(ev, threshold=0.0)


def test_registry_reads_the_shared_copies(shared_data, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    assert eval_set_names() == ["gsm8k-test", "gsm8k-platinum", "math500"]
    sizes = {name: load_eval_set(name).num_rows for name in eval_set_names()}
    assert sizes == {"gsm8k-test": 1319, "gsm8k-platinum": 1209, "math500": 500}
    t = load_eval_set("math500")
    assert t.column_names == ["eval_set", "item_id", "index", "question", "answer"]
    assert t["item_id"][0].as_py() == "math500:0"


def test_registry_default_dir_is_the_specs_data_dir(shared_data, monkeypatch):
    monkeypatch.delenv("MATHPREF_DATA_DIR", raising=False)
    assert load_eval_set("gsm8k-test").num_rows == 1319


def test_missing_or_altered_eval_set_is_an_error(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(tmp_path))
    with pytest.raises(EvalSetError, match=r"'math500' not found at .*source 'hub'"):
        load_eval_set("math500")
    (tmp_path / "gsm8k").mkdir()
    lines = (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()
    (tmp_path / "gsm8k" / "test.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(EvalSetError, match="not the pinned copy"):
        load_eval_set("gsm8k-test")
    with pytest.raises(EvalSetError, match="unknown eval set 'aime'"):
        load_eval_set("aime")


def test_eval_file_errors_name_file_and_line(tmp_path):
    p = tmp_path / "ev.jsonl"
    p.write_text(json.dumps({"question": "ok?"}) + "\n" + json.dumps({"q": "x"}) + "\n")
    with pytest.raises(Exception, match=r"ev.jsonl:2: field 'question' missing"):
        load_eval_file(p)


def test_gsm8k_test_flags_every_problem_and_train_only_near_duplicates(shared_data, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    test = load_eval_set("gsm8k-test")
    problems = _problems(test["question"].to_pylist())
    hits = find_contamination(problems, [test])
    assert len(set(hits["problem_id"].to_pylist())) == 1319
    own = {(r["problem_id"], r["eval_item_id"]) for r in hits.to_pylist() if r["match"] == "exact"}
    assert {(f"p{i}", f"gsm8k-test:{i}") for i in range(1319)} <= own
    train = load_eval_file(shared_data / "gsm8k" / "train.jsonl", name="gsm8k-train")
    found = find_contamination(_problems(train["question"].to_pylist()), [test])
    summary = flagged_summary(found)
    # near-duplicates only: two "train travels ... additional hours" rewrites of test item 602
    assert summary["flagged_problems"] == 2
    assert set(found["eval_item_id"].to_pylist()) == {"gsm8k-test:602"}
    assert all(0.5 <= s < 1.0 for s in found["score"].to_pylist())


def _spec(tmp_path, extra=""):
    problems = [
        {
            "question": "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every "
            "morning and bakes muffins for her friends every day with four. She sells the "
            "remainder at the farmers' market daily for $2 per fresh duck egg. How much in "
            "dollars does she make every day at the farmers' market?",
            "answer": "#### 18",
        },
        {"question": "Tom has 3 apples and buys 4 more. How many apples?", "answer": "#### 7"},
        {
            "question": "Convert the point $(0,3)$ in rectangular coordinates to polar coordinates.  "
            "Enter your answer in the form $(r,\\theta),$ where $r > 0$ and "
            "$0 \\le \\theta < 2 \\pi.$",
            "answer": "#### 3",
        },
        {"question": "What is the secret number of the club?", "answer": "#### 5"},
    ]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in problems))
    (tmp_path / "mine.jsonl").write_text(
        json.dumps({"text": "the secret number of the club"}) + "\n"
    )
    spec = tmp_path / "spec.toml"
    spec.write_text(f"""
[pipeline]
name = "dc"
[stages.problems]
kind = "problems"
path = "p.jsonl"
preset = "gsm8k"
[stages.decontaminate]
kind = "decontaminate"
inputs = {{ problems = "problems" }}
files = [{{ path = "mine.jsonl", question_field = "text" }}]
{extra}
""")
    return spec


def test_decontaminate_stage_in_a_spec(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(shared_data))
    spec = _spec(tmp_path)
    res = {r.name: r for r in Runner(load_spec(str(spec)), Store(tmp_path / "st")).build()}
    out = res["decontaminate"].outputs["contamination"]
    st = Store(tmp_path / "st")
    rows = st.read(out["dataset_id"]).to_pylist()
    got = {(r["eval_set"], r["match"]) for r in rows}
    assert ("gsm8k-test", "exact") in got and ("gsm8k-platinum", "exact") in got
    assert ("math500", "exact") in got and ("mine", "ngram") in got
    assert "Tom has" not in " ".join(r["question"] for r in rows)
    from mathpref.db import connect

    con = connect(st, "dc")
    n = con.sql("SELECT count(DISTINCT problem_id) FROM contamination").fetchall()[0][0]
    assert n == 3  # the GSM8K, MATH-500 and user-file problems, as a SQL view
    # a stricter threshold is a new version: the user-file match (coverage 1.0 of a 6-word
    # item inside a 9-word problem) stays, while the config change is seen
    again = Runner(load_spec(str(spec), ["decontaminate.threshold=0.9"]), st).plan()
    assert {e.name: e.action for e in again}["decontaminate"] == "run"


def test_decontaminate_missing_eval_set_fails_the_build(tmp_path, monkeypatch):
    monkeypatch.setenv("MATHPREF_DATA_DIR", str(tmp_path / "nowhere"))
    spec = _spec(tmp_path)
    with pytest.raises(EvalSetError, match="not found"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st")).build()
    with pytest.raises(SpecError, match="unknown eval set"):
        Runner(load_spec(str(_spec(tmp_path, 'eval_sets = ["nope"]'))), Store(tmp_path / "s2"))
