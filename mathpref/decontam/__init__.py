"""Decontamination: training problems against eval sets (exact match and word n-gram coverage)."""

from mathpref.decontam.match import DEFAULT_N, DEFAULT_THRESHOLD, EvalIndex, find_contamination
from mathpref.decontam.text import normalize, word_ngrams, words

__all__ = [
    "DEFAULT_N",
    "DEFAULT_THRESHOLD",
    "EvalIndex",
    "find_contamination",
    "normalize",
    "word_ngrams",
    "words",
]
