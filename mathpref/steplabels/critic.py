"""A critic (LLM judge) as a step source: the index of the earliest wrong paragraph, or -1.

The judge sees the problem and the solution's steps as numbered paragraphs (0-based, the same
indices as `split_steps`) and is asked for the index of the earliest wrong one, or -1 when every
paragraph is correct, in `\\boxed{}` (the question ProcessBench asks; the wording is ours). The
requests go through whatever backend the stage has (`Generate`); `critic_samples` replies per
solution are combined by plurality vote.

Parsing is strict because a reply read wrongly as "-1" would label a wrong solution clean: only a
`\\boxed{}` integer, or without one an explicit phrase ("the earliest error is in paragraph 3",
"all paragraphs are correct"), counts. Empty, truncated (an unclosed `\\boxed{`), unparseable,
self-contradicting (two different answers) and out-of-range replies are `unverifiable`, as is a
vote with no usable reply or a tie. A judge request's `problem_id` is the id of the solution it
judges (its `trajectory_id`), so a scripted backend can address a reply to one solution.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mathpref.generation.requests import GenerationRequest, derive_seed
from mathpref.hashing import content_id
from mathpref.steplabels.base import (
    STATUS_LABELLED,
    STATUS_UNVERIFIABLE,
    Generate,
    StepItem,
    StepLabel,
)

ARM = "critic"  # the arm name judge requests carry (seeds derive from it)

SYSTEM = (
    "You are a careful grader of math solutions. You check every step and report the first "
    "one that contains a mistake."
)
USER = """Below is a math problem and a proposed solution split into numbered paragraphs.

Problem:
{question}

Solution:
{paragraphs}

Check the paragraphs in order. A paragraph is wrong if it contains a calculation error, a logical
error, a misreading of the problem, or relies on an earlier mistake. Give the index of the
earliest wrong paragraph (an integer from 0 to {last}), or -1 if every paragraph is correct.
Explain briefly, then put only the index in \\boxed{{}} at the end, for example \\boxed{{2}} or
\\boxed{{-1}}."""


def paragraphs(steps: Sequence[str]) -> str:
    return "\n\n".join(f"[Paragraph {i}]\n{s.strip()}" for i, s in enumerate(steps))


def judge_messages(item: StepItem) -> tuple[tuple[str, str], ...]:
    user = USER.format(
        question=item.question.strip(), paragraphs=paragraphs(item.steps), last=len(item.steps) - 1
    )
    return (("system", SYSTEM), ("user", user))


def judge_requests(item: StepItem, config) -> list[GenerationRequest]:
    """`critic_samples` requests for one solution (ids and seeds from its id and the prompt)."""
    messages = judge_messages(item)
    prompt_key = content_id("critic-prompt", *[t for turn in messages for t in turn])
    return [
        GenerationRequest(
            request_id=content_id("critic", item.trajectory_id, k, prompt_key),
            problem_id=item.trajectory_id,
            arm=ARM,
            sample_index=k,
            seed=derive_seed(config.critic_seed, item.trajectory_id, ARM, k),
            messages=messages,
            temperature=config.critic_temperature,
            top_p=1.0,
            max_new_tokens=config.critic_max_new_tokens,
            question=item.question,
        )
        for k in range(config.critic_samples)
    ]


@dataclass(frozen=True)
class Verdict:
    index: int | None  # earliest wrong paragraph, -1 = none wrong, None = unusable reply
    reason: str  # how it was read, or why not


_INT = re.compile(r"[+-]?\d+")
_WRAP = re.compile(r"\\(?:text|mathrm|textbf|mathbf)\{([^{}]*)\}")
_NOISE = re.compile(r"paragraph|step|index|\\[,;! ]|[\s$]", re.I)
_ERROR_PHRASE = re.compile(
    r"(?:earliest|first)\s+(?:wrong|incorrect|erroneous|error|mistake)[^.\n]{0,40}?"
    r"(?:paragraph|step)\s*(?:is\s*)?(?:\[?\s*)([+-]?\d+)",
    re.I,
)
_CLEAN_PHRASE = re.compile(
    r"\b(?:all|every)\s+(?:of\s+the\s+)?(?:paragraphs?|steps?)\s+(?:are|is)\s+correct\b", re.I
)


def boxed_contents(text: str) -> tuple[list[str], bool]:
    """Every `\\boxed{...}` body (nested braces kept) and whether one is left unclosed."""
    out, pos = [], 0
    while (start := text.find("\\boxed{", pos)) != -1:
        depth, i = 1, start + len("\\boxed{")
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth:
            return out, True
        out.append(text[start + len("\\boxed{") : i - 1])
        pos = i
    return out, False


def _as_int(body: str) -> int | None:
    """`3`, `-1`, `\\text{Paragraph 3}`, `$2$.` -> the integer; anything else -> None."""
    flat = _NOISE.sub("", _WRAP.sub(r"\1", body)).replace("\u2212", "-").rstrip(".")
    return int(flat) if _INT.fullmatch(flat) else None


def parse_reply(text: str | None, n_steps: int) -> Verdict:
    """Read one judge reply; anything not clearly an index in [-1, n_steps) is unusable."""
    if text is None or not text.strip():
        return Verdict(None, "empty reply")
    bodies, unclosed = boxed_contents(text)
    if bodies:
        values = [_as_int(b) for b in bodies]
        if any(v is None for v in values):
            bad = next(b for b, v in zip(bodies, values, strict=True) if v is None)
            return Verdict(None, f"boxed answer is not an integer: {bad[:40]!r}")
        found, how = set(values), "boxed"
    elif unclosed:
        return Verdict(None, "truncated reply (unclosed \\boxed{)")
    else:
        found = {int(m) for m in _ERROR_PHRASE.findall(text)}
        found |= {-1} if _CLEAN_PHRASE.search(text) else set()
        how = "phrase"
        if not found:
            return Verdict(None, "no \\boxed{} index and no explicit verdict phrase")
    if len(found) > 1:
        return Verdict(None, f"conflicting answers {sorted(found)}")
    (value,) = found
    if not -1 <= value < n_steps:
        return Verdict(None, f"index {value} out of range [-1, {n_steps - 1}]")
    return Verdict(value, how)


def combine(verdicts: Sequence[Verdict]) -> StepLabel:
    """Plurality vote of the usable replies; none usable, or a tie at the top -> unverifiable."""
    votes = Counter(v.index for v in verdicts if v.index is not None)
    unusable = [v.reason for v in verdicts if v.index is None]
    detail = {"votes": {str(k): n for k, n in sorted(votes.items())}, "unusable": unusable}
    top = votes.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        detail["why"] = "no usable reply" if not top else "tie between answers"
        return StepLabel(
            STATUS_UNVERIFIABLE, None, requests=len(verdicts), detail=json.dumps(detail)
        )
    index = top[0][0]
    return StepLabel(
        STATUS_LABELLED,
        None if index == -1 else index,
        requests=len(verdicts),
        detail=json.dumps(detail),
    )


def label(items: Sequence[StepItem], config, generate: Generate | None) -> list[StepLabel]:
    if generate is None:
        raise ValueError("method 'critic' needs a generation backend (backend = ...)")
    asked = [it for it in items if it.steps]
    requests = [r for it in asked for r in judge_requests(it, config)]
    replies = generate(requests) if requests else []
    if len(replies) != len(requests):
        raise RuntimeError(f"critic: backend returned {len(replies)} replies for {len(requests)}")
    n, out, at = config.critic_samples, [], 0
    for it in items:
        if not it.steps:
            out.append(StepLabel(STATUS_UNVERIFIABLE, None, detail="solution has no steps"))
            continue
        out.append(combine([parse_reply(r, len(it.steps)) for r in replies[at : at + n]]))
        at += n
    return out
