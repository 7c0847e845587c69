"""The last-number fallback, which takes a structured answer whole.

When a completion states no answer, its last number is taken. If that number is one component
of a structure (the pair ``(7, 6)``, the interval ``[2, 5)``, the set ``\\{1, 2\\}``, the
inequality ``x \\geq 5``, a matrix), the answer is the whole structure, so a gold of ``6`` or
``5`` is never credited by a component.
"""

from __future__ import annotations

import re

from mathpref.verify.commas import AUTO

NUMBER_RE = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?"
# In a text that writes decimal commas, "3,5" is one number.
_NUMBER_DEC_RE = r"-?(?:[0-9]{1,3}(?:,[0-9]{3}){2,}|[0-9]+,[0-9]+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?"
CALC_RE = r"<<[^<>\n]{0,200}>>"
# Characters around a last number that may make it part of a structure (vector path: per-row).
STRUCTURE_HINT_RE = r"[$(\[<>≤≥≠]|\\(?:geq?|leq?|gt|lt|neq?)|matrix"

_NUMBER = re.compile(NUMBER_RE)
_NUMBER_DEC = re.compile(_NUMBER_DEC_RE)
_CALC = re.compile(CALC_RE)
_MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array)\}.*?\\end\{\1\}", re.S)
_REL = r"(?:≥|≤|≠|>=|<=|>|<|\\geq?\b|\\leq?\b|\\gt\b|\\lt\b|\\neq?\b)"
_VAR = r"[A-Za-z](?:_\{?\w+\}?)?"
_INEQ_BEFORE = re.compile(
    r"(?:(-?\d+(?:\.\d+)?)\s*" + _REL + r"\s*)?" + _VAR + r"\s*" + _REL + r"\s*\$?\s*$"
)
_MACRO = re.compile(r"\\[A-Za-z]+")
_ASSIGN = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*")
_MATHLIKE = re.compile(r"^[\s\d.,+\-*/^_{}()\[\]=!|<>a-zA-Z\\]*$")
_OPEN, _CLOSE = "([{", ")]}"
_THOUSANDS_ONLY = re.compile(r"^\s*\$?-?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*$")
MAX_SCAN = 200


def _bracket_group(t: str, start: int, end: int) -> tuple[int, int] | None:
    """The innermost bracket pair around t[start:end] on its line, if it holds a comma list."""
    lo = max(t.rfind("\n", 0, start) + 1, start - MAX_SCAN)
    depth, i = 0, start - 1
    while i >= lo:
        ch = t[i]
        if ch in "()[]" and i and t[i - 1] == "\\":
            return None  # a math delimiter \( \[ \) \], not a bracket
        if ch in _CLOSE:
            depth += 1
        elif ch in _OPEN:
            if depth == 0:
                break
            depth -= 1
        i -= 1
    else:
        return None
    nl = t.find("\n", end)
    hi = min(len(t) if nl < 0 else nl, end + MAX_SCAN)
    depth, j = 0, end
    while j < hi:
        ch = t[j]
        if ch in "()[]" and t[j - 1] == "\\":
            return None
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                break
            depth -= 1
        j += 1
    else:
        return None
    if t[i] == "{" and not t[:i].endswith("\\"):
        return None  # a LaTeX argument, not a set
    a = i - 1 if t[i] == "{" else i
    if t[:a].endswith("\\left"):
        a -= 5
    inner = t[i + 1 : j]
    if _THOUSANDS_ONLY.match(inner) or not _top_level_comma(inner) or not _mathlike(inner):
        return None
    return a, j + 1


_PAIRS = (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"))
_SPAN_SCAN = 600


def _math_span(t: str, start: int, end: int) -> str | None:
    """The content of the math span (``\\( \\)``, ``\\[ \\]``, ``$$ $$``, ``$ $``) around a number."""
    for op, cl in _PAIRS:
        a = t.rfind(op, max(0, start - _SPAN_SCAN), start)
        if a < 0 or t.find(cl, a + len(op), start) >= 0:
            continue
        b = t.find(cl, end, end + _SPAN_SCAN)
        if b >= 0:
            return t[a + len(op) : b]
    line_start = t.rfind("\n", 0, start) + 1
    nl = t.find("\n", end)
    line_end = len(t) if nl < 0 else nl
    before = t[line_start:start]
    a = before.rfind("$")
    b = t.find("$", end, line_end)
    if a >= 0 and before.count("$") % 2 and b >= 0:
        return before[a + 1 :] + t[start:b]
    return None


def _span_answer(inner: str) -> str | None:
    """A math span as an answer: the value after its last top-level ``=``, if math-like."""
    inner = inner.strip().rstrip(".,;").strip()
    depth, cut = 0, -1
    for i, ch in enumerate(inner):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "=" and depth == 0 and inner[i - 1 : i] not in ("<", ">", "!"):
            cut = i
    value = inner[cut + 1 :].strip() if cut >= 0 else inner
    if not value or _THOUSANDS_ONLY.match(value) or not _mathlike(value):
        return None
    return value


def _top_level_comma(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth == 0:
            return True
    return False


def _mathlike(s: str) -> bool:
    """Numbers, single-letter variables, operators and LaTeX macros only (not prose)."""
    bare = _MACRO.sub(" ", s).replace("\\", " ")
    if not _MATHLIKE.match(bare):
        return False
    return all(len(w) <= 1 for w in re.findall(r"[A-Za-z]+", bare))


def plain_last_number(text: str) -> str | None:
    """The last number as written (no structure, thousands commas); the vector path's twin."""
    found = None
    for m in _NUMBER.finditer(_CALC.sub(" ", text)):
        found = m
    return found.group(0) if found else None


def last_number(text: str, comma: str = AUTO) -> tuple[str, str] | None:
    """(answer, rule) from the last number of `text` (calculator notes removed). The rule is
    ``last_number``, ``last_structure`` (a tuple, interval, set, inequality or matrix around
    it) or ``last_math`` (the math expression it belongs to, or the value after its ``=``)."""
    t = _CALC.sub(" ", text)
    rx = _NUMBER if comma == AUTO else _NUMBER_DEC
    found = None
    for m in rx.finditer(t):
        found = m
    if found is None:
        return None
    s, e = found.span()
    for mm in _MATRIX.finditer(t, max(0, s - 4000)):
        if mm.start() <= s and e <= mm.end():
            return mm.group(0), "last_structure"
        if mm.start() > s:
            break
    group = _bracket_group(t, s, e)
    if group is not None:
        return t[group[0] : group[1]].strip(), "last_structure"
    m = _INEQ_BEFORE.search(t, max(0, s - 60), s)
    if m is not None:
        return (t[m.start() : e]).replace("$", "").strip(), "last_structure"
    span = _math_span(t, s, e)
    value = _span_answer(span) if span is not None else None
    if value is not None and value != found.group(0):
        return value, "last_math"
    return found.group(0), "last_number"
