"""Vectorised numbers (polars), for :mod:`.vector`: last number, keys, exact comparison.

``last_numbers`` agrees with ``extract._last_number``; ``number_keys`` gives the same key as
``numeric.number_key(parse_number(v))`` for plain decimals and null for everything else,
which then goes to the per-row path.
"""

from __future__ import annotations

import polars as pl

# Plain decimals that parse_number reads the same way: optional $ or \$, sign, digits (or
# comma-grouped digits with a non-zero lead: "0,111" is a decimal comma, read per-row), optional fraction, optional one lowercase unit word ("18 dollars").
NUM_RE = (
    r"^(?:\\?\$)?(-?)(?:([1-9][0-9]{0,2}(?:,[0-9]{3})+)|([0-9]{1,30}))?(?:\.([0-9]{1,30}))?"
    r"(?: ([a-z]{2,20}))?$"
)
_SCALE_WORDS = ["hundred", "thousand", "million", "billion", "trillion"]

# Canonical integers are their own key; only other values go through the full NUM_RE parse.
_CANONICAL_INT_RE = r"^(?:0|-?[1-9][0-9]{0,29})$"


def number_keys(values: pl.Series) -> pl.Series:
    """Canonical number key (as numeric.number_key) for plain decimals, else null."""
    v = values.cast(pl.String)
    simple = v.str.contains(_CANONICAL_INT_RE).fill_null(False)
    rest = (~simple & v.is_not_null()).arg_true()
    key = v.set(~simple, None)
    if len(rest) == len(v):
        return _parse_keys(v)
    if len(rest):
        key = key.scatter(rest, _parse_keys(v.gather(rest)))
    return key


def _parse_keys(values: pl.Series) -> pl.Series:
    g = pl.DataFrame({"v": values}).select(pl.col("v").str.extract_groups(NUM_RE).alias("g"))
    g = g.unnest("g")
    g.columns = ["neg", "grouped", "digits", "frac", "unit"]
    has_digits = pl.any_horizontal(pl.col("grouped", "digits", "frac").is_not_null())
    g = g.select(
        ip=pl.coalesce(
            pl.col("grouped").str.replace_all(",", "", literal=True), pl.col("digits")
        ).str.strip_chars_start("0"),
        fp=pl.col("frac").str.strip_chars_end("0"),
        neg=pl.col("neg") == "-",
        ok=pl.col("neg").is_not_null()
        & has_digits
        & ~pl.col("unit").is_in(_SCALE_WORDS).fill_null(False),
    )
    ip = pl.when(pl.col("ip").str.len_bytes() > 0).then(pl.col("ip")).otherwise(pl.lit("0"))
    has_fp = (pl.col("fp").str.len_bytes() > 0).fill_null(False)
    sign = pl.when(pl.col("neg") & (has_fp | (ip != "0"))).then(pl.lit("-")).otherwise(pl.lit(""))
    body = (
        pl.when(has_fp)
        .then(pl.concat_str([sign, ip, pl.lit("."), pl.col("fp")]))
        .otherwise(pl.concat_str([sign, ip]))
    )
    return g.select(key=pl.when(pl.col("ok")).then(body))["key"]


def numeric_judge(golds: pl.Series, answers: pl.Series) -> pl.DataFrame:
    """Exact comparison where both sides are plain decimals: columns ok, key (else null)."""
    gk = number_keys(golds.cast(pl.String).str.strip_chars())
    ak = number_keys(answers)
    ok = pl.select(ok=pl.when(gk.is_not_null() & ak.is_not_null()).then(gk == ak))["ok"]
    return pl.DataFrame({"ok": ok, "key": ak})


_NUMBER_RE = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:/[0-9]+)?"
_CALC_RE = r"<<[^<>\n]{0,200}>>"


def _last_numbers_full(c: pl.Series) -> pl.Series:
    return c.str.replace_all(_CALC_RE, " ").str.extract_all(_NUMBER_RE).list.last()


_TAIL = 160


def last_numbers(c: pl.Series) -> pl.Series:
    """Last number (calc annotations removed), read from the text after a late newline.

    Neither a number nor a ``<<...>>`` annotation can span a newline, so the matches after a
    newline are the same in the whole text and in the suffix: when the suffix has a number,
    its last number is the text's. Rows with no newline in the tail or no number after it are
    read in full.
    """
    sl = pl.col("c").str.slice(-_TAIL)
    tail = (
        pl.when(sl.str.contains("\n", literal=True))
        .then(sl.str.replace(r"^[^\n]*\n", ""))
        .when(sl.str.len_bytes() == pl.col("c").str.len_bytes())
        .then(sl)
    )
    last = _last_numbers_full(pl.DataFrame({"c": c}).select(t=tail)["t"])
    redo = (last.is_null() & c.is_not_null()).arg_true()
    if len(redo):
        last = last.scatter(redo, _last_numbers_full(c.gather(redo)))
    return last
