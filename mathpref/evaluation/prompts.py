"""Evaluation prompts and arms: `zero-shot-cot` and `few-shot-8` (GSM8K and GSM8K-Platinum).

Few-shot exemplars are GSM8K *train* problems (the first eight of the pinned `train.jsonl`),
never test items: one popular harness takes GSM8K-Platinum's exemplars from its test split, and a
model evaluated that way has seen worked solutions of test problems in its prompt. Each exemplar's
solution is the train file's own, with the calculator annotations `<<...>>` removed and the final
`#### N` line written as `The answer is N.`, the form the answer extractor reads.

MATH-500 is evaluated zero-shot only (no exemplars written by us yet).

An evaluation has a greedy arm (temperature 0, one sample) and, with `samples > 0`, a sampled arm
(`samples` samples at `temperature`); both use the same prompt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mathpref.generation.arms import Arm

PROMPTS = ("zero-shot-cot", "few-shot-8")
FEWSHOT_INDICES = tuple(range(8))  # rows of GSM8K train

GSM8K_INSTRUCTION = (
    "Solve the math problem step by step. End with a final line of the form "
    "`The answer is N.` where N is the final number."
)
MATH_INSTRUCTION = (
    "Solve the math problem step by step, and put your final answer within \\boxed{}."
)
FEWSHOT_STOP = ["\nQuestion:"]  # a model that goes on writing exemplars stops here

_CALC = re.compile(r"<<[^<>]*>>")
_FINAL = re.compile(r"\n?####\s*(.+?)\s*$")


def exemplar_solution(answer: str) -> str:
    """A GSM8K train solution in the prompt's form (see the module docstring)."""
    text = _CALC.sub("", answer).strip()
    m = _FINAL.search(text)
    if not m:
        raise ValueError(f"GSM8K solution has no final '#### N' line: {answer[-80:]!r}")
    return text[: m.start()].rstrip() + f"\nThe answer is {m.group(1)}."


def load_exemplars(train_path: Path, indices=FEWSHOT_INDICES) -> list[tuple[str, str]]:
    """(question, solution) pairs from GSM8K train at the given row indices."""
    wanted = set(indices)
    rows: dict[int, tuple[str, str]] = {}
    with open(train_path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i in wanted:
                rec = json.loads(line)
                rows[i] = (rec["question"].strip(), exemplar_solution(rec["answer"]))
            if len(rows) == len(wanted):
                break
    missing = sorted(wanted - set(rows))
    if missing:
        raise ValueError(f"{train_path} has no row(s) {missing}")
    return [rows[i] for i in indices]


def user_template(benchmark: str, prompt: str, exemplars: list[tuple[str, str]] = ()) -> str:
    """The user message template (with the `{question}` placeholder) of a benchmark and prompt."""
    if prompt not in PROMPTS:
        raise ValueError(f"unknown prompt '{prompt}'; valid: {list(PROMPTS)}")
    if benchmark == "math500":
        if prompt != "zero-shot-cot":
            raise ValueError("MATH-500 is evaluated zero-shot here: use --prompt zero-shot-cot")
        return f"{MATH_INSTRUCTION}\n\nProblem:\n{{question}}"
    if prompt == "zero-shot-cot":
        return f"{GSM8K_INSTRUCTION}\n\nQuestion: {{question}}\nAnswer:"
    if not exemplars:
        raise ValueError("few-shot-8 needs its GSM8K train exemplars")
    shots = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in exemplars)
    return f"{GSM8K_INSTRUCTION}\n\n{shots}Question: {{question}}\nAnswer:"


def eval_arms(
    template: str,
    *,
    samples: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    seed: int,
    stop: list[str] = (),
) -> list[Arm]:
    """The greedy arm and, with samples > 0, the sampled arm."""
    arms = [
        Arm(
            name="greedy",
            family="eval",
            user_template=template,
            temperature=0.0,
            n=1,
            seed=seed,
            max_new_tokens=max_new_tokens,
            stop=list(stop),
        )
    ]
    if samples:
        if temperature <= 0:
            raise ValueError(
                "--samples k needs --temperature > 0 (the greedy arm is always run; "
                "use --samples 0 for greedy only)"
            )
        arms.append(
            Arm(
                name="sampled",
                family="eval",
                user_template=template,
                temperature=temperature,
                top_p=top_p,
                n=samples,
                seed=seed + 1,
                max_new_tokens=max_new_tokens,
                stop=list(stop),
            )
        )
    return arms
