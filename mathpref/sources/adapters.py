"""Adapters that turn existing generation logs into trajectory records.

An adapter reads one source record and yields zero or more `ImportedSample`s; the import stage
joins them to problems, derives ids and writes trajectories. Built-in adapters:
- `openai_gsm8k_solutions`: OpenAI's GSM8K `example_model_solutions.jsonl`; each model key
  (`6b_finetuning`, ...) becomes an arm; the prompt is the question text.
- `qwen_math_samples`: Qwen2.5-Math sampled outputs (`math_cot_100.jsonl`): one arm, one sample
  per element of `code`/`response`, with the grader's `score` as source label.
- `prm800k`: PRM800K's raw step-rating records. The rated path (chosen or human completion per
  step) is one trajectory; each step completion rated -1 gives a trajectory ending in that step,
  with `source_error_step` = its index, and a continuation of the same prefix by the rated path
  (the chosen step and the steps after it), so step-level pairs come from the human ratings.
- `generic`: a prompt/completion log with field mapping (e.g. a verifier-log export).
- `native`: a table already in mathpref's `trajectories` schema (Parquet or JSONL, e.g. exported
  from another store). It is read whole with Arrow (`mathpref.sources.native.read_native`), never record by record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mathpref.errors import InputError


@dataclass
class ImportedSample:
    question: str | None  # joins to problems by question text when problem_key is None
    problem_key: str | None  # joins by problem_id when given
    arm: str
    sample_index: int | None  # None: numbered in file order per (problem, arm)
    prompt: str
    completion: Any
    model_id: str | None = None
    label: bool | None = None
    finish_reason: str | None = None
    sampling_params: dict | None = None
    error_step: int | None = None  # the log's own first-wrong-step label
    key: str | None = None  # names the sample within its record, for `parent_key`
    parent_key: str | None = None  # a continuation of that sample of the same record
    prefix: str | None = None  # the partial solution a continuation continues
    system: str | None = None  # the log's own system prompt, when it records one


OPENAI_ARMS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def openai_gsm8k(rec: dict, cfg) -> Iterator[ImportedSample]:
    arms = cfg.arms or list(OPENAI_ARMS)
    missing = [a for a in arms if a not in rec]
    if missing:
        raise KeyError(missing[0])
    for arm in arms:
        entry = rec[arm]
        if not isinstance(entry, dict) or "solution" not in entry:
            raise KeyError(f"{arm}.solution")
        yield ImportedSample(
            question=rec["question"],
            problem_key=None,
            arm=arm,
            sample_index=0,
            prompt=rec["question"],
            completion=entry["solution"],
            model_id=f"openai-gpt3-{arm}",
            label=entry.get("is_correct"),
        )


def qwen_math(rec: dict, cfg) -> Iterator[ImportedSample]:
    responses = rec.get("code") or rec.get("response")
    if responses is None:
        raise KeyError("code")
    scores = rec.get("score") or [None] * len(responses)
    system = rec.get("system")
    for i, text in enumerate(responses):
        yield ImportedSample(
            question=rec["question"],
            problem_key=None,
            arm=cfg.arm or "qwen",
            sample_index=i,
            prompt=rec["question"],
            completion=text,
            model_id=cfg.model_id or None,
            label=scores[i] if i < len(scores) else None,
            sampling_params={"system": system} if system else None,
            system=system or None,
        )


def generic(rec: dict, cfg) -> Iterator[ImportedSample]:
    from mathpref.sources.readers import get_field

    def opt_field(name: str) -> Any:
        if not name:
            return None
        try:
            return get_field(rec, name)
        except KeyError:
            return None

    completion = get_field(rec, cfg.completion_field)
    question = get_field(rec, cfg.question_field) if cfg.question_field else None
    key = get_field(rec, cfg.problem_id_field) if cfg.problem_id_field else None
    prompt = opt_field(cfg.prompt_field) if cfg.prompt_field else None
    arm = opt_field(cfg.arm_field) if cfg.arm_field else None
    index = opt_field(cfg.sample_index_field)
    label = opt_field(cfg.label_field)
    yield ImportedSample(
        question=question,
        problem_key=None if key is None else str(key),
        arm=str(arm) if arm is not None else (cfg.arm or "imported"),
        sample_index=None if index is None else int(index),
        prompt=prompt if prompt is not None else (question or ""),
        completion=completion,
        model_id=opt_field(cfg.model_field) or cfg.model_id or None,
        label=_as_bool(label),
        finish_reason=opt_field(cfg.finish_reason_field),
    )


def _as_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "correct", "+"):
        return True
    if text in ("false", "0", "no", "incorrect", "-"):
        return False
    raise InputError(f"label value {json.dumps(value)} is not a boolean")


STEP_JOIN = "\n\n"  # PRM800K steps are joined as paragraphs, as `split_steps` reads them


def prm800k(rec: dict, cfg) -> Iterator[ImportedSample]:
    question = rec["question"]["problem"]
    steps = rec["label"]["steps"]
    path: list[str] = []
    for step in steps:
        chosen, human = step.get("chosen_completion"), step.get("human_completion")
        if chosen is not None:
            path.append(step["completions"][chosen]["text"])
        elif human and human.get("text"):
            path.append(human["text"])
        else:
            break
    arm = cfg.arm or "prm800k"

    def sample(key, text, **kw):
        return ImportedSample(
            question=question,
            problem_key=None,
            arm=arm,
            sample_index=None,
            prompt=question,
            completion=text,
            model_id=cfg.model_id or None,
            key=key,
            **kw,
        )

    finished = rec["label"].get("finish_reason") == "solution"
    yield sample(
        "path", STEP_JOIN.join(path), label=None, finish_reason=None if finished else "stop"
    )
    for k, step in enumerate(steps[: len(path)]):
        prefix = "".join(p + STEP_JOIN for p in path[:k])
        for j, comp in enumerate(step["completions"]):
            if comp.get("rating") != -1:
                continue
            yield sample(f"r{k}.{j}", prefix + comp["text"], label=False, error_step=k)
            yield sample(
                f"c{k}.{j}", STEP_JOIN.join(path[k:]), parent_key=f"r{k}.{j}", prefix=prefix
            )


ADAPTERS = {
    "prm800k": prm800k,
    "openai_gsm8k_solutions": openai_gsm8k,
    "qwen_math_samples": qwen_math,
    "generic": generic,
}
