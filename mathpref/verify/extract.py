"""Final-answer extraction from a free-text completion (per-row reference implementation).

Order of precedence, applied to the completion cut before any hallucinated follow-up block
(a line starting ``Question:`` / ``Q:`` / ``Problem:`` with some text before it):

1. ``final_answer`` - the last "The final answer is $X$" / "... is \\boxed{X}" / "... is X."
2. ``boxed``        - the last complete ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces).
   A LaTeX solution states its answer in the box; earlier boxes are intermediate results.
3. ``answer_heading`` - the line after a ``# Answer`` heading (the PRM800K / OpenAI PRM format:
   ``...\n\n# Answer\n\n29``).
4. ``hash`` / ``the_answer_is`` - whichever of ``#### X`` and "the answer is X" comes first:
   the first committed answer is the one the model gave; later text is continuation.
5. ``answer_colon`` - the first line starting ``Answer:`` / ``A:``, when its value is short
   (a few words); a long value is prose ("A: Natalia sold 48 clips ...") and is not an answer.
6. ``last_number``  - the last number in the text (calculator annotations ``<<...>>`` removed).

The vectorised path in :mod:`mathpref.verify.vector` must agree with this module row for row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathpref.verify.latex import last_boxed

RULES = (
    "final_answer",
    "boxed",
    "answer_heading",
    "hash",
    "the_answer_is",
    "answer_colon",
    "last_number",
)

# Shared regex sources (also used, unchanged, by the polars vector path).
FOLLOWUP_RE = r"\n[ \t]*(?:Question|Q|Problem)[ \t]*:"
MARKER_RE = r"####[ \t]*([^\n]*)|(?i:the answer is)[ \t]*:?[ \t]*([^\n]*)"
ANSWER_COLON_RE = r"(?m)^[ \t]*(?:Answer|A)[ \t]*:[ \t]*([^\n]*)"
ANSWER_HEADING_RE = r"(?m)^[ \t]*#{1,6}[ \t]*(?:Final[ \t]+)?Answer[ \t]*:?[ \t]*$"
SENTENCE_END_RE = r"\.\s.*$"
ANSWER_COLON_MAX_CHARS = 60
ANSWER_COLON_MAX_SPACES = 5

_FOLLOWUP = re.compile(FOLLOWUP_RE)
_MARKER = re.compile(MARKER_RE)
_ANSWER_COLON = re.compile(ANSWER_COLON_RE)
_ANSWER_HEADING = re.compile(ANSWER_HEADING_RE)
_SENTENCE_END = re.compile(SENTENCE_END_RE, re.S)
_FINAL = re.compile(r"(?i)final answer is[ \t]*:?[ \t]*")
_CALC = re.compile(r"<<[^<>\n]{0,200}>>")
_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?")
_NONSPACE = re.compile(r"\S")


@dataclass(frozen=True)
class Extraction:
    answer: str | None
    rule: str | None


def truncate_followup(text: str) -> str:
    """Cut before the first follow-up question block that has content before it."""
    first = _NONSPACE.search(text)
    if first is None:
        return text
    m = _FOLLOWUP.search(text, first.start())
    return text[: m.start()] if m else text


def clean_value(value: str) -> str:
    """Rest-of-line value -> answer: cut at the first sentence end, strip spaces/periods."""
    return _SENTENCE_END.sub("", value).strip().rstrip(".").strip()


def answer_colon_ok(value: str) -> bool:
    return 0 < len(value) <= ANSWER_COLON_MAX_CHARS and value.count(" ") <= ANSWER_COLON_MAX_SPACES


def _final_answer(text: str) -> str | None:
    found = None
    for m in _FINAL.finditer(text):
        found = m
    if found is None:
        return None
    rest = text[found.end() : found.end() + 4000]
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


def _last_number(text: str) -> str | None:
    found = None
    for m in _NUMBER.finditer(_CALC.sub(" ", text)):
        found = m
    return found.group(0) if found else None


def extract(completion: str | None) -> Extraction:
    """Extract the final answer and record which rule found it."""
    if not completion:
        return Extraction(None, None)
    text = truncate_followup(completion)
    if "final answer is" in text.lower():
        value = _final_answer(text)
        if value:
            return Extraction(value, "final_answer")
    if "\\boxed" in text or "\\fbox" in text:
        value = last_boxed(text)
        if value is not None and value.strip():
            return Extraction(value.strip(), "boxed")
    m = _ANSWER_HEADING.search(text)
    if m:
        value = (
            clean_value(text[m.end() :].strip().split("\n", 1)[0])
            if text[m.end() :].strip()
            else ""
        )
        if value:
            return Extraction(value, "answer_heading")
    m = _MARKER.search(text)
    while m is not None:
        value = clean_value(m.group(1) if m.group(1) is not None else m.group(2))
        if value:
            return Extraction(value, "hash" if m.group(1) is not None else "the_answer_is")
        m = _MARKER.search(text, m.end())
    m = _ANSWER_COLON.search(text)
    if m:
        value = clean_value(m.group(1))
        if answer_colon_ok(value):
            return Extraction(value, "answer_colon")
    value = _last_number(text)
    if value is not None:
        return Extraction(value, "last_number")
    return Extraction(None, None)


def extract_answer(completion: str | None) -> str | None:
    """The extracted final answer, or None."""
    return extract(completion).answer
