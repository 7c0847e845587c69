"""`grade_batch`: grade a whole column of completions.

Stages: (0) with ``dedupe``, identical (gold, completion) rows are graded once and the
verdicts mapped back by index; (1) vectorised extraction and integer grading in polars;
(2) per-row Python extraction for rows the vector path cannot settle; (3) de-duplication of
(gold, answer) pairs; (4) local numeric/string decisions; (5) math-verify in worker
processes for the rest (the pool is only touched when such rows exist).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl
import pyarrow as pa

from mathpref.verify.commas import AUTO
from mathpref.verify.extract import extract
from mathpref.verify.grade import judge_locally
from mathpref.verify.latex import DEEP_NESTING
from mathpref.verify.pool import VerifyPool, shared_pool
from mathpref.verify.vector import vector_stage

# Deduplicate only when at least 1 row in MIN_DUPLICATE_SHARE repeats an earlier one.
MIN_DUPLICATE_SHARE = 50
COLUMNS = ("status", "extracted_answer", "answer_key", "extraction_rule", "decided_by", "reason")


def _series(values, name: str) -> pl.Series:
    if isinstance(values, pl.Series):
        return values.cast(pl.String).rename(name)
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return pl.Series(name, values).cast(pl.String)
    return pl.Series(name, list(values), dtype=pl.String)


def _pair_hash(g: pl.Series, c: pl.Series) -> pl.Series:
    return pl.DataFrame({"g": g, "c": c}).select(h=pl.col("g").hash(11) ^ pl.col("c").hash(29))["h"]


def unique_pairs(g: pl.Series, c: pl.Series) -> tuple[pl.Series, pl.Series] | None:
    """(first, inverse) for identical (gold, completion) rows, or None when all are distinct.

    ``first`` holds the index of each distinct pair's first row, ``inverse`` maps every row to
    its position in ``first``. Pairs are grouped by a 64-bit hash and then checked exactly
    (each row equals its representative), so a hash collision only costs the saving.
    """
    h = _pair_hash(g, c)
    if (len(h) - h.n_unique()) * MIN_DUPLICATE_SHARE < len(h):
        return None  # (almost) all distinct: the gathers would cost more than they save
    first = h.arg_unique()
    inverse = (h.rank("dense") - 1).cast(pl.UInt32)  # dense id in hash order
    first = pl.zeros(len(first), pl.UInt32, eager=True).scatter(inverse.gather(first), first)
    rep = first.gather(inverse)
    dup = (rep != pl.arange(len(h), eager=True, dtype=pl.UInt32)).arg_true()
    gd, cd, rd = g.gather(dup), c.gather(dup), rep.gather(dup)
    if not (g.gather(rd).eq_missing(gd).all() and c.gather(rd).eq_missing(cd).all()):
        return None
    return first, inverse


def grade_batch(
    golds: Sequence[str | None] | pa.Array | pa.ChunkedArray,
    completions: Sequence[str | None] | pa.Array | pa.ChunkedArray,
    *,
    timeout: float = 5.0,
    workers: int | None = None,
    dedupe: bool = True,
    progress: Callable[[int], None] | None = None,
    pool: VerifyPool | None = None,
) -> pa.Table:
    """One verdict row per input row, in input order (see COLUMNS; all nullable strings).

    ``workers`` sizes a private pool for this call (default: the shared pool, one worker per
    core). ``pool`` passes an existing VerifyPool (tests, long-running stages).
    """
    g = _series(golds, "g")
    c = _series(completions, "c")
    if len(g) != len(c):
        raise ValueError(f"golds ({len(g)}) and completions ({len(c)}) differ in length")
    if len(c) == 0:
        return pa.table({name: pa.array([], pa.string()) for name in COLUMNS})
    opts = {"timeout": timeout, "workers": workers, "dedupe": dedupe, "pool": pool}
    groups = unique_pairs(g, c) if dedupe else None
    if groups is None:
        return _grade_rows(g, c, progress=progress, **opts)
    first, inverse = groups
    counts = inverse.rename("j").value_counts(sort=False, name="n").sort("j")["n"]
    table = _grade_rows(g.gather(first), c.gather(first), progress=progress, weights=counts, **opts)
    return table.take(inverse.to_arrow())


def _grade_rows(g, c, *, progress, weights=None, **opts) -> pa.Table:
    st = vector_stage(g, c, threads=pl.thread_pool_size())
    fast = st["fast"]
    out = st.select(
        status=pl.when(pl.col("fast")).then(
            pl.when(pl.col("ok")).then(pl.lit("correct")).otherwise(pl.lit("incorrect"))
        ),
        extracted_answer=pl.when(pl.col("fast")).then(pl.col("answer")),
        answer_key=pl.when(pl.col("fast")).then(pl.col("key")),
        extraction_rule=pl.when(pl.col("fast")).then(pl.col("rule")),
        decided_by=pl.when(pl.col("fast")).then(pl.lit("numeric")),
        reason=pl.when(pl.col("fast")).then(
            pl.when(pl.col("ok"))
            .then(pl.lit("numeric_equal"))
            .otherwise(pl.lit("numeric_mismatch"))
        ),
    )
    w = weights if weights is not None else pl.repeat(1, len(c), eager=True)
    done = int(w.filter(fast).sum())
    if progress is not None and done:
        progress(done)
    slow_idx = (~fast).arg_true()
    if len(slow_idx):
        slow_w = w.gather(slow_idx).cum_sum().to_list()
        rows = _slow_path(
            g.gather(slow_idx).to_list(),
            c.gather(slow_idx).to_list(),
            st["answer"].gather(slow_idx).to_list(),
            st["rule"].gather(slow_idx).to_list(),
            st["settled"].gather(slow_idx).to_list(),
            progress=(lambda k: progress(done + (slow_w[k - 1] if k else 0)))
            if progress is not None
            else None,
            **opts,
        )
        updates = {
            name: out[name].scatter(slow_idx, col) for name, col in zip(COLUMNS, rows, strict=True)
        }
        out = out.with_columns(**updates)
    table = out.to_arrow(compat_level=pl.CompatLevel.oldest())
    return pa.table({name: table.column(name).cast(pa.string()) for name in COLUMNS})


def _slow_path(
    golds, completions, answers, rules, settled, *, timeout, workers, dedupe, pool, progress
):
    m = len(completions)
    local: dict[int, tuple] = {}
    commas = [AUTO] * m  # vector-settled rows have no decimal-comma evidence
    for i in range(m):
        if not settled[i]:
            if completions[i] and DEEP_NESTING.search(completions[i]):
                local[i] = ("incorrect", "none", "rejected:nesting_too_deep", None)
                answers[i] = rules[i] = None
                continue
            e = extract(completions[i])
            answers[i], rules[i], commas[i] = e.answer, e.rule, e.comma
    pending: dict[tuple[str, str], list[int]] = {}
    seen: dict[tuple, tuple] = {}
    for i in range(m):
        if i in local:
            continue
        pair = (golds[i], answers[i], commas[i])
        if dedupe and pair in seen:
            local[i] = seen[pair]
            if pair in pending:
                pending[pair].append(i)
            continue
        decision, key = judge_locally(golds[i], answers[i], commas[i])
        if decision is None:
            pending.setdefault(pair if dedupe else (golds[i], answers[i], i), []).append(i)
            decision = ("pending", None, None, key)
        if dedupe:
            seen[pair] = decision
        local[i] = decision
    if progress is not None:
        progress(m - sum(len(v) for v in pending.values()))
    if pending:
        keys = list(pending)
        pairs = [(k[0], k[1]) for k in keys]
        if pool is None and workers:
            with VerifyPool(workers) as own:
                results = own.run(pairs, timeout=timeout)
        else:
            results = (pool or shared_pool()).run(pairs, timeout=timeout)
        for k, (status, decided_by, reason) in zip(keys, results, strict=True):
            for i in pending[k]:
                local[i] = (status, decided_by, reason, local[i][3])
        if progress is not None:
            progress(m)
    status = [local[i][0] for i in range(m)]
    decided = [local[i][1] for i in range(m)]
    reason = [local[i][2] for i in range(m)]
    key = [local[i][3] for i in range(m)]
    return (
        pl.Series(status, dtype=pl.String),
        pl.Series(answers, dtype=pl.String),
        pl.Series(key, dtype=pl.String),
        pl.Series(rules, dtype=pl.String),
        pl.Series(decided, dtype=pl.String),
        pl.Series(reason, dtype=pl.String),
    )
