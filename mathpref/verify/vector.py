"""Vectorised extraction and integer grading over whole columns (polars, Rust regex).

The vector path only *settles* a row when it is certain to give the same answer as
:func:`mathpref.verify.extract.extract`; every other row is flagged for the per-row path.
Settled cases: the plain last ``\\boxed{...}`` (no nested braces anywhere), the first
``#### X`` / "the answer is X", a short first ``A: X`` line, and the last number (read from
the tail of the text, see :func:`.vector_keys.last_numbers`), after the follow-up cut.
Markers are found by separate literal-prefiltered scans rather than one alternation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from mathpref.verify.boxes import CHECK_HINT_RE, PLACEHOLDER_RE
from mathpref.verify.commas import DECIMAL_HINT_RE
from mathpref.verify.cut import CUT_RE, EMPHASIS_RE, FOLLOWUP_RE, HASH_HEADING_RE
from mathpref.verify.extract import (
    ANSWER_COLON_MAX_CHARS,
    ANSWER_COLON_MAX_SPACES,
    ANSWER_COLON_RE,
    ANSWER_HEADING_RE,
    FINAL_RE,
    MARKER_RE,
    SENTENCE_END_RE,
)
from mathpref.verify.latex import DEEP_NESTING_RE
from mathpref.verify.structured import CALC_RE, STRUCTURE_HINT_RE
from mathpref.verify.vector_keys import NUM_RE, last_numbers, number_keys, numeric_judge

_ANY_BOX = r"\\(?:boxed|fbox)"
# A box with at most one inner brace level (\boxed{\frac{1}{9}}); deeper boxes go per-row.
_SIMPLE_BOX = r"\\boxed\{(?:[^{}]|\{[^{}]*\})*\}"
# "The final answer is $\boxed{X}$" (or a bare box): its one box, with no `$` inside.
_FINAL_BOX = FINAL_RE + r"(\$?)\\boxed\{((?:[^{}$]|\{[^{}$]*\})*)\}(\$?)"


def _clean(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace(SENTENCE_END_RE, "")
        .str.strip_chars()
        .str.strip_chars_end(".")
        .str.strip_chars()
    )


# Two adjacent openers (or an opener then a macro) stand in for DEEP_NESTING_RE here; the
# full check runs on the special rows only.
_NESTING_HINT = r"[{(\[][{(\[\\]"
SPECIAL_RE = (
    r"\\boxed|\\fbox|(?i:final answer)|"
    + FOLLOWUP_RE
    + "|"
    + _NESTING_HINT
    + "|"
    + ANSWER_HEADING_RE
)


# Rows the vector path never settles: continuation markers, `#### Heading` lines, emphasis and
# decimal-comma evidence go to the per-row extractor. A check word matters only beside a box, a
# "final answer" or an `Answer:` line (a plain row's first marker precedes any check segment
# that could drop it), so only those rows with one go per-row too.
HARD_RE = "|".join([CUT_RE, HASH_HEADING_RE, EMPHASIS_RE, DECIMAL_HINT_RE])


# Each half of MARKER_RE starts with a literal that a prefilter finds fast, so the halves are
# scanned separately: the one that starts first wins, as in one leftmost search of MARKER_RE
# (they never start at the same offset). The answer-colon line counts only without a marker.
_HASH_RE, _IS_RE = MARKER_RE.split("|", 1)
_IS_HEAD = "(?i:the answer is)"
assert _HASH_RE.startswith("####") and _IS_RE.startswith(_IS_HEAD)


def _settle_plain(c: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows with no box, no "final answer is" and no follow-up block."""
    m = pl.DataFrame({"c": c}).select(
        h=pl.col("c").str.extract(_HASH_RE, 1), i=pl.col("c").str.extract(_IS_RE, 1)
    )
    both = (m["h"].is_not_null() & m["i"].is_not_null()).arg_true()
    hash_first = pl.repeat(None, len(c), dtype=pl.Boolean, eager=True)
    if len(both):
        sub = c.gather(both)
        hash_first = hash_first.scatter(
            both, sub.str.find("####", literal=True) < sub.str.find(_IS_HEAD)
        )
    is_h = pl.col("h").is_not_null() & (pl.col("i").is_null() | pl.col("hf"))
    out = m.with_columns(hf=hash_first).select(
        answer=_clean(pl.when(is_h).then(pl.col("h")).otherwise(pl.col("i"))),
        rule=pl.when(is_h)
        .then(pl.lit("hash"))
        .when(pl.col("i").is_not_null())
        .then(pl.lit("the_answer_is")),
    )
    answer = out["answer"]
    answer = answer.set((answer.str.len_chars() == 0).fill_null(False), None)
    rule = out["rule"].set(answer.is_null(), None)
    none = (m["h"].is_null() & m["i"].is_null()).arg_true()
    if len(none):
        a, r = _colon_or_last_number(c.gather(none))
        answer, rule = answer.scatter(none, a), rule.scatter(none, r)
    return answer, rule


def _colon_or_last_number(c: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows without a marker: a short first answer-colon line, else the last number."""
    v = pl.DataFrame({"a": c.str.extract(ANSWER_COLON_RE, 1)}).select(a=_clean(pl.col("a")))["a"]
    ok = (
        (v.str.len_chars() > 0)
        & (v.str.len_chars() <= ANSWER_COLON_MAX_CHARS)
        & (v.str.count_matches(" ", literal=True) <= ANSWER_COLON_MAX_SPACES)
    ).fill_null(False)
    answer = v.set(~ok, None)
    rule = pl.repeat(None, len(c), dtype=pl.String, eager=True).set(ok, "answer_colon")
    rest = (~ok).arg_true()
    if len(rest):
        sub = c.gather(rest)
        last = last_numbers(sub)
        # A number that may be part of a tuple, interval or inequality: per-row.
        last = last.set(
            sub.str.replace_all(CALC_RE, " ").str.contains(STRUCTURE_HINT_RE).fill_null(True),
            None,
        )
        answer = answer.scatter(rest, last)
        rule = rule.scatter(
            rest, pl.repeat("last_number", len(rest), eager=True).set(last.is_null(), None)
        )
    return answer, rule


def _settle_special(c: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows with a box / "final answer is" / follow-up: only the plain last box is settled."""
    t = c
    hard = pl.repeat(False, len(c), eager=True)
    cut = c.str.contains(FOLLOWUP_RE).fill_null(False).arg_true()
    if len(cut):
        prefix = c.gather(cut).str.extract(r"(?s)^(.*?)" + FOLLOWUP_RE, 1)
        t = c.scatter(cut, prefix)
        hard = hard.scatter(cut, ~prefix.str.contains(r"\S").fill_null(False))
    hard = hard | c.str.contains(DEEP_NESTING_RE).fill_null(True)
    hard = hard | c.str.contains(ANSWER_HEADING_RE).fill_null(True)  # per-row rule
    hard = hard | c.str.contains("####", literal=True).fill_null(True)  # a #### line ends it
    final = t.str.contains(r"(?i)final answer").fill_null(True)
    easy = ~hard & ~final
    n_box = t.str.count_matches(_ANY_BOX)
    box = t.str.extract_all(_SIMPLE_BOX).list.last().str.slice(7).str.strip_suffix("}")
    box = box.str.strip_chars()
    boxed_ok = (
        easy
        & (n_box == 1)  # several boxes: placeholders, check values or a set (per-row)
        & (t.str.count_matches(_SIMPLE_BOX) == 1)
        & ~box.str.contains(PLACEHOLDER_RE).fill_null(True)
        & (box.str.len_chars() > 0)
        & (box.str.len_chars() < 1000)  # longer boxes: per-row (bounded scan window there)
    ).fill_null(False)
    answer = box.set(~boxed_ok, None)
    rule = pl.repeat(None, len(c), dtype=pl.String, eager=True).set(boxed_ok, "boxed")
    idx = (easy & (n_box == 0)).fill_null(False).arg_true()
    if len(idx):
        a, r = _settle_plain(t.gather(idx))
        answer, rule = answer.scatter(idx, a), rule.scatter(idx, r)
    idx = (~hard & final & (n_box == 1)).fill_null(False).arg_true()
    if len(idx):
        a = _final_box(t.gather(idx))
        answer = answer.scatter(idx, a)
        rule = rule.scatter(
            idx, pl.repeat("final_answer", len(idx), eager=True).set(a.is_null(), None)
        )
    return answer, rule.set(answer.is_null(), None)


def _final_box(t: pl.Series) -> pl.Series:
    """Rows with one box and a "final answer": settled when the one "final answer" phrase is
    "final answer is" followed by that box, bare or alone between single dollars (the
    `final_answer` rule then reads the box's content)."""
    m = (
        pl.DataFrame({"t": t})
        .select(
            g=pl.col("t").str.extract_groups(_FINAL_BOX),  # one scan for the three groups
            phrases=pl.col("t").str.count_matches(r"(?i)final answer"),
            simple=pl.col("t").str.count_matches(_SIMPLE_BOX),
        )
        .unnest("g")
        .rename({"1": "open", "2": "box", "3": "close"})
        .with_columns(pl.col("box").str.strip_chars())
    )
    ok = (
        (m["phrases"] == 1)
        & (m["simple"] == 1)
        & (m["open"] == m["close"])  # `$\boxed{X}$` or `\boxed{X}`, not `$\boxed{X}`
        & (m["box"].str.len_chars() > 0)
        & (m["box"].str.len_chars() < 1000)
    ).fill_null(False)
    return m["box"].set(~ok, None)


# An answer candidate followed, anywhere later, by a check word (scoped flags only: polars).
_CHECK_AFTER_ANSWER_RE = (
    r"(?:\\boxed|\\fbox|(?i:final answer)|####|(?i:the answer is)"
    r"|(?m:^[ \t]*(?:(?i:final)[ \t]+)?(?:Answer|answer|A)[ \t]*:))"
    r"[\s\S]*(?i:check|verif|substitut|plug)"
)


def _check_after_answer(c: pl.Series) -> pl.Series:
    """True where a check word follows the first answer candidate (a check segment there could
    drop a later candidate: per-row)."""
    return c.str.contains(_CHECK_AFTER_ANSWER_RE).fill_null(True)


def extract_frame(completions: pl.Series) -> pl.DataFrame:
    """Columns: answer, rule (null where not settled), settled (bool)."""
    c = completions.cast(pl.String).rename("c")
    special = c.str.contains(SPECIAL_RE).fill_null(True)
    check = c.str.contains(CHECK_HINT_RE).fill_null(True)
    hard = c.str.contains(HARD_RE).fill_null(True)
    if check.any():
        colon = c.str.contains(ANSWER_COLON_RE).fill_null(True)
        hard = hard | (check & ~special & colon)
        idx = (check & special & ~hard).arg_true()
        if len(idx):
            hard = hard.scatter(idx, _check_after_answer(c.gather(idx)))
    special = special & ~hard
    plain_idx = (~special & ~hard).arg_true()
    special_idx = special.arg_true()
    answer = pl.repeat(None, len(c), dtype=pl.String, eager=True).rename("answer")
    rule = answer.rename("rule")
    for idx, fn in ((plain_idx, _settle_plain), (special_idx, _settle_special)):
        if len(idx) == len(c):
            answer, rule = fn(c)
        elif len(idx):
            a, r = fn(c.gather(idx))
            answer, rule = answer.scatter(idx, a), rule.scatter(idx, r)
    answer = answer.set(c.is_null(), None)
    return pl.DataFrame(
        {
            "answer": answer,
            "rule": rule.set(answer.is_null(), None),
            "settled": answer.is_not_null(),
        }
    )


def _stage(golds: pl.Series, completions: pl.Series) -> pl.DataFrame:
    ex = extract_frame(completions)
    ints = numeric_judge(golds, ex["answer"])
    fast = (ex["settled"] & ints["ok"].is_not_null()).fill_null(False)
    return ex.with_columns(ok=ints["ok"], key=ints["key"], fast=fast)


def vector_stage(golds: pl.Series, completions: pl.Series, threads: int = 1) -> pl.DataFrame:
    """extract_frame + numeric_judge; columns answer, rule, settled, ok, key, fast.

    Rows are independent, so large inputs are split into ``threads`` slices graded in parallel
    (polars releases the GIL).
    """
    n = len(completions)
    k = max(1, min(threads, n // 20_000))
    if k == 1:
        return _stage(golds, completions)
    step = -(-n // k)
    parts = [(golds.slice(i, step), completions.slice(i, step)) for i in range(0, n, step)]
    with ThreadPoolExecutor(len(parts)) as ex:
        return pl.concat(list(ex.map(lambda p: _stage(*p), parts)), rechunk=False)


__all__ = ["NUM_RE", "SPECIAL_RE", "extract_frame", "number_keys", "numeric_judge", "vector_stage"]
