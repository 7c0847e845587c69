"""Exact numeric reading of answer strings (the fast path).

`parse_number` turns an answer such as ``"$1,000"``, ``"18 dollars"``, ``"-\\frac{40}{153}"``,
``"12\\frac{3}{5}"``, ``"25\\%"`` or ``"1.5 \\times 10^{3}"`` into an exact
:class:`fractions.Fraction`, or returns ``None`` when the string is not a plain number.
Nothing is ever evaluated: the grammar is a handful of anchored regular expressions, and
digit counts and exponents are capped before any integer is built.
"""

from __future__ import annotations

import re
from fractions import Fraction

from mathpref.verify.commas import AUTO, comma_digits

MAX_DIGITS = 1000
MAX_EXPONENT = 1000


class NumberTooLarge(ValueError):
    """The string is numeric but beyond the digit/exponent caps."""


_WRAPPERS = (
    re.compile(r"^\$+(.*?)\$+$", re.S),
    re.compile(r"^\\\((.*)\\\)$", re.S),
    re.compile(r"^\\\[(.*)\\\]$", re.S),
    re.compile(r"^\\(?:boxed|fbox)\s*\{(.*)\}$", re.S),
    re.compile(r"^\\(?:text|textbf|mathrm|mbox|mathbf)\s*\{([^{}]*)\}$"),
    re.compile(r"^\{([^{}]*)\}$"),
)
_STRAY_BACKSLASH = re.compile(r"\\(?=\d)")
_SPACING = re.compile(r"\\[!,;: ]|\\(?:left|right|displaystyle)\b|~")
_CURRENCY = re.compile(r"^(-?)\s*(?:\\\$|\$|USD\s*|€|£)\s*")
_PERCENT = re.compile(r"\s*(?:\\%|%|\\text\{\s*%\s*\}|\s+percent)$")
_DEGREE = re.compile(r"\s*(?:\^\s*\{?\\circ\}?|°|\\circ|\\degree)$")
_UNIT_TEXT = re.compile(r"\s*\\(?:text|mbox|mathrm|textrm)\s*\{[^{}]*\}(?:\s*\^\s*\{?\d\}?)?$")
# Trailing plain words ("dollars", "cm^2", "km/h", "sq. ft"): at least two letters, set off
# by whitespace, so "5x" or "5 x" stay algebra.
_UNIT_WORDS = re.compile(r"\s+[A-Za-z][A-Za-z'.]+(?:\s*[/^]\s*[A-Za-z0-9{}]+)*(?:\s+[A-Za-z'.]+)*$")
_SCALE_WORDS = {
    "hundred": 100,
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
}
_ASSIGN = re.compile(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*")
_PLAIN = re.compile(r"^(\d+)(?:\.(\d*))?$|^\.(\d+)$")
_SCI_E = re.compile(r"^(.+?)[eE]([+-]?\d+)$")
_SCI_TIMES = re.compile(r"^(.+?)\s*(?:\\times|\\cdot|×|\*)\s*10\s*\^\s*\{?\s*([+-]?\d+)\s*\}?$")
_FRAC = re.compile(r"^\\[dt]?frac\s*(?:\{([^{}]+)\}|(\d))\s*(?:\{([^{}]+)\}|(\d))$")
_MIXED_TEX = re.compile(r"^(\d+)\s*(\\[dt]?frac.*)$")
_MIXED_PLAIN = re.compile(r"^(\d+)\s+(\d+\s*/\s*\d+)$")
_SLASH = re.compile(r"^([^/]+)/([^/]+)$")


def _unwrap(s: str) -> str:
    changed = True
    while changed:
        changed = False
        s = s.strip()
        for rx in _WRAPPERS:
            m = rx.match(s)
            if m:
                s = m.group(1)
                changed = True
    return s


def clean_numeric_text(s: str) -> str:
    """Strip wrappers, spacing macros, currency, percent, degrees, units (not scale words)."""
    s = _SPACING.sub("", s.replace("{,}", ",").replace("\\dfrac", "\\frac"))
    s = _STRAY_BACKSLASH.sub("", s)  # "\\15": a "\\$15" whose "$" was lost
    s = _unwrap(s).rstrip(" .")
    s = _unwrap(_ASSIGN.sub("", s, count=1))
    for _ in range(3):
        before = s
        s = _UNIT_TEXT.sub("", s)
        s = _PERCENT.sub("", s)
        s = _DEGREE.sub("", s)
        s = _CURRENCY.sub(r"\1", s).strip().rstrip(".")
        s = _unwrap(s)
        if s == before:
            break
    return s


def _check_digits(text: str) -> None:
    if sum(ch.isdigit() for ch in text) > MAX_DIGITS:
        raise NumberTooLarge("too_many_digits")


def _decimal(s: str, comma: str = AUTO) -> Fraction | None:
    s = s.strip()
    neg = s.startswith("-")
    if neg or s.startswith("+"):
        s = s[1:].strip()
    if "," in s:
        s = comma_digits(s, comma) or s
    m = _PLAIN.match(s)
    if not m:
        return None
    _check_digits(s)
    if m.group(3) is not None:
        value = Fraction(int(m.group(3)), 10 ** len(m.group(3)))
    else:
        frac = m.group(2) or ""
        value = Fraction(int(m.group(1) + frac), 10 ** len(frac))
    return -value if neg else value


def _scaled(base: Fraction, exponent: str) -> Fraction:
    e = int(exponent)
    if abs(e) > MAX_EXPONENT:
        raise NumberTooLarge("huge_exponent")
    return base * Fraction(10) ** e


def _atom(s: str, comma: str = AUTO) -> Fraction | None:
    """A signed decimal, optionally in scientific notation."""
    s = s.strip()
    value = _decimal(s, comma)
    if value is not None:
        return value
    for rx in (_SCI_TIMES, _SCI_E):
        m = rx.match(s)
        if m:
            base = _decimal(m.group(1), comma)
            if base is not None:
                return _scaled(base, m.group(2))
    return None


def _fraction(s: str, comma: str = AUTO) -> Fraction | None:
    m = _FRAC.match(s)
    if m:
        num = _atom(m.group(1) or m.group(2), comma)
        den = _atom(m.group(3) or m.group(4), comma)
    else:
        m = _SLASH.match(s)
        if not m:
            return None
        num, den = _atom(m.group(1), comma), _atom(m.group(2), comma)
    if num is None or den is None or den == 0:
        return None
    return num / den


def parse_number(text: str, comma: str = AUTO) -> Fraction | None:
    """Exact value of a plain numeric answer, or None. Raises NumberTooLarge past the caps.

    `comma` says how the answer's text writes comma numbers (see :mod:`.commas`); an answer that
    reads two ways raises :class:`.commas.AmbiguousNumber`.
    """
    if not text or len(text) > 4 * MAX_DIGITS:
        if text and sum(ch.isdigit() for ch in text) > MAX_DIGITS:
            raise NumberTooLarge("too_many_digits")
        return None
    s = clean_numeric_text(text)
    scale = 1
    m = _UNIT_WORDS.search(s)
    if m:
        word = m.group(0).strip().lower().rstrip(".")
        scale = _SCALE_WORDS.get(word, 1)
        if scale == 1 and word.split()[0] in _SCALE_WORDS:
            scale = _SCALE_WORDS[word.split()[0]]
        s = s[: m.start()].rstrip()
        s = clean_numeric_text(s)
    value = _read(s, comma)
    return None if value is None else value * scale


def _read(s: str, comma: str = AUTO) -> Fraction | None:
    s = s.strip()
    if not s:
        return None
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:].strip()
        if s.startswith("-") or s.startswith("+"):
            return None
    value = _atom(s, comma)
    if value is None:
        value = _fraction(s, comma)
    if value is None:
        m = _MIXED_TEX.match(s) or _MIXED_PLAIN.match(s)
        if m:
            part = _fraction(m.group(2).strip(), comma)
            if part is not None and part >= 0:
                value = int(m.group(1)) + part
    if value is None and s.startswith("{") and s.endswith("}"):
        return _read(("-" if neg else "") + s[1:-1], comma)
    if value is None:
        return None
    return -value if neg else value


def number_key(value: Fraction) -> str:
    """Canonical string for an exact number, unique per value.

    Integers as "18"; other terminating decimals as the shortest decimal "12.5", "-0.125";
    everything else as "n/d" ("1/3"). The vector path produces the same strings.
    """
    n, d = value.numerator, value.denominator
    if d == 1:
        return str(n)
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    k = max(twos, fives)
    scaled = abs(value.numerator) * 10**k // value.denominator
    digits = str(scaled).rjust(k + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-k]}.{digits[-k:]}"
