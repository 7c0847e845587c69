"""LaTeX helpers: balanced ``\\boxed{}`` scanning, answer normalisation, hostile-input guard."""

from __future__ import annotations

import re

MAX_ANSWER_CHARS = 1000
MAX_NESTING = 30
MAX_SQRT = 20

# 50 opening brackets in a row (optionally each behind a macro such as \\sqrt or \\frac): no
# real solution looks like that; such completions are rejected before any extraction.
DEEP_NESTING_RE = r"(?:[{(\[]\s*(?:\\[A-Za-z]+\s*)?){50}"
DEEP_NESTING = re.compile(DEEP_NESTING_RE)
_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*")


_BRACE = re.compile(r"[{}]")
_BARE_TOKEN = re.compile(r"[^\s$.,;]+")
MAX_BOX_SCAN = 4000
MAX_BOX_TRIES = 50


def _box_span(text: str, m: re.Match) -> tuple[int, str] | None:
    """(end offset, content) of the box whose macro `m` matched, or None if unterminated."""
    i = m.end()
    if i < len(text) and text[i] == "{":
        depth = 0
        for b in _BRACE.finditer(text, i, min(len(text), i + MAX_BOX_SCAN)):
            if b.group() == "{":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return b.end(), text[i + 1 : b.start()]
        return None
    if m.group(0)[-1:].isspace():  # brace-less "\\boxed 5"
        tok = _BARE_TOKEN.match(text, i, min(len(text), i + 200))
        return (tok.end(), tok.group(0)) if tok else None
    return None


def _box_at(text: str, m: re.Match) -> str | None:
    span = _box_span(text, m)
    return None if span is None else span[1]


def box_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every complete box among the last MAX_BOX_TRIES box macros."""
    out = []
    for m in list(_BOX_START.finditer(text))[-MAX_BOX_TRIES:]:
        span = _box_span(text, m)
        if span is not None:
            out.append((m.start(), span[0], span[1]))
    return out


def last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces), or None.

    Also accepts the brace-less ``\\boxed 5`` form; unterminated boxes are skipped. Bounded
    work: at most MAX_BOX_TRIES boxes from the end, each scanned over MAX_BOX_SCAN chars.
    """
    starts = list(_BOX_START.finditer(text))
    for m in reversed(starts[-MAX_BOX_TRIES:]):
        found = _box_at(text, m)
        if found is not None:
            return found
    return None


_TEXT_WRAP = re.compile(r"^\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}$")
_SPACES = re.compile(r"\s+")
_CHOICE = re.compile(r"^\(?([A-Ea-e])\)?$")


def normalize_latex(s: str) -> str:
    """Conservative canonical form used for answer keys and exact-string equality.

    Removes math delimiters, spacing macros and whitespace, ``\\left``/``\\right``,
    unifies ``\\dfrac``/``\\tfrac`` to ``\\frac`` and reads a bare multiple-choice letter
    (``(B)``) as ``B``. It does not unwrap ``\\text{}`` inside larger answers, so answers that
    differ only in prose stay different here and are left to math-verify.
    """
    s = s.strip()
    for _ in range(3):
        before = s
        s = re.sub(r"^\$+|\$+$", "", s).strip()
        s = re.sub(r"^\\\(|\\\)$|^\\\[|\\\]$", "", s).strip()
        m = re.match(r"^\\(?:boxed|fbox)\{(.*)\}$", s, re.S)
        if m:
            s = m.group(1).strip()
        s = s.rstrip(".").strip()
        if s == before:
            break
    s = re.sub(r"\\[!,;: ]|~|\\(?:left|right|displaystyle)\b", "", s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("{,}", ",")
    s = _SPACES.sub("", s)
    m = _TEXT_WRAP.match(s)
    if m and _CHOICE.match(m.group(1)):
        s = m.group(1)
    m = _CHOICE.match(s)
    if m:
        s = m.group(1).upper()
    return s


_NUMERIC_TOWER = re.compile(r"(?:\^|\*\*)\s*\{?\s*[\d.(+-]*\s*\{?\s*\d+\s*\}?\s*(?:\^|\*\*)")
_BIG_POWER = re.compile(r"(?:\^|\*\*)\s*\{?\s*\(?\s*(\d{5,})")
_FACTORIAL = re.compile(r"(?<!\d)(\d{4,})\s*!")
_CODE = re.compile(r"__|\bimport\b|\blambda\b|\beval\b|\bexec\b|\bos\.|\bsubprocess\b")


_LONG_DIGITS = re.compile(r"\d{301}")


def _max_depth(s: str) -> int:
    depth = best = 0
    for ch in s:
        if ch in "{([":
            depth += 1
            best = max(best, depth)
        elif ch in "})]":
            depth -= 1
    return best


def hostile_reason(s: str) -> str | None:
    """Cheap pre-filter for answers that must never reach a symbolic engine.

    Returns a short reason ("too_long", "nesting_too_deep", "power_tower", ...) or None.
    """
    if len(s) > MAX_ANSWER_CHARS:
        return "too_long"
    if _CODE.search(s):
        return "code_like"
    if sum(s.count(ch) for ch in "{([") > MAX_NESTING and _max_depth(s) > MAX_NESTING:
        return "nesting_too_deep"
    if s.count("\\sqrt") > MAX_SQRT:
        return "too_many_radicals"
    if _NUMERIC_TOWER.search(s):
        return "power_tower"
    if _BIG_POWER.search(s) or ("!" in s and _FACTORIAL.search(s)):
        return "huge_power"
    if _LONG_DIGITS.search(s):
        return "too_many_digits"
    return None
