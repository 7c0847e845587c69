"""Match training problems against eval items.

Two tests, per (training problem, eval item):
- exact: the normalised texts are equal (score 1.0);
- ngram: coverage = the share of the eval item's distinct word n-grams (n = 8, or the item's
  length when it has fewer words) that occur in the training problem. Flagged at coverage >=
  threshold (0.5 by default).

`EvalIndex` holds an inverted index from n-gram to the eval items that contain it, so a training
problem costs one dict look-up per n-gram it has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from mathpref.decontam.text import normalize, word_ngrams, words

DEFAULT_N = 8
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Hit:
    item: int  # row of the eval table
    match: str  # exact | ngram
    score: float
    n: int  # the n-gram size used for this item


class EvalIndex:
    def __init__(
        self, eval_table: pa.Table, *, n: int = DEFAULT_N, threshold: float = DEFAULT_THRESHOLD
    ):
        if n < 1:
            raise ValueError(f"n-gram size must be >= 1, got {n}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.table, self.n, self.threshold = eval_table, n, threshold
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.grams: dict[str, list[int]] = defaultdict(list)
        self.total: list[int] = []
        self.size: list[int] = []
        for i, q in enumerate(eval_table["question"].to_pylist()):
            toks = words(q)
            self.exact[" ".join(toks)].append(i)
            size = min(n, len(toks))
            grams = word_ngrams(toks, size) if size else set()
            self.size.append(size)
            self.total.append(len(grams))
            for g in grams:
                self.grams[g].append(i)
        self.sizes = sorted({s for s in self.size if s})

    def hits(self, question: str) -> list[Hit]:
        toks = words(question)
        out: dict[int, Hit] = {}
        for i in self.exact.get(" ".join(toks), ()):
            out[i] = Hit(i, "exact", 1.0, self.size[i])
        counts: dict[int, int] = defaultdict(int)
        for size in self.sizes:
            for g in word_ngrams(toks, size):
                for i in self.grams.get(g, ()):
                    if self.size[i] == size:
                        counts[i] += 1
        for i, c in counts.items():
            if i in out:
                continue
            score = c / self.total[i]
            if score >= self.threshold - 1e-12:
                out[i] = Hit(i, "ngram", score, self.size[i])
        return sorted(out.values(), key=lambda h: (-h.score, h.item))


CONTAMINATION_COLUMNS = (
    "problem_id",
    "source",
    "question",
    "eval_set",
    "eval_item_id",
    "eval_index",
    "eval_question",
    "match",
    "score",
    "ngram_size",
    "threshold",
)


def find_contamination(
    problems: pa.Table,
    eval_tables: Iterable[pa.Table],
    *,
    n: int = DEFAULT_N,
    threshold: float = DEFAULT_THRESHOLD,
    progress=None,
) -> pa.Table:
    """Every (problem, eval item) match, as rows of the `contamination` kind (no sorting)."""
    pids = problems["problem_id"].to_pylist()
    sources = (
        problems["source"].to_pylist() if "source" in problems.column_names else [None] * len(pids)
    )
    questions = problems["question"].to_pylist()
    rows: dict[str, list] = {c: [] for c in CONTAMINATION_COLUMNS}
    for table in eval_tables:
        index = EvalIndex(table, n=n, threshold=threshold)
        e_set = table["eval_set"].to_pylist()
        e_id = table["item_id"].to_pylist()
        e_idx = table["index"].to_pylist()
        e_q = table["question"].to_pylist()
        for pid, src, q in zip(pids, sources, questions, strict=True):
            for h in index.hits(q):
                for key, value in (
                    ("problem_id", pid),
                    ("source", src),
                    ("question", q),
                    ("eval_set", e_set[h.item]),
                    ("eval_item_id", e_id[h.item]),
                    ("eval_index", e_idx[h.item]),
                    ("eval_question", e_q[h.item]),
                    ("match", h.match),
                    ("score", h.score),
                    ("ngram_size", h.n),
                    ("threshold", threshold),
                ):
                    rows[key].append(value)
        if progress is not None:
            progress(1)
    return pa.table(rows) if rows["problem_id"] else None


def flagged_summary(contamination: pa.Table | None) -> dict:
    """Counts for a card or a note: flagged problems overall and per eval set and match kind."""
    if contamination is None or contamination.num_rows == 0:
        return {"flagged_problems": 0, "matches": 0, "by_eval_set": {}}
    rows = contamination.select(["problem_id", "eval_set", "match"]).to_pylist()
    by: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for r in rows:
        by[r["eval_set"]][r["match"]].add(r["problem_id"])
        by[r["eval_set"]]["any"].add(r["problem_id"])
    return {
        "flagged_problems": len({r["problem_id"] for r in rows}),
        "matches": len(rows),
        "by_eval_set": {
            k: {m: len(v) for m, v in sorted(d.items())} for k, d in sorted(by.items())
        },
    }


__all__ = ["EvalIndex", "Hit", "find_contamination", "flagged_summary", "normalize"]
