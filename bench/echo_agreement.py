"""Labels on messy logs: OpenAI's 5,276 GSM8K solutions wrapped the way a base model writes them.

Each GPT-3 solution of `example_model_solutions.jsonl` (truth: its `is_correct`) becomes the
completion of a few-shot prompt - an instruction with a `#### 42` format example and four GSM8K
train problems with their `#### N` solutions, then the test question - and, seeded:

* the completion echoes the whole prompt (40 %), or begins mid-prompt, often mid-word (40 %),
  or does not echo (20 %);
* after the answer the model goes on (60 %): an invented chat turn (`User:` / `Assistant:`,
  `<|im_start|>`, `### Instruction`), the next few-shot block (`Question: ... #### N`), a
  numbered follow-up (`Problem 2:`), or it restates the question.

The log goes through the real pipeline (problems -> import with `prompt_echo` -> verify) and
the build's label report (`mathpref.db.labels`) gives the agreement with `is_correct`; every
disagreement is listed. The anchor, measured in the same run, is the same log imported with
`prompt_echo = "keep"` (the echo graded as part of the answer).

Usage: python bench/echo_agreement.py [--data DIR] [--limit N] [--seed S]
Writes bench/results/echo_agreement.json and .md. Exit 1 below 99.5 % with auto.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mathpref.db.labels import label_quality_of_build  # noqa: E402
from mathpref.pipeline.runner import Runner  # noqa: E402
from mathpref.pipeline.spec import load_spec  # noqa: E402
from mathpref.store import Store  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"
KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
TARGET = 0.995
INSTRUCTION = (
    "Solve each math word problem step by step. End your solution with a line of the form "
    "'#### <answer>', for example '#### 42'.\n\n"
)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open()]


def _continuation(rng: random.Random, train: list[dict], question: str) -> str:
    ex = rng.choice(train)
    kind = rng.randrange(6)
    if kind == 0:
        return f"\n\nUser: {ex['question']}\nAssistant: {ex['answer']}"
    if kind == 1:
        return f"<|im_end|>\n<|im_start|>user\n{ex['question']}<|im_end|>\n<|im_start|>assistant\n{ex['answer']}"
    if kind == 2:
        return f"\n\n### Instruction:\n{ex['question']}\n\n### Response:\n{ex['answer']}"
    if kind == 3:
        return f"\n\nQuestion: {ex['question']}\nAnswer: {ex['answer']}"
    if kind == 4:
        return f"\n\nProblem 2: {ex['question']}\nSolution: {ex['answer']}"
    return f"\n\nThat answers the question: {question}"


def make_log(data: Path, seed: int, limit: int | None = None) -> list[dict]:
    """The wrapped log: one record per (test question, model key)."""
    rng = random.Random(seed)
    tests = _jsonl(data / "gsm8k" / "test.jsonl")
    sols = _jsonl(data / "gsm8k" / "example_model_solutions.jsonl")
    train = _jsonl(data / "gsm8k" / "train.jsonl")
    log = []
    for qi, (t, s) in enumerate(zip(tests, sols, strict=True)):
        for key in KEYS:
            shots = rng.sample(train, 4)
            prompt = INSTRUCTION + "".join(
                f"Question: {ex['question']}\nAnswer: {ex['answer']}\n\n" for ex in shots
            )
            prompt += f"Question: {t['question']}\nAnswer:"
            solution = " " + s[key]["solution"]
            roll = rng.random()
            if roll < 0.4:
                echo, how = prompt, "full"
            elif roll < 0.8:
                echo, how = prompt[rng.randrange(len(prompt) * 9 // 10) :], "mid"
            else:
                echo, how = "", "none"
            after = _continuation(rng, train, t["question"]) if rng.random() < 0.6 else ""
            log.append(
                {
                    "id": f"gsm8k-test-{qi}/{key}",
                    "question": t["question"],
                    "prompt": prompt,
                    "completion": echo + solution + after,
                    "model": key,
                    "is_correct": bool(s[key]["is_correct"]),
                    "wrapped": how + ("+continued" if after else ""),
                }
            )
            if limit and len(log) >= limit:
                return log
    return log


SPEC = """
[pipeline]
name = "echo-{mode}"
[stages.problems]
kind = "problems"
path = "{data}/gsm8k/test.jsonl"
preset = "gsm8k"
[stages.trajectories]
kind = "import"
inputs = {{ problems = "problems" }}
path = "{log}"
question_field = "question"
prompt_field = "prompt"
completion_field = "completion"
arm_field = "model"
label_field = "is_correct"
prompt_echo = "{mode}"
[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
step_checks = false
"""


def run(data: Path, log: list[dict], mode: str, work: Path) -> dict:
    log_path = work / "log.jsonl"
    if not log_path.exists():
        log_path.write_text("".join(json.dumps(r) + "\n" for r in log))
    spec = work / f"{mode}.toml"
    spec.write_text(SPEC.format(mode=mode, data=data, log=log_path))
    store = Store(work / f"store-{mode}")
    t0 = time.perf_counter()
    runner = Runner(load_spec(str(spec)), store)
    runner.build()
    seconds = time.perf_counter() - t0
    q = label_quality_of_build(store, f"echo-{mode}")
    wrapped = {f"{Path(log_path).name}:{i}": r["wrapped"] for i, r in enumerate(log, 1)}
    ids = {f"{Path(log_path).name}:{i}": r["id"] for i, r in enumerate(log, 1)}
    disagreements = [
        {**d, "id": ids[d["source_ref"]], "wrapped": wrapped[d["source_ref"]]}
        for d in q.disagreements
    ]
    return {
        "prompt_echo": mode,
        "rows": q.labelled,
        "agree": q.agree,
        "agreement": q.agreement,
        "seconds": round(seconds, 2),
        "warned": bool(runner.warnings),
        "disagreements": disagreements,
    }


def to_markdown(results: list[dict], seed: int) -> str:
    lines = [f"# Labels on wrapped GSM8K logs (seed {seed})", ""]
    for r in results:
        lines += [
            f"## prompt_echo = {r['prompt_echo']}: {r['agree']}/{r['rows']} = "
            f"{100 * r['agreement']:.2f} % agree with is_correct ({r['seconds']} s)",
            "",
        ]
        if not r["disagreements"]:
            lines += ["No disagreements.", ""]
            continue
        shown = r["disagreements"] if r["prompt_echo"] == "auto" else r["disagreements"][:5]
        for d in shown:
            lines.append(
                f"- {d['id']} ({d['wrapped']}): is_correct {d['source_label']}, verdict "
                f"{d['status']}, extracted `{d['extracted_answer']}` by {d['extraction_rule']}, "
                f"gold `{d['gold_answer']}`, echo {d['prompt_echo_rule']}"
            )
        if len(shown) < len(r["disagreements"]):
            lines.append(f"- ... {len(r['disagreements']) - len(shown)} more")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    log = make_log(args.data.resolve(), args.seed, args.limit or None)
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(args.data.resolve(), log, m, Path(tmp)) for m in ("auto", "keep")]
    auto, keep = results
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stored = [
        {
            **r,
            "disagreement_count": len(r["disagreements"]),
            # every disagreement of the graded mode; the anchor's first few (it has ~1,600)
            "disagreements": r["disagreements"] if r is auto else r["disagreements"][:20],
        }
        for r in results
    ]
    payload = {
        "seed": args.seed,
        "rows": len(log),
        "target": TARGET,
        "results": stored,
        "ratio_disagreements_keep_to_auto": (
            len(keep["disagreements"]) / len(auto["disagreements"])
            if auto["disagreements"]
            else None
        ),
    }
    if not args.limit:
        (out / "echo_agreement.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
        (out / "echo_agreement.md").write_text(to_markdown(results, args.seed))
    for r in results:
        print(
            f"prompt_echo={r['prompt_echo']:4s} {r['agree']}/{r['rows']} = "
            f"{100 * r['agreement']:.2f} % agree with is_correct  [{r['seconds']} s]"
            + ("  (the build warned)" if r["warned"] else "")
        )
    for d in auto["disagreements"]:
        print(
            f"  - {d['id']} ({d['wrapped']}): label {d['source_label']} verdict {d['status']} "
            f"extracted {d['extracted_answer']!r} ({d['extraction_rule']}), echo {d['prompt_echo_rule']}"
        )
    return 0 if auto["agreement"] >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
