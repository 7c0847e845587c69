"""Decimal commas: how a completion writes its numbers, and how one comma number reads.

Groups of three digits after a comma are thousands separators (``1,234``). A comma is a decimal
mark when the integer part is 0 (``0,111`` is never 111), when the group after it is not three
digits (``3,5``, ``2,25``), or when the text writes decimal commas elsewhere. When the text
writes both (``2,5 kg`` beside ``1,234,567``), a lone ``1,234`` is ambiguous: its verdict is
``incorrect`` with reason ``ambiguous_number``. Gold answers are written by dataset authors and
use commas only as thousands separators or between list items.
"""

from __future__ import annotations

import re

# How a text writes its numbers.
AUTO = "auto"  # no evidence either way: 1,234 is a thousands number
DECIMAL = "decimal"  # decimal commas elsewhere in the text: 1,234 is 1.234
MIXED = "mixed"  # both: 1,234 is ambiguous
GOLD = "gold"  # a gold answer: commas are thousands separators (or list separators)
MODES = (AUTO, DECIMAL, MIXED, GOLD)

_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")
_DEC_EVIDENCE = re.compile(r"(?<![\d.,])(\d+),(\d+)(?![\d,]|\.\d)")
_THOUSANDS_EVIDENCE = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3}){2,}(?![\d,])|\d{1,3},\d{3}\.\d")
# A cheap over-approximation of decimal-comma evidence, for the vectorised path (no look-around).
DECIMAL_HINT_RE = r"(?:^|[^0-9,.])(?:0,[0-9]|[0-9]+,[0-9]{1,2}(?:[^0-9,]|$)|[0-9]+,[0-9]{4})"


class AmbiguousNumber(ValueError):
    """A comma number that reads two ways in its text."""


def comma_mode(text: str) -> str:
    """AUTO, DECIMAL or MIXED for a completion's text."""
    if "," not in text or not _DIGIT_COMMA_DIGIT.search(text):
        return AUTO
    decimal = False
    for m in _DEC_EVIDENCE.finditer(text):
        before = text[max(0, m.start() - 1) : m.start()]
        if before in ("(", "[", "{"):  # a tuple or interval such as (1,2)
            continue
        if m.group(1) == "0" or len(m.group(2)) != 3:
            decimal = True
            break
    if not decimal:
        return AUTO
    return MIXED if _THOUSANDS_EVIDENCE.search(text) else DECIMAL


_GROUPED = re.compile(r"^(\d{1,3})((?:,\d{3})+)(\.\d+)?$")
_ONE_COMMA = re.compile(r"^(\d+),(\d+)$")
_EURO = re.compile(r"^(\d{1,3}(?:\.\d{3})+),(\d+)$")


def comma_digits(s: str, mode: str) -> str | None:
    """The plain decimal a comma-written unsigned number stands for ("1234", "0.111"), or None
    when `s` is not such a number. Raises AmbiguousNumber when the mode leaves it open."""
    if "," not in s:
        return None
    g = _GROUPED.match(s)
    if g and not (g.group(1) == "0"):
        single = g.group(2).count(",") == 1 and g.group(3) is None
        if single and mode == DECIMAL:
            return g.group(1) + "." + g.group(2)[1:]
        if single and mode == MIXED:
            raise AmbiguousNumber("ambiguous_number")
        return g.group(1) + g.group(2).replace(",", "") + (g.group(3) or "")
    if mode == GOLD:
        return None
    m = _ONE_COMMA.match(s)
    if m:
        return m.group(1) + "." + m.group(2)
    m = _EURO.match(s)
    if m and mode in (DECIMAL, MIXED):
        return m.group(1).replace(".", "") + "." + m.group(2)
    return None
