"""Hand-made evaluation runs (generic import of a greedy and a sampled arm, verify, metrics)."""

from __future__ import annotations

from pathlib import Path

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.foundation.helpers import write_jsonl

N = 12
PROBLEMS = [{"question": f"What is {i} plus zero?", "answer": f"#### {i}"} for i in range(N)]
# greedy correctness per run: A vs B has b = 2 (A right, B wrong) and c = 7; A vs C has b = 0, c = 8
GREEDY = {
    "A": {0, 1, 9, 10},
    "B": {2, 3, 4, 5, 6, 7, 8, 9, 10},
    "C": set(range(N)),
}
# sampled arm, two samples each: which samples are right
SAMPLED = {
    "A": {i: (i in GREEDY["A"], False) for i in range(N)},
    "B": {i: (i in GREEDY["B"], i % 2 == 0) for i in range(N)},
    "C": {i: (True, True) for i in range(N)},
}


def _answer(i: int, ok: bool) -> str:
    return f"The answer is {i if ok else i + 100}."


def build_hand_run(tmp: Path, store: Path, run: str) -> None:
    """Build pipeline `run-<run>` (run in A, B, C) into `store`."""
    d = tmp / run
    d.mkdir()
    write_jsonl(d / "problems.jsonl", PROBLEMS)
    log = [
        {"q": PROBLEMS[i]["question"], "arm": "greedy", "text": _answer(i, i in GREEDY[run])}
        for i in range(N)
    ]
    log += [
        {"q": PROBLEMS[i]["question"], "arm": "sampled", "text": _answer(i, ok)}
        for i in range(N)
        for ok in SAMPLED[run][i]
    ]
    write_jsonl(d / "log.jsonl", log)
    (d / "spec.toml").write_text(f"""
[pipeline]
name = "run-{run}"

[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
source = "hand-bench"

[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "log.jsonl"
adapter = "generic"
question_field = "q"
completion_field = "text"
arm_field = "arm"
model_id = "model-{run}"

[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
step_checks = false

[stages.metrics]
kind = "metrics"
inputs = {{ problems = "problems", trajectories = "trajectories", verifications = "verify" }}
decoding = {{ greedy = "greedy", sampled = "sampled" }}
""")
    Runner(load_spec(str(d / "spec.toml")), Store(store)).build()
