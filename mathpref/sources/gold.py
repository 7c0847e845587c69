"""Gold-answer extraction from reference solutions: GSM8K `#### N` and MATH `\\boxed{...}`."""

from __future__ import annotations

import re

_HASH = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def gsm8k_gold(solution: str) -> str | None:
    """The text after the last `####` marker, or None."""
    found = _HASH.findall(solution or "")
    return found[-1].strip() or None if found else None


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` (nested braces balanced), or None."""
    starts = [m.end() for m in _BOXED.finditer(text or "")]
    for start in reversed(starts):
        depth, i = 1, start
        while i < len(text):
            ch = text[i]
            if ch == "\\" and i + 1 < len(text):
                i += 2
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    inner = text[start:i].strip()
                    return inner or None
            i += 1
    return None


GOLD_FORMATS = ("auto", "gsm8k", "boxed", "plain")


def extract_gold(text: str | None, fmt: str) -> str | None:
    """Gold answer from an answer or solution field, per format (auto tries #### then boxed)."""
    if text is None:
        return None
    text = str(text)
    if fmt == "plain":
        return text.strip() or None
    if fmt == "gsm8k":
        return gsm8k_gold(text)
    if fmt == "boxed":
        return last_boxed(text)
    return (
        gsm8k_gold(text)
        or last_boxed(text)
        or (text.strip() if "\n" not in text.strip() and len(text) < 200 else None)
    )
