"""A process reward model (PRM) as a step source: step scores thresholded into a first wrong step.

Input format of the Qwen2.5-Math-PRM family: a chat with the system prompt below, the problem as
the user turn, and as the assistant turn the steps joined by a separator special token, with one
separator after the last step (`<extra_0>` for Qwen2.5-Math-PRM-7B; `prm_step_token`). The model
is a token classifier with two labels; the score of step i is softmax(logits)[1] at the i-th
separator, the model's probability that the step is correct. The first wrong step is the first
whose score is below `prm_threshold` (0.5); none below -> labelled with no wrong step.

The rendered text is tokenised here, once, and the same token ids go to either scorer
(mathpref/steplabels/prm_scorers.py): transformers (the fallback) or vLLM's STEP pooling. A
solution whose token ids do not hold exactly one separator per step (a step that contains the
separator text, a tokenizer that splits it), or that is longer than `prm_max_tokens`, is
`unverifiable`: it is never truncated silently.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mathpref.steplabels.base import (
    STATUS_LABELLED,
    STATUS_UNVERIFIABLE,
    Generate,
    StepItem,
    StepLabel,
)

SEPARATOR = "<extra_0>"
# The system turn Qwen2.5-Math-PRM-7B's model card uses for its inputs.
SYSTEM = "Please reason step by step, and put your final answer within \\boxed{}."
BACKENDS = ("transformers", "vllm")


def first_below(scores: Sequence[float], threshold: float) -> int | None:
    """The first step whose score is below the threshold (0-based), or None."""
    return next((i for i, s in enumerate(scores) if s < threshold), None)


def prm_messages(item: StepItem, separator: str, system: str) -> list[dict]:
    answer = "".join(s.strip() + separator for s in item.steps)
    turns = [{"role": "user", "content": item.question}, {"role": "assistant", "content": answer}]
    return ([{"role": "system", "content": system}] if system else []) + turns


def encode(tokenizer, item: StepItem, separator: str, system: str) -> list[int]:
    """Token ids of the rendered chat (the tokenizer's chat template, no generation prompt)."""
    msgs = prm_messages(item, separator, system)
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=False)
    else:  # a bare tokenizer: plain turns
        text = "".join(f"{m['role']}: {m['content']}\n" for m in msgs)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def separator_id(tokenizer, separator: str) -> int:
    ids = tokenizer.encode(separator, add_special_tokens=False)
    if len(ids) != 1:
        raise ValueError(
            f"prm_step_token {separator!r} is {len(ids)} tokens for this tokenizer, not one: "
            "give the model's step-separator special token (e.g. '<extra_0>' for "
            "Qwen2.5-Math-PRM-7B)"
        )
    return ids[0]


def config_scorer(config):
    """The scorer named by the stage's backend/model/revision/backend_options (kept loaded)."""
    from mathpref.steplabels.prm_scorers import get_scorer

    if config.backend not in BACKENDS:
        raise ValueError(f"method 'prm' runs on backend {BACKENDS}, not {config.backend!r}")
    return get_scorer(config.backend, config.model, config.revision, dict(config.backend_options))


def label_with(items: Sequence[StepItem], config, scorer) -> list[StepLabel]:
    """Score every item with `scorer` (score(list of token-id lists) -> per-separator scores)."""
    sep = config.prm_step_token
    sep_id = separator_id(scorer.tokenizer, sep)
    limit = min(config.prm_max_tokens, getattr(scorer, "max_tokens", None) or config.prm_max_tokens)
    out: list[StepLabel | None] = [None] * len(items)
    todo, ids = [], []
    for i, it in enumerate(items):
        why = None
        if not it.steps:
            why = "solution has no steps"
        elif any(sep in s for s in it.steps):
            why = f"a step contains the separator {sep!r}"
        else:
            toks = encode(scorer.tokenizer, it, sep, config.prm_system_prompt)
            if len(toks) > limit:
                why = f"{len(toks)} tokens > {limit} (prm_max_tokens, or the model's length)"
            elif toks.count(sep_id) != len(it.steps):
                why = f"{toks.count(sep_id)} separators for {len(it.steps)} steps"
        if why:
            out[i] = StepLabel(STATUS_UNVERIFIABLE, None, detail=why)
        else:
            todo.append(i)
            ids.append(toks)
    scores = scorer.score(ids, sep_id) if ids else []
    for i, sc in zip(todo, scores, strict=True):
        n = len(items[i].steps)
        if len(sc) != n:
            out[i] = StepLabel(STATUS_UNVERIFIABLE, None, detail=f"{len(sc)} scores for {n} steps")
            continue
        sc = tuple(round(float(s), 6) for s in sc)
        first = first_below(sc, config.prm_threshold)
        detail = {"threshold": config.prm_threshold, "min_score": min(sc)}
        out[i] = StepLabel(STATUS_LABELLED, first, step_scores=sc, detail=json.dumps(detail))
    return [lab for lab in out if lab is not None]


def label(items: Sequence[StepItem], config, generate: Generate | None = None) -> list[StepLabel]:
    """The step_labels contract: `generate` is unused (the PRM is its own model)."""
    return label_with(items, config, config_scorer(config)) if items else []
