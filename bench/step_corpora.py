"""Solution texts of the staged real sets, for step-checker comparisons (tests and bench).

Each loader returns a list of solution strings, read from /work/shared/data (see its
PROVENANCE.md; nothing is copied into the repo). ProcessBench and PRM800K steps are joined as
paragraphs, as the importers join them; Math-Shepherd's `ки` step tags are kept as written.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GPT3_KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gsm8k_train(data: Path = DATA) -> list[str]:
    return [r["answer"] for r in _jsonl(data / "gsm8k" / "train.jsonl")]


def gsm8k_test(data: Path = DATA) -> list[str]:
    return [r["answer"] for r in _jsonl(data / "gsm8k" / "test.jsonl")]


def gsm8k_platinum(data: Path = DATA) -> list[str]:
    return [r["answer"] for r in _jsonl(data / "gsm8k_platinum" / "gsm8k_platinum.jsonl")]


def gpt3_solutions(data: Path = DATA) -> list[str]:
    """OpenAI's GPT-3 GSM8K test solutions (4 per problem) and their `ground_truth` texts."""
    out = []
    for r in _jsonl(data / "gsm8k" / "example_model_solutions.jsonl"):
        out.extend(r[k]["solution"] for k in GPT3_KEYS)
        out.append(r["ground_truth"])
    return out


def processbench(data: Path = DATA) -> list[str]:
    out = []
    for name in ("gsm8k", "math", "olympiadbench", "omnimath"):
        rows = json.loads((data / "processbench" / f"{name}.json").read_text(encoding="utf-8"))
        out.extend("\n\n".join(r["steps"]) for r in rows)
    return out


def prm_samples(data: Path = DATA) -> list[str]:
    """PRM800K (every rated completion of every step, and the chosen path), Math-Shepherd
    (`input` and `label`), MATH-APS (each solution prefix)."""
    base = data / "openr_prm_samples"
    out = []
    for r in _jsonl(base / "samples_prm800k.jsonl"):
        path = []
        for step in r["label"]["steps"]:
            comps = step["completions"] or []
            out.extend(c["text"] for c in comps)
            chosen = step.get("chosen_completion")
            if chosen is not None and chosen < len(comps):
                path.append(comps[chosen]["text"])
            elif step.get("human_completion"):
                path.append(step["human_completion"]["text"])
        out.append("\n\n".join(path))
    for r in _jsonl(base / "samples_math-shepherd.jsonl"):
        out.extend((r["input"], r["label"]))
    for r in _jsonl(base / "samples_math-aps.jsonl"):
        out.extend(s["solution_prefix"] for s in r["reasoning_steps"])
    return out


def math500(data: Path = DATA) -> list[str]:
    return [r["solution"] for r in _jsonl(data / "math500" / "test.jsonl")]


def qwen_samples(data: Path = DATA) -> list[str]:
    out = []
    for r in _jsonl(data / "qwen25_math_samples" / "math_cot_100.jsonl"):
        out.extend(r["code"])
        out.append(r["gt_cot"])
    return out


CORPORA: dict[str, Callable[..., list[str]]] = {
    "gsm8k_train": gsm8k_train,
    "gsm8k_test": gsm8k_test,
    "gsm8k_platinum": gsm8k_platinum,
    "gpt3_solutions": gpt3_solutions,
    "processbench": processbench,
    "prm_samples": prm_samples,
    "math500": math500,
    "qwen_samples": qwen_samples,
}


def sample(texts: list[str], n: int | None, seed: int = 0) -> list[str]:
    """A deterministic sample of `n` texts (all of them when n is None or larger)."""
    if n is None or n >= len(texts):
        return list(texts)
    return random.Random(seed).sample(texts, n)
