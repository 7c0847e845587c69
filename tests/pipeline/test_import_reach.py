"""Import reach: list indexes and fan-out in field paths, chat logs, problems keyed by their own id."""

import json

import pytest

from mathpref.errors import SpecError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.sources.paths import get_path, parse_path
from mathpref.store import Store

PROBLEMS = [
    {"pid": "gsm-1", "question": "Tom has 3 apples and buys 4 more. How many?", "answer": "#### 7"},
    {"pid": "gsm-2", "question": "A pen costs $2. What do 5 pens cost?", "answer": "#### 10"},
    {"pid": "gsm-3", "question": "What is half of 18?", "answer": "#### 9"},
]


def test_paths():
    rec = {
        "messages": [{"content": "a"}, {"content": "b"}],
        "r": [{"t": 1}, {"t": 2}],
        "x": {"y": 3},
    }
    assert get_path(rec, "messages[-1].content") == "b"
    assert get_path(rec, "messages[0].content") == "a"
    assert get_path(rec, "r[*].t") == [1, 2]
    assert get_path(rec, "r[*]") == [{"t": 1}, {"t": 2}]
    assert get_path(rec, "x.y") == 3
    for missing in ("messages[5].content", "x.z", "r[*].u", "x[0]"):
        with pytest.raises(KeyError):
            get_path(rec, missing)
    for bad in ("a[*].b[*]", ".a", "a[x]"):
        with pytest.raises(SpecError):
            parse_path(bad)


def _project(tmp, log, stage_keys, problem_keys=""):
    (tmp / "problems.jsonl").write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    (tmp / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    spec = tmp / "spec.toml"
    spec.write_text(f"""
[pipeline]
name = "reach"
[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
{problem_keys}
[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "log.jsonl"
adapter = "generic"
{stage_keys}
[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
""")
    return spec


def _build(spec, store):
    results = {r.name: r for r in Runner(load_spec(str(spec)), Store(store)).build()}
    st = Store(store)

    def read(name, role=None):
        outs = results[name].outputs
        return st.read(outs[role or next(iter(outs))]["dataset_id"]).to_pylist()

    return read, results


def test_best_of_n_fan_out_with_aligned_labels(tmp_path):
    log = [
        {"q": PROBLEMS[0]["question"], "responses": ["3+4=7. #### 7", "#### 8"], "ok": [1, 0]},
        {
            "q": PROBLEMS[2]["question"],
            "responses": ["#### 9", "#### 9", "#### 6"],
            "ok": [1, 1, 0],
        },
    ]
    spec = _project(
        tmp_path,
        log,
        'question_field = "q"\ncompletion_field = "responses[*]"\nlabel_field = "ok[*]"\narm = "bon"',
    )
    read, _ = _build(spec, tmp_path / "st")
    t = read("trajectories")
    assert len(t) == 5
    by = sorted((r["completion"], r["sample_index"], r["source_label"]) for r in t)
    assert by == sorted(
        [
            ("3+4=7. #### 7", 0, True),
            ("#### 8", 1, False),
            ("#### 9", 0, True),
            ("#### 9", 1, True),
            ("#### 6", 2, False),
        ]
    )
    v = read("verify")
    assert sorted(x["status"] for x in v) == ["correct"] * 3 + ["incorrect"] * 2


def test_fan_out_length_mismatch_is_quarantined(tmp_path):
    log = [
        {"q": PROBLEMS[0]["question"], "responses": ["#### 7", "#### 8"], "ok": [1]},
        {"q": PROBLEMS[1]["question"], "responses": ["#### 10"], "ok": [1]},
    ]
    keys = 'question_field = "q"\ncompletion_field = "responses[*]"\nlabel_field = "ok[*]"\n'
    keys += "max_quarantine_fraction = 0.9"
    read, _ = _build(_project(tmp_path, log, keys), tmp_path / "st")
    (q,) = read("trajectories", "quarantine")
    assert "has 1 values for 2 completions" in q["reason"] and q["line"] == 1


def test_chat_log_gives_prompt_and_completion(tmp_path):
    def chat(question, answer):
        return {
            "messages": [
                {"role": "system", "content": "You are a careful solver."},
                {"role": "user", "content": f"Solve this problem:\n{question}\nShow your work."},
                {"role": "assistant", "content": answer},
            ],
            "meta": {"model": "m-7b"},
        }

    log = [
        chat(PROBLEMS[0]["question"], "3 + 4 = 7\n#### 7"),
        chat(PROBLEMS[1]["question"], "#### 12"),
    ]
    keys = 'messages_field = "messages"\nmodel_field = "meta.model"\nprompt_echo = "keep"'
    read, _ = _build(_project(tmp_path, log, keys), tmp_path / "st")
    t = sorted(read("trajectories"), key=lambda r: r["completion"])
    assert [r["completion"] for r in t] == ["#### 12", "3 + 4 = 7\n#### 7"]
    assert all(r["model_id"] == "m-7b" for r in t)
    assert "You are a careful solver." in t[0]["prompt"] and "Show your work." in t[0]["prompt"]
    msgs = json.loads(t[1]["prompt_messages"])
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert sorted(x["status"] for x in read("verify")) == ["correct", "incorrect"]


def test_problems_keyed_by_their_own_id(tmp_path):
    log = [
        {"problem": "gsm-3", "text": "18 / 2 = 9\n#### 9"},
        {"problem": "gsm-2", "text": "#### 10"},
        {"problem": "gsm-9", "text": "#### 1"},  # no such problem
    ]
    keys = 'match = "id"\nproblem_id_field = "problem"\ncompletion_field = "text"\n'
    keys += "max_quarantine_fraction = 0.5"
    read, _ = _build(_project(tmp_path, log, keys, 'id_field = "pid"'), tmp_path / "st")
    problems = {p["problem_id"]: p for p in read("problems")}
    assert sorted(p["source_id"] for p in problems.values()) == ["gsm-1", "gsm-2", "gsm-3"]
    t = read("trajectories")
    assert sorted(problems[r["problem_id"]]["source_id"] for r in t) == ["gsm-2", "gsm-3"]
    (q,) = read("trajectories", "quarantine")
    assert "matched by id" in q["reason"]


def test_match_id_without_id_field_is_an_error(tmp_path):
    log = [{"problem": "gsm-3", "text": "#### 9"}]
    keys = 'match = "id"\nproblem_id_field = "problem"\ncompletion_field = "text"'
    with pytest.raises(SpecError, match="id_field"):
        _build(_project(tmp_path, log, keys), tmp_path / "st")
