"""Vectorised extraction and integer grading over whole columns (polars, Rust regex).

The vector path only *settles* a row when it is certain to give the same answer as
:func:`mathpref.verify.extract.extract`; every other row is flagged for the per-row path.
Settled cases: the plain last ``\\boxed{...}`` (no nested braces anywhere), and the first
``#### X`` / "the answer is X" / short ``A: X`` line, after the follow-up cut.
"""

from __future__ import annotations

import polars as pl

from mathpref.verify.extract import (
    ANSWER_COLON_MAX_CHARS,
    ANSWER_COLON_MAX_SPACES,
    ANSWER_COLON_RE,
    FOLLOWUP_RE,
    MARKER_RE,
    SENTENCE_END_RE,
)

_ANY_BOX = r"\\(?:boxed|fbox)"
_SIMPLE_BOX = r"\\boxed\{[^{}]*\}"
# Integers that parse_number reads exactly the same way: optional $ / \$, sign, digits or
# comma-grouped digits, at most 15 digits so they fit Int64.
INT_RE = r"^(?:\\?\$)?-?(?:[0-9]{1,3}(?:,[0-9]{3}){1,4}|[0-9]{1,15})$"


def _clean(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace(SENTENCE_END_RE, "")
        .str.strip_chars()
        .str.strip_chars_end(".")
        .str.strip_chars()
    )


def _as_int(expr: pl.Expr) -> pl.Expr:
    digits = expr.str.replace_all(r"[$,\\]", "")
    return pl.when(expr.str.contains(INT_RE)).then(digits.cast(pl.Int64, strict=False))


SPECIAL_RE = r"\\boxed|\\fbox|(?i:final answer is)|" + FOLLOWUP_RE


# One pass finds the earliest of: marker (groups 1-2) or an answer-colon line (group 3).
# A colon line only counts when the text has no marker at all (checked on those rows only).
_COMBINED_RE = "(?m)" + MARKER_RE + r"|^[ \t]*(?:Answer|A)[ \t]*:[ \t]*([^\n]*)"


def _settle_plain(c: pl.Series, colon: bool = True) -> tuple[pl.Series, pl.Series]:
    """Rows with no box, no "final answer is" and no follow-up block."""
    m = pl.DataFrame({"m": c.str.extract_groups(_COMBINED_RE)}).unnest("m")
    m = m.rename(dict(zip(m.columns, ["h", "i", "a"], strict=True)))
    first_colon = m["a"].is_not_null().arg_true()
    later_marker = pl.Series("later", [False] * len(c))
    if len(first_colon) and colon:
        sub = c if 2 * len(first_colon) > len(c) else c.gather(first_colon)
        found = sub.str.contains(MARKER_RE)
        found = found.gather(first_colon) if sub is c else found
        later_marker = later_marker.scatter(first_colon, found)
    m = m.with_columns(later=later_marker)
    colon_val = _clean(pl.col("a"))
    colon_ok = (
        pl.col("a").is_not_null()
        & (colon_val.str.len_chars() > 0)
        & (colon_val.str.len_chars() <= ANSWER_COLON_MAX_CHARS)
        & (colon_val.str.count_matches(" ", literal=True) <= ANSWER_COLON_MAX_SPACES)
        & ~pl.col("later")
    )
    out = m.select(
        answer=pl.when(pl.col("h").is_not_null() | pl.col("i").is_not_null())
        .then(_clean(pl.coalesce(pl.col("h"), pl.col("i"))))
        .when(colon_ok & pl.lit(colon))
        .then(colon_val),
        rule=pl.when(pl.col("h").is_not_null())
        .then(pl.lit("hash"))
        .when(pl.col("i").is_not_null())
        .then(pl.lit("the_answer_is"))
        .otherwise(pl.lit("answer_colon")),
    )
    answer = out["answer"]
    answer = answer.set((answer.str.len_chars() == 0).fill_null(False), None)
    return answer, out["rule"].set(answer.is_null(), None)


def _settle_special(c: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows with a box / "final answer is" / follow-up: only the plain last box is settled."""
    t = c
    hard = pl.Series([False] * len(c))
    cut = c.str.contains(FOLLOWUP_RE).fill_null(False).arg_true()
    if len(cut):
        prefix = c.gather(cut).str.extract(r"(?s)^(.*?)" + FOLLOWUP_RE, 1)
        t = c.scatter(cut, prefix)
        hard = hard.scatter(cut, ~prefix.str.contains(r"\S").fill_null(False))
    easy = ~hard & ~t.str.contains(r"(?i)final answer is").fill_null(True)
    n_box = t.str.count_matches(_ANY_BOX)
    box = t.str.extract_all(_SIMPLE_BOX).list.last().str.slice(7).str.strip_suffix("}")
    box = box.str.strip_chars()
    boxed_ok = (
        easy & (n_box > 0) & (n_box == t.str.count_matches(_SIMPLE_BOX)) & (box.str.len_chars() > 0)
    ).fill_null(False)
    answer = box.set(~boxed_ok, None)
    rule = pl.Series([None] * len(c), dtype=pl.String).set(boxed_ok, "boxed")
    idx = (easy & (n_box == 0)).fill_null(False).arg_true()
    if len(idx):
        a, r = _settle_plain(t.gather(idx), colon=False)
        answer, rule = answer.scatter(idx, a), rule.scatter(idx, r)
    return answer, rule.set(answer.is_null(), None)


def extract_frame(completions: pl.Series) -> pl.DataFrame:
    """Columns: answer, rule (null where not settled), settled (bool)."""
    c = completions.cast(pl.String).rename("c")
    special = c.str.contains(SPECIAL_RE).fill_null(True)
    plain_idx = (~special).arg_true()
    special_idx = special.arg_true()
    answer = pl.Series("answer", [None] * len(c), dtype=pl.String)
    rule = pl.Series("rule", [None] * len(c), dtype=pl.String)
    for idx, fn in ((plain_idx, _settle_plain), (special_idx, _settle_special)):
        if len(idx) == len(c):
            answer, rule = fn(c)
        elif len(idx):
            a, r = fn(c.gather(idx))
            answer, rule = answer.scatter(idx, a), rule.scatter(idx, r)
    answer = answer.set(c.is_null(), None)
    return pl.DataFrame(
        {"answer": answer, "rule": rule.set(answer.is_null(), None), "settled": answer.is_not_null()}
    )


def int_judge(golds: pl.Series, answers: pl.Series) -> pl.DataFrame:
    """Exact integer comparison where both sides are plain integers (else nulls)."""
    df = pl.DataFrame({"g": golds.cast(pl.String), "a": answers.cast(pl.String)})
    return df.select(
        g_int=_as_int(pl.col("g").str.strip_chars()),
        a_int=_as_int(pl.col("a")),
    ).with_columns(
        ok=pl.col("g_int") == pl.col("a_int"),
        key=pl.col("a_int").cast(pl.String),
    )
