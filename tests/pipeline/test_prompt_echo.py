"""Echoed prompts: completions that begin by repeating a few-shot prompt are graded after the echo."""

import json

import pytest

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.sources.echo import find_echo
from mathpref.store import Store

Q = "Sam reads 12 pages a day. How many pages does he read in 3 days?"
FEWSHOT = (
    "Solve the problem. End with '#### <number>'.\n\n"
    "Problem: Ann has 40 marbles and gives away 2.\nSolution: 40 - 2 = 38\n#### 42\n\n"
    "Problem: A box holds 6 eggs. How many eggs are in 7 boxes?\nSolution: 6 * 7 = 42\n#### 42\n\n"
    f"Problem: {Q}\nSolution:"
)
SOLUTION = " 12 * 3 = 36\n#### 36"
WRONG = " 12 + 3 = 15\n#### 15"
MID = FEWSHOT.index("Problem: A box")

# (name, completion, status under auto, echo rule)
ROWS = [
    ("full", FEWSHOT + SOLUTION, "correct", "full_prompt"),
    ("full-wrong", FEWSHOT + WRONG, "incorrect", "full_prompt"),
    ("mid", FEWSHOT[MID:] + SOLUTION, "correct", "prompt_tail"),
    ("midword", FEWSHOT[MID + 3 :] + SOLUTION, "correct", "prompt_tail"),
    ("respaced", "  " + FEWSHOT.replace("\n", "\n ") + SOLUTION, "correct", "full_prompt"),
    (
        "turns",
        SOLUTION.strip() + "\n\nUser: and 4 days?\nAssistant: 12 * 4 = 48\n#### 48",
        "correct",
        "none",
    ),
    (
        "restate",
        SOLUTION.strip() + f"\nSo for the question '{Q}', the result is 36.",
        "correct",
        "none",
    ),
    ("none", SOLUTION.strip(), "correct", "none"),
    ("question", Q + SOLUTION, "correct", "full_question"),
]


def test_find_echo_kinds():
    for name, completion, _, rule in ROWS:
        assert find_echo(completion, FEWSHOT, Q).rule == rule, name
    e = find_echo(FEWSHOT + SOLUTION, FEWSHOT, Q)
    assert (FEWSHOT + SOLUTION)[e.end :] == SOLUTION
    # a short coincidence is no echo
    assert find_echo("Solution: 12 * 3 = 36", FEWSHOT, Q).rule == "none"


def _spec(tmp, mode):
    (tmp / "problems.jsonl").write_text(json.dumps({"question": Q, "answer": "#### 36"}) + "\n")
    log = [{"q": Q, "prompt": FEWSHOT, "text": c, "arm": n} for n, c, _, _ in ROWS]
    (tmp / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log))
    spec = tmp / f"{mode}.toml"
    spec.write_text(f"""
[pipeline]
name = "echo-{mode}"
[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "log.jsonl"
question_field = "q"
prompt_field = "prompt"
completion_field = "text"
arm_field = "arm"
prompt_echo = "{mode}"
max_quarantine_fraction = 1.0
[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
""")
    return spec


def _run(tmp, mode):
    results = {
        r.name: r for r in Runner(load_spec(str(_spec(tmp, mode))), Store(tmp / mode)).build()
    }
    st = Store(tmp / mode)
    read = lambda n, role: st.read(results[n].outputs[role]["dataset_id"]).to_pylist()  # noqa: E731
    traj = {r["trajectory_id"]: r for r in read("trajectories", "trajectories")}
    out = {}
    for v in read("verify", "verifications"):
        t = traj[v["trajectory_id"]]
        out[t["arm"]] = (v["status"], t["prompt_echo_rule"], t["prompt_echo_end"])
    return out, read("trajectories", "quarantine"), results


@pytest.mark.timeout(300)
def test_auto_grades_after_the_echo(tmp_path):
    out, quarantine, results = _run(tmp_path, "auto")
    assert not quarantine
    for name, _, status, rule in ROWS:
        got_status, got_rule, end = out[name]
        assert (got_status, got_rule) == (status, rule), name
        assert (end > 0) == (rule != "none"), name
    assert any("echoing their prompt" in n for n in results["trajectories"].notes)


@pytest.mark.timeout(300)
def test_keep_grades_the_echo_and_strip_quarantines_rows_without_one(tmp_path):
    keep, _, _ = _run(tmp_path, "keep")
    # the echoed "#### 42" format example wins: the very failure prompt_echo exists for
    assert keep["full"][0] == "incorrect" and keep["full"][1] == "keep"
    strip, quarantine, _ = _run(tmp_path, "strip")
    assert sorted(strip) == ["full", "full-wrong", "mid", "midword", "question", "respaced"]
    assert all(strip[n][0] == s for n, _, s, _ in ROWS if n in strip)
    assert len(quarantine) == 3 and all("prompt_echo = 'strip'" in q["reason"] for q in quarantine)
