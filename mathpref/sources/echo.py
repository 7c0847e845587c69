"""Prompt echoes: a completion that begins by repeating its prompt (a base model's habit).

A few-shot prompt holds format examples (``#### 42``) and ``Problem:`` blocks; graded as part of
the completion, they give the wrong answer or cut the real one away. `find_echo` finds an echo in
the *leading* part of a completion only, comparing whitespace-separated tokens (so re-spaced text
still matches):

* ``full_<ref>``: the completion starts with the whole reference text;
* ``<ref>_tail``: it starts with a tail of it - an echo that began mid-prompt and runs to the
  prompt's end (at least `min_tail` tokens; the first token may be cut mid-word);
* ``mid_<ref>``: it starts with a long passage from inside it (at least `min_mid` tokens), or
  with its first `MIN_HEAD_TOKENS` tokens or more, and stops before the end.

``<ref>`` is ``prompt`` or ``question``. The verdict is taken from the text after the echo
(`end`, a character offset into the completion). A model that restates the question after
answering, or invents a follow-up, has no leading echo and loses nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODES = ("auto", "strip", "keep")
MIN_TAIL_TOKENS = 4
MIN_MID_TOKENS = 30
MIN_HEAD_TOKENS = 12  # the reference's first tokens, then a stop (e.g. a length cut-off)
_TOKEN = re.compile(r"\S+")
_SPECIAL = re.compile(r"^<\|?[A-Za-z_/|]+\|?>$")  # <s>, <|begin_of_text|>


@dataclass(frozen=True)
class Echo:
    rule: str  # "none", "keep", "full_prompt", "prompt_tail", "mid_prompt", ... (see module doc)
    end: int  # characters of the completion that belong to the echo (0: none)


NONE = Echo("none", 0)


def _tokens(text: str, limit: int | None = None) -> list[re.Match]:
    out = []
    for m in _TOKEN.finditer(text):
        out.append(m)
        if limit is not None and len(out) >= limit:
            break
    return out


def _match(ref: str, completion: str, min_tail: int, min_mid: int) -> tuple[str, int, int] | None:
    """(kind, tokens matched, end offset) of the best leading echo of `ref`, or None."""
    pt = [m.group(0) for m in _tokens(ref)]
    if not pt:
        return None
    ct = _tokens(completion, len(pt) + 4)
    skip = 0
    while skip < min(2, len(ct)) and _SPECIAL.match(ct[skip].group(0)):
        skip += 1
    ct = ct[skip:]
    if not ct:
        return None
    first = ct[0].group(0)
    best = None
    for j, tok in enumerate(pt):
        if tok != first and not (len(first) < len(tok) and tok.endswith(first)):
            continue  # the echo's first token may start mid-word
        k = 1
        while k < len(ct) and j + k < len(pt) and ct[k].group(0) == pt[j + k]:
            k += 1
        end = ct[k - 1].end()
        reaches = j + k == len(pt)
        if (
            not reaches
            and j + k == len(pt) - 1
            and k < len(ct)
            and ct[k].group(0).startswith(pt[-1])
        ):
            end, k, reaches = ct[k].start() + len(pt[-1]), k + 1, True  # "Answer:18"
        if reaches and j == 0:
            return "full", k, end
        if reaches and k >= min_tail:
            cand = ("tail", k, end)
        elif k >= min_mid or (j == 0 and k >= MIN_HEAD_TOKENS):
            cand = ("mid", k, end)  # a passage from inside, or the head of, the reference
        else:
            continue
        if best is None or (cand[0], cand[1]) > (best[0], best[1]):
            best = cand  # "tail" > "mid"; then the longer
    return best


def find_echo(
    completion: str,
    prompt: str | None,
    question: str | None = None,
    *,
    min_tail: int = MIN_TAIL_TOKENS,
    min_mid: int = MIN_MID_TOKENS,
) -> Echo:
    """The leading echo of the prompt (or, failing that, of the question) in `completion`."""
    if not completion:
        return NONE
    found = []
    for ref, name in ((prompt, "prompt"), (question, "question")):
        if ref and ref.strip() and (name == "prompt" or ref.strip() != (prompt or "").strip()):
            m = _match(ref, completion, min_tail, min_mid)
            if m is not None:
                found.append((m, name))
    if not found:
        return NONE
    (kind, _, end), name = max(found, key=lambda f: f[0][2])
    rule = {"full": f"full_{name}", "tail": f"{name}_tail", "mid": f"mid_{name}"}[kind]
    return Echo(rule, end)
