"""Text normalisation for contamination checks.

`normalize` folds Unicode (NFKC), case and every run of characters that is not a letter or digit
to one space, so "Janet’s ducks lay 16 eggs per day." and "janet s ducks lay 16 eggs per day"
compare equal. Words are the space-separated tokens of the normalised text.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", folded).strip()


def words(text: str) -> list[str]:
    norm = normalize(text)
    return norm.split(" ") if norm else []


def word_ngrams(tokens: list[str], n: int) -> set[str]:
    """The distinct word n-grams of `tokens`, each joined by one space."""
    if n <= 0 or len(tokens) < n:
        return set()
    return {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
