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
    FOLLOWUP_RE,
    MARKER_RE,
    SENTENCE_END_RE,
)
from mathpref.verify.latex import DEEP_NESTING_RE

_ANY_BOX = r"\\(?:boxed|fbox)"
# A box with at most one inner brace level (\boxed{\frac{1}{9}}); deeper boxes go per-row.
_SIMPLE_BOX = r"\\boxed\{(?:[^{}]|\{[^{}]*\})*\}"
# Plain decimals that parse_number reads the same way: optional $ or \$, sign, digits (or
# comma-grouped digits), optional fraction, optional one lowercase unit word ("18 dollars").
NUM_RE = (
    r"^(?:\\?\$)?(-?)(?:([0-9]{1,3}(?:,[0-9]{3})+)|([0-9]{1,30}))?(?:\.([0-9]{1,30}))?"
    r"(?: ([a-z]{2,20}))?$"
)
_SCALE_WORDS = ["hundred", "thousand", "million", "billion", "trillion"]
_NUMBER_RE = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?"
_CALC_RE = r"<<[^<>\n]{0,200}>>"


def _clean(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.replace(SENTENCE_END_RE, "")
        .str.strip_chars()
        .str.strip_chars_end(".")
        .str.strip_chars()
    )


def number_keys(values: pl.Series) -> pl.Series:
    """Canonical number key (as numeric.number_key) for plain decimals, else null."""
    df = pl.DataFrame({"v": values.cast(pl.String)})
    g = df.select(pl.col("v").str.extract_groups(NUM_RE).alias("g")).unnest("g")
    g.columns = ["neg", "grouped", "digits", "frac", "unit"]
    ip = pl.coalesce(pl.col("grouped").str.replace_all(",", "", literal=True), pl.col("digits"))
    ip = ip.fill_null("").str.strip_chars_start("0")
    fp = pl.col("frac").fill_null("").str.strip_chars_end("0")
    ok = (
        pl.col("neg").is_not_null()
        & (
            pl.col("grouped").is_not_null()
            | pl.col("digits").is_not_null()
            | pl.col("frac").is_not_null()
        )
        & ~pl.col("unit").is_in(_SCALE_WORDS).fill_null(False)
    )
    ip0 = pl.when(ip == "").then(pl.lit("0")).otherwise(ip)
    body = pl.when(fp == "").then(ip0).otherwise(ip0 + "." + fp)
    zero = (ip0 == "0") & (fp == "")
    key = pl.when(ok).then(pl.when((pl.col("neg") == "-") & ~zero).then("-" + body).otherwise(body))
    return g.select(key=key)["key"]


def _last_numbers(c: pl.Series) -> pl.Series:
    return c.str.replace_all(_CALC_RE, " ").str.extract_all(_NUMBER_RE).list.last()


# Two adjacent openers (or an opener then a macro) stand in for DEEP_NESTING_RE here; the
# full check runs on the special rows only.
_NESTING_HINT = r"[{(\[][{(\[\\]"
SPECIAL_RE = r"\\boxed|\\fbox|(?i:final answer is)|" + FOLLOWUP_RE + "|" + _NESTING_HINT


# One pass finds the earliest of: marker (groups 1-2) or an answer-colon line (group 3).
# A colon line only counts when the text has no marker at all (checked on those rows only).
_COMBINED_RE = "(?m)" + MARKER_RE + r"|^[ \t]*(?:Answer|A)[ \t]*:[ \t]*([^\n]*)"


def _settle_plain(c: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows with no box, no "final answer is" and no follow-up block."""
    m = pl.DataFrame({"m": c.str.extract_groups(_COMBINED_RE)}).unnest("m")
    m = m.rename(dict(zip(m.columns, ["h", "i", "a"], strict=True)))
    first_colon = m["a"].is_not_null().arg_true()
    later_marker = pl.Series("later", [False] * len(c))
    if len(first_colon):
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
        .when(colon_ok)
        .then(colon_val),
        rule=pl.when(pl.col("h").is_not_null())
        .then(pl.lit("hash"))
        .when(pl.col("i").is_not_null())
        .then(pl.lit("the_answer_is"))
        .otherwise(pl.lit("answer_colon")),
    )
    answer = out["answer"]
    answer = answer.set((answer.str.len_chars() == 0).fill_null(False), None)
    rule = out["rule"].set(answer.is_null(), None)
    # No marker and no usable colon line (and no marker after a prose colon line): last number.
    no_marker = m["h"].is_null() & m["i"].is_null() & ~m["later"]
    rest = (answer.is_null() & no_marker).arg_true()
    if len(rest):
        last = _last_numbers(c.gather(rest))
        answer = answer.scatter(rest, last)
        rule = rule.scatter(rest, pl.Series([None] * len(rest), dtype=pl.String))
        rule = rule.set(answer.is_not_null() & rule.is_null(), "last_number")
    return answer, rule


def _settle_special(c: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Rows with a box / "final answer is" / follow-up: only the plain last box is settled."""
    t = c
    hard = pl.Series([False] * len(c))
    cut = c.str.contains(FOLLOWUP_RE).fill_null(False).arg_true()
    if len(cut):
        prefix = c.gather(cut).str.extract(r"(?s)^(.*?)" + FOLLOWUP_RE, 1)
        t = c.scatter(cut, prefix)
        hard = hard.scatter(cut, ~prefix.str.contains(r"\S").fill_null(False))
    hard = hard | c.str.contains(DEEP_NESTING_RE).fill_null(True)
    easy = ~hard & ~t.str.contains(r"(?i)final answer is").fill_null(True)
    n_box = t.str.count_matches(_ANY_BOX)
    box = t.str.extract_all(_SIMPLE_BOX).list.last().str.slice(7).str.strip_suffix("}")
    box = box.str.strip_chars()
    boxed_ok = (
        easy
        & (n_box > 0)
        & (n_box == t.str.count_matches(_SIMPLE_BOX))
        & (box.str.len_chars() > 0)
        & (box.str.len_chars() < 1000)  # longer boxes: per-row (bounded scan window there)
    ).fill_null(False)
    answer = box.set(~boxed_ok, None)
    rule = pl.Series([None] * len(c), dtype=pl.String).set(boxed_ok, "boxed")
    idx = (easy & (n_box == 0)).fill_null(False).arg_true()
    if len(idx):
        a, r = _settle_plain(t.gather(idx))
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
        {
            "answer": answer,
            "rule": rule.set(answer.is_null(), None),
            "settled": answer.is_not_null(),
        }
    )


def numeric_judge(golds: pl.Series, answers: pl.Series) -> pl.DataFrame:
    """Exact comparison where both sides are plain decimals: columns ok, key (else null)."""
    gk = number_keys(golds.cast(pl.String).str.strip_chars())
    ak = number_keys(answers)
    ok = pl.select(ok=pl.when(gk.is_not_null() & ak.is_not_null()).then(gk == ak))["ok"]
    return pl.DataFrame({"ok": ok, "key": ak})
