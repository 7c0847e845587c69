"""Final-answer extraction from a free-text completion (per-row reference implementation).

The answer is read from the *solution proper* (:mod:`.cut`: the text before an invented chat
turn, follow-up problem or exercise, and before anything after a ``#### X`` line), with
markdown emphasis removed. Candidates are then weighed by position and kind - see
docs/decisions/0008-answer-position.md:

* A check segment ("Check: ...", "Let's verify ...") that comes after the first answer
  candidate contributes nothing (:mod:`.boxes`): a later check value never replaces the answer.
* Among the rest, in order of precedence:

1. ``final_answer``   - the last "The final answer is X".
2. ``boxed``          - the last ``\\boxed{...}`` (placeholders skipped); ``boxed_set`` when the
   last boxes follow each other with only connectives between them (``\\boxed{-2}`` and
   ``\\boxed{1}``): the answer is the list ``-2, 1``.
3. ``answer_heading`` - the line after a ``# Answer`` heading (PRM800K format).
4. ``hash`` / ``the_answer_is`` - whichever of ``#### X`` and "the answer is X" comes first.
5. ``answer_colon``   - the first short ``Answer:`` / ``Final answer:`` / ``A:`` line.
6. ``last_number``    - the last number; ``last_structure`` when that number is a component of a
   tuple, interval, set, inequality or matrix, which is then the answer, whole; ``last_math``
   when it belongs to a math expression (``$(a + b)^2$``): the expression, or the value after
   its last ``=`` (``$\\cos A = -\\frac{24}{25}$``).

The vectorised path in :mod:`mathpref.verify.vector` must agree with this module row for row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathpref.verify.boxes import (
    _CHECK_WORD,
    answer_boxes,
    box_group,
    check_regions,
    has_check_word,
    inside,
)
from mathpref.verify.commas import AUTO, comma_mode
from mathpref.verify.cut import FOLLOWUP_RE, solution_end, strip_emphasis
from mathpref.verify.latex import last_boxed
from mathpref.verify.structured import last_number
from mathpref.verify.structured import plain_last_number as _last_number  # noqa: F401

RULES = (
    "final_answer",
    "boxed",
    "boxed_set",
    "answer_heading",
    "hash",
    "the_answer_is",
    "answer_colon",
    "last_number",
    "last_structure",
    "last_math",
)

# Shared regex sources (also used, unchanged, by the polars vector path).
MARKER_RE = r"####[ \t]*([^\n]*)|(?i:the answer is)[ \t]*:?[ \t]*([^\n]*)"
ANSWER_COLON_RE = r"(?m)^[ \t]*(?:(?i:final)[ \t]+)?(?:Answer|answer|A)[ \t]*:[ \t]*([^\n]*)"
ANSWER_HEADING_RE = r"(?m)^[ \t]*#{1,6}[ \t]*(?:Final[ \t]+)?Answer[ \t]*:?[ \t]*$"
FINAL_RE = r"(?i)final answer is[ \t]*:?[ \t]*"
SENTENCE_END_RE = r"\.\s.*$"
ANSWER_COLON_MAX_CHARS = 60
ANSWER_COLON_MAX_SPACES = 5

_MARKER = re.compile(MARKER_RE)
_ANSWER_COLON = re.compile(ANSWER_COLON_RE)
_ANSWER_HEADING = re.compile(ANSWER_HEADING_RE)
_SENTENCE_END = re.compile(SENTENCE_END_RE, re.S)
_FINAL = re.compile(FINAL_RE)
_HEADING_VALUE = re.compile(r"^[A-Z][a-z]+\b")
__all__ = ["FOLLOWUP_RE", "RULES", "Extraction", "extract", "extract_answer"]


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    rule: str | None
    comma: str = AUTO  # how the text writes comma numbers (see .commas)


def truncate_followup(text: str) -> str:
    """The solution proper (kept under its first name)."""
    return text[: solution_end(text)[0]]


def clean_value(value: str) -> str:
    """Rest-of-line value -> answer: cut at the first sentence end, strip spaces/periods."""
    return _SENTENCE_END.sub("", value).strip().rstrip(".").strip()


def answer_colon_ok(value: str) -> bool:
    return 0 < len(value) <= ANSWER_COLON_MAX_CHARS and value.count(" ") <= ANSWER_COLON_MAX_SPACES


def _final_value(text: str, at: int) -> str | None:
    rest = text[at : at + 4000]
    if rest.startswith("$"):
        end = rest.find("$", 1)
        if rest.startswith("$$"):
            end = rest.find("$$", 2)
            inner = rest[2:end] if end > 0 else None
        else:
            inner = rest[1:end] if end > 0 else None
        if inner is not None:
            boxed = last_boxed(inner)
            return (boxed if boxed is not None else inner).strip()
    if rest.startswith("\\(") and "\\)" in rest:
        inner = rest[2 : rest.find("\\)")]
        boxed = last_boxed(inner)
        return (boxed if boxed is not None else inner).strip()
    if rest.startswith("\\boxed") or rest.startswith("\\fbox"):
        boxed = last_boxed(rest[:4000].split("\n\n", 1)[0])
        if boxed is not None:
            return boxed.strip()
    value = clean_value(rest.split("\n", 1)[0])
    return value or None


def _markers(text: str):
    """(start, value, rule) of each #### / "the answer is" statement with a value, in order."""
    for m in _MARKER.finditer(text):
        if m.group(1) is not None:
            if _HEADING_VALUE.match(m.group(1)):
                continue  # "#### Step 2: ..." is a markdown heading
            value, rule = clean_value(m.group(1)), "hash"
        else:
            value, rule = clean_value(m.group(2)), "the_answer_is"
        if value:
            yield m.start(), value, rule


def _heading(text: str) -> tuple[int, str] | None:
    m = _ANSWER_HEADING.search(text)
    if not m:
        return None
    rest = text[m.end() :].strip()
    value = clean_value(rest.split("\n", 1)[0]) if rest else ""
    return (m.start(), value) if value else None


def _colon(text: str) -> tuple[int, str] | None:
    m = _ANSWER_COLON.search(text)
    if m:
        value = clean_value(m.group(1))
        if answer_colon_ok(value):
            return m.start(), value
    return None


def extract(completion: str | None) -> Extraction:
    """Extract the final answer and record which rule found it."""
    if not completion:
        return Extraction(None, None)
    text = strip_emphasis(completion[: solution_end(completion)[0]])
    comma = comma_mode(text)
    finals = [m.start() for m in _FINAL.finditer(text)] if "final answer" in text.lower() else []
    boxes = answer_boxes(text) if ("\\boxed" in text or "\\fbox" in text) else []
    regions: list[tuple[int, int]] = []
    heading = markers = colon = None
    if has_check_word(text) and _CHECK_WORD.search(text):  # a check after an answer: ignored
        heading, markers, colon = _heading(text), list(_markers(text)), _colon(text)
        starts = [*finals, *(b.start for b in boxes), *(m[0] for m in markers[:1])]
        starts += [c[0] for c in (heading, colon) if c]
        regions = check_regions(text, min(starts) + 1) if starts else []
    for at in reversed(finals):
        if not inside(at, regions):
            m = _FINAL.match(text, at)
            value = _final_value(text, m.end()) if m else None
            if value:
                return Extraction(value, "final_answer", comma)
    group = box_group(text, [b for b in boxes if not inside(b.start, regions)])
    if group is not None and group[0]:
        return Extraction(group[0], "boxed_set" if group[1] else "boxed", comma)
    heading = heading if markers is not None else _heading(text)
    if heading and not inside(heading[0], regions):
        return Extraction(heading[1], "answer_heading", comma)
    for at, value, rule in markers if markers is not None else _markers(text):
        if not inside(at, regions):
            return Extraction(value, rule, comma)
    colon = colon if markers is not None else _colon(text)
    if colon and not inside(colon[0], regions):
        return Extraction(colon[1], "answer_colon", comma)
    last = last_number(text, comma)
    if last is not None:
        return Extraction(last[0], last[1], comma)
    return Extraction(None, None, comma)


def extract_answer(completion: str | None) -> str | None:
    """The extracted final answer, or None."""
    return extract(completion).answer
