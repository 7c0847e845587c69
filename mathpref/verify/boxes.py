"""Boxed answers weighed by position: check segments, placeholders, several boxes as one answer.

* A *check segment* starts at a sentence that begins "Check", "Let's verify", "To double-check",
  "Substituting ... back" and runs to the end of its paragraph or to a concluding sentence
  ("Therefore", "Hence", "So", "The answer"), whichever comes first. A box or statement inside one
  does not replace an answer given before it (``\\boxed{5}``, then "Check: 2(5) + 3 = \\boxed{13}").
* Placeholder boxes (``\\boxed{}``, ``\\boxed{\\phantom{2}}``, ``\\boxed{?}``) are not answers.
* The last boxes of a solution that follow each other with only connectives between them
  (``x = \\boxed{-2}`` or ``x = \\boxed{1}``) are one answer, written as the list ``-2, 1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathpref.verify.latex import MAX_BOX_TRIES, box_spans, hostile_reason, normalize_latex
from mathpref.verify.numeric import NumberTooLarge, number_key, parse_number

CHECK_RE = (
    r"(?i)(?:^|\n|(?<=[.!?:;])[ \t]+)[ \t>*#\-]*"
    r"(?:(?:let(?:'s|’s|[ \t]+us)|to|we(?:[ \t]+can|[ \t]+will|[ \t]+now)?|now,?(?:[ \t]+let's|[ \t]+we)?"
    r"|finally,?|as[ \t]+a)[ \t]+)?(?:double[- ]?|quickly[ \t]+)?"
    r"(?:check|verify|verification|sanity[- ]check|(?:substitut|plugg?)\w*\b[^.\n]{0,60}?\bback)\b"
)
_CHECK = re.compile(CHECK_RE)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
# A concluding sentence ends a check segment early ("Let's check ... Hence, the answer is 3").
_CONCLUSION = re.compile(
    r"(?i)(?:\n|(?<=[.!?])[ \t]+)[ \t>*#\-]*(?:therefore|hence|thus|so\b|in conclusion|finally"
    r"|in summary|the (?:final |correct )?answer)"
)
_PLACEHOLDER_ALT = (
    r"\\(?:phantom|hphantom|vphantom)\s*\{[^{}]*\}|\\square|\\Box|\?+|\\_+|_+|\.{3}|\\ldots"
    r"|\\text\{\s*\}"
)
PLACEHOLDER_RE = r"^\s*(?:" + _PLACEHOLDER_ALT + r")?\s*$"  # also read by the vector path
_PLACEHOLDER = re.compile(PLACEHOLDER_RE)
# Words that may open a check segment (vector path: such rows go per-row).
CHECK_HINT_RE = r"(?i)check|verif|substitut|plug"
# The same words for Python's engine (case-insensitive letter by letter: it then skips to the
# few characters that can start one).
_CHECK_WORD = re.compile(
    "|".join(
        "".join(f"[{ch.upper()}{ch}]" for ch in w) for w in ("check", "verif", "substitut", "plug")
    )
)
# Text allowed between boxes that together form one answer (after math delimiters are removed).
_CONNECTIVE = re.compile(
    r"^(?:\s|,|;|&|\\\\|\\quad|\\qquad|\\[,;: ]|\band\b|\bor\b|\\text\{\s*(?:and|or|,)?\s*\}"
    r"|\\(?:text|mathrm)\{\s*(?:and|or)\s*\}|[A-Za-z](?:_\{?\w+\}?)?\s*=)*$"
)
_DELIMS = re.compile(r"\$+|\\\(|\\\)|\\\[|\\\]")


@dataclass(frozen=True)
class Box:
    start: int
    end: int
    value: str


_CHECK_PARTS = ("heck", "HECK", "erif", "ERIF", "ubstitut", "UBSTITUT", "lug", "LUG")


def has_check_word(text: str) -> bool:
    """A cheap test (substring finds) for a word that could open a check segment."""
    return any(part in text for part in _CHECK_PARTS)


def check_regions(text: str, after: int) -> list[tuple[int, int]]:
    """Check segments that start after offset `after` (an answer was given before them).

    The sentence-start pattern is only tried around the check words themselves (a scan of
    the whole text with it is slow in Python's engine)."""
    out: list[tuple[int, int]] = []
    for w in _CHECK_WORD.finditer(text, after):
        p = w.start()
        if out and p < out[-1][1]:
            continue
        hi = min(len(text), p + 120)
        m = _CHECK.search(text, max(after, p - 60), hi)
        while m is not None and m.end() <= p:
            m = _CHECK.search(text, m.end(), hi)
        if m is None or m.start() > p or (out and m.start() < out[-1][1]):
            continue
        para = _PARAGRAPH_END.search(text, m.end())
        end = para.start() if para else len(text)
        c = _CONCLUSION.search(text, m.end(), end)
        out.append((m.start(), c.start() if c else end))
    return out


def inside(pos: int, regions: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in regions)


def answer_boxes(text: str) -> list[Box]:
    """Complete, non-placeholder boxes in order (the last MAX_BOX_TRIES of them)."""
    spans = box_spans(text)[-MAX_BOX_TRIES:]
    return [Box(s, e, v.strip()) for s, e, v in spans if not _PLACEHOLDER.match(v)]


def box_group(text: str, boxes: list[Box]) -> tuple[str, bool] | None:
    """The answer in the last boxes: (value, is_set) or None when there is no box."""
    if not boxes:
        return None
    group = [boxes[-1]]
    for b in reversed(boxes[:-1]):
        if b.end > group[0].start:  # nested: a box inside the last one
            break
        between = _DELIMS.sub(" ", text[b.end : group[0].start])
        if not _CONNECTIVE.match(between) or "\n\n" in between:
            break
        group.insert(0, b)
    if len(group) == 1:
        return group[0].value, False
    values: list[str] = []
    keys: set[str] = set()
    for b in group:
        k = _key(b.value)
        if k not in keys:  # "\\boxed{0.5} or \\boxed{\\frac{1}{2}}" is one value
            keys.add(k)
            values.append(b.value)
    if len(values) == 1:
        return values[0], False
    return ", ".join(values), True


def _key(value: str) -> str:
    if not hostile_reason(value):
        try:
            n = parse_number(value)
        except (NumberTooLarge, ValueError):
            n = None
        if n is not None:
            return number_key(n)
    return normalize_latex(value)
