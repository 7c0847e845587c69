"""Hand-made pipeline fixtures: a few problems, a generation log, and a spec over them."""

from __future__ import annotations

import json
from pathlib import Path

PROBLEMS = [
    {"question": "Tom has 3 apples and buys 4 more. How many apples?", "answer": "3+4=7\n#### 7"},
    {"question": "A pen costs $2. How much do 5 pens cost?", "answer": "5*2=10\n#### 10"},
    {"question": "What is half of 18?", "answer": "18/2=9\n#### 9"},
    {"question": "Sam reads 12 pages a day. Pages in 3 days?", "answer": "no marker here"},
    {"question": "What is half of 18?", "answer": "#### 9"},  # duplicate question
    {"question": "", "answer": "#### 1"},  # empty question
]

LOG = [
    {"q": PROBLEMS[0]["question"], "model": "m", "text": "3 + 4 = 7. The answer is 7.", "ok": 1},
    {"q": PROBLEMS[0]["question"], "model": "m", "text": "3 + 4 = 8. The answer is 8.", "ok": 0},
    {"q": PROBLEMS[1]["question"], "model": "m", "text": "5 * 2 = 10\n#### 10", "ok": 1},
    {"q": PROBLEMS[1]["question"], "model": "m", "text": "The answer is 12", "ok": 0},
    {"q": PROBLEMS[2]["question"], "model": "m", "text": "18 / 2 = 9. Answer: 9", "ok": 1},
    {"q": "A question nobody asked?", "model": "m", "text": "42", "ok": 0},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def make_project(tmp: Path, *, stages: str = "") -> Path:
    write_jsonl(tmp / "problems.jsonl", PROBLEMS)
    write_jsonl(tmp / "log.jsonl", LOG)
    spec = tmp / "spec.toml"
    spec.write_text(f"""
[pipeline]
name = "hand"

[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
max_quarantine_fraction = 0.5  # the fixtures hold broken rows on purpose

[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "log.jsonl"
adapter = "generic"
question_field = "q"
completion_field = "text"
model_field = "model"
label_field = "ok"
arm = "base"
max_quarantine_fraction = 0.5
{stages}
""")
    return spec
