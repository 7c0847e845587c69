"""Settle the common step shapes column-wise, with the per-row checker's verdicts.

Two shapes cover most steps that hold a claim (GSM8K notes, model solutions):

* **note steps** -- every claim sits in calculator notes ``<<16-3-4=9>>``: outside the notes (with
  their ``= $`` lead-in, as :data:`step_claims.ANNOT_RE` matches them) no ``= ≈ ~ \\approx
  \\sim`` occurs, so ``claims_in_step`` reads only the note bodies; each body is one chain
  ``a op b ... = c`` of plain numbers;
* **text steps** -- one ``=`` in the whole step, as ``WORD a op b ... = c WORD``, with neighbours
  that pass the checker's left-side rules (a word of two or more letters that is not a
  connective, or ``, . : ; ? !``, or the start) and right-side rules (end, a space, or ``. , ; :
  ! ? ]`` not followed by a digit; not ``x``/``times``/``and`` next), and none of the characters
  :func:`step_text.normalize` rewrites next to a claim (``\\ $ % ** { } ~``).

A shape is settled here only when every claim is exactly right (value equal to the stated
number: ``ok``, the exact value recorded) or plainly wrong (an integer stated, ``|p| < 1e9`` so
that no float-noise rule can pass it, and no ``cents``/floor word after it: ``arith_error``, the
stated number recorded). Anything else -- a rounded claim, ``/ b /`` chains (where a tight
fraction regroups), numbers over nine digits, division by zero, int64 overflow -- is left for the
per-row checker (``settled`` False).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from mathpref.verify.step_claims import _CONNECTIVES, _FLOOR_WORDS, _MAYBE_CLAIM, ANNOT_RE
from mathpref.verify.step_rational import OP_ADD, OP_DIV, OP_MUL, OP_SUB, decimals, evaluate

MAX_OPERANDS = 8
_NUM = r"(?:(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?|\.[0-9]{1,6})"
_OP_TEXT = r"[ \t]*(?:[-+*/]|[xX]|(?i:times))[ \t]*"
_BODY_RE = rf"^ *{_NUM}(?: *[-+*/] *{_NUM})+ *= *{_NUM} *$"
_LHS = rf"{_NUM}(?:{_OP_TEXT}{_NUM})+"
_LHS_CUT = rf"(?:^|[ \t]+){_LHS}[ \t]*$"  # what is before it: the previous token's text
_RHS_RE = rf"^[ \t]*({_NUM})"
_REST_OK = r"^(?:[ \t]*$|[ \t]+[A-Za-z\"'.,;:!?]|[.,;:!?\]](?:[^0-9]|$))"
_NOT_TEXT = r"<<|\\|\$|%|\*\*|[{}~≈\x1c-\x1f]"
_SLASH_CHAIN = r"/[ \t]*[0-9.]+[ \t]*/"  # "a/b/c": a tight fraction regroups it
_AFTER_WRONG = "|".join(sorted(_FLOOR_WORDS | {"cent", "cents"}))  # words `_fallbacks` reads
_AFTER_WRONG_RE = rf"(?:^|[^A-Za-z])(?i:{_AFTER_WRONG})(?:[^A-Za-z]|$)"
_CONNECTIVE_LIST = sorted(_CONNECTIVES)  # a word before the left side that the checker refuses


def _chains(lhs: pl.Series, rhs: pl.Series) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """Evaluate ``lhs`` chains exactly and compare with the stated ``rhs`` numbers.
    Returns (exactly right, plainly wrong, value strings: the exact value of a right claim, the
    stated number of a wrong one -- what ``_stated_values`` records)."""
    n = len(lhs)
    if n == 0:
        return np.zeros(0, bool), np.zeros(0, bool), pl.Series([], dtype=pl.String)
    norm = lhs.str.replace_all(r"(?i:times)|[xX]", "*")
    nums = norm.str.extract_all(r"[0-9.]+")
    ops = norm.str.extract_all(r"[-+*/]")
    count = nums.list.len().to_numpy().astype(np.int64)
    k = int(min(count.max(), MAX_OPERANDS))
    p = np.zeros((n, k), np.int64)
    q = np.ones((n, k), np.int64)
    o = np.zeros((n, max(k - 1, 1)), np.int8)
    flat = nums.explode()
    mant, scale = _mantissa(flat)
    row = np.repeat(np.arange(n), count)
    col = np.arange(len(flat)) - np.repeat(np.cumsum(count) - count, count)
    keep = col < k
    vp, vq = decimals(mant, scale)
    p[row[keep], col[keep]] = vp[keep]
    q[row[keep], col[keep]] = vq[keep]
    oflat = ops.explode().replace_strict(
        {"+": OP_ADD, "-": OP_SUB, "*": OP_MUL, "/": OP_DIV}, return_dtype=pl.Int8
    )
    ocount = count - 1
    orow = np.repeat(np.arange(n), ocount)
    ocol = np.arange(len(oflat)) - np.repeat(np.cumsum(ocount) - ocount, ocount)
    okeep = ocol < k - 1
    o[orow[okeep], ocol[okeep]] = oflat.to_numpy()[okeep]
    fp, fq, bad = evaluate(p, q, o, count)
    bad |= count > MAX_OPERANDS
    sm, ss = _mantissa(rhs)
    sp, sq = decimals(sm, ss)
    right = ~bad & (fp == sp) & (fq == sq)
    # a plainly wrong claim: an integer stated, and |p| < 1e9, so that the checker's float-noise
    # rule (|p - s*q| * 1e9 <= |p|) cannot pass it and no rounding rule applies
    wrong = ~bad & ~right & (ss == 0) & (np.abs(fp) < 10**9)
    value = pl.select(
        pl.when(pl.Series(right)).then(_canonical(fp, fq)).otherwise(pl.lit(rhs, dtype=pl.String))
    ).to_series()
    return right, wrong, value


def _canonical(p: np.ndarray, q: np.ndarray) -> pl.Expr:
    """``str(Fraction(p, q))`` of reduced fractions."""
    whole = pl.lit(pl.Series(p)).cast(pl.String)
    den = pl.lit(pl.Series(q))
    return pl.when(den == 1).then(whole).otherwise(whole + "/" + den.cast(pl.String))


def _mantissa(s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """``"12.50"`` -> (1250, 2); the strings are already checked to be plain decimals."""
    dot = s.str.find(".", literal=True).fill_null(-1).to_numpy()
    length = s.str.len_bytes().to_numpy()
    scale = np.where(dot >= 0, length - dot - 1, 0)
    mant = s.str.replace(".", "", literal=True).cast(pl.Int64).to_numpy()
    return mant, scale


def _no_floor_words(rest: pl.Series) -> np.ndarray:
    """After a wrong claim the checker tries ``= 50 cents`` and ``= 2 full cycles``: leave any
    step whose tail holds such a word to it."""
    return ~rest.str.contains(_AFTER_WRONG_RE).fill_null(True).to_numpy()


def settle(steps: pl.Series) -> dict[str, np.ndarray]:
    """For distinct step texts: ``settled``, and for settled ones ``n_claims``, ``n_failed`` and
    their values as flat ``value_step`` (index into `steps`, ascending) / ``value_text``."""
    n = len(steps)
    settled = np.zeros(n, bool)
    n_claims = np.zeros(n, np.int64)
    n_failed = np.zeros(n, np.int64)
    v_step: list[np.ndarray] = []
    v_text: list[pl.Series] = []
    t = steps
    has_note = t.str.contains("<<", literal=True)
    # note steps: every claim is in a note body, whose chain has no neighbours
    idx = np.flatnonzero(has_note.to_numpy())
    outside = t.gather(idx).str.replace_all(ANNOT_RE.pattern, " ")
    idx = idx[~outside.str.contains(_MAYBE_CLAIM.pattern).to_numpy()]
    if len(idx):
        bodies = t.gather(idx).str.extract_all(r"<<[^<>]{0,400}>>")
        nb = bodies.list.len().to_numpy().astype(np.int64)
        flat = bodies.explode().str.slice(2).str.head(-2)
        ok_shape = (flat.str.contains(_BODY_RE) & ~flat.str.contains(_SLASH_CHAIN)).to_numpy()
        parts = flat.str.split_exact("=", 1).struct.unnest()
        lhs, rhs = parts["field_0"].str.strip_chars(" "), parts["field_1"].str.strip_chars(" ")
        sel = np.flatnonzero(ok_shape)
        right = np.zeros(len(flat), bool)
        wrong = np.zeros(len(flat), bool)
        right[sel], wrong[sel], got = _chains(lhs.gather(sel), rhs.gather(sel))
        at = np.full(len(flat), -1, np.int64)
        at[sel] = np.arange(len(sel))
        owner = np.repeat(np.arange(len(idx)), nb)
        done = (np.bincount(owner, ~(right | wrong), len(idx)) == 0) & (nb > 0)
        steps_done = idx[done]
        settled[steps_done] = True
        n_claims[steps_done] = nb[done]
        n_failed[steps_done] = np.bincount(owner, wrong, len(idx))[done].astype(np.int64)
        keep = done[owner]
        v_step.append(idx[owner[keep]])
        v_text.append(got.gather(at[keep]))
    # text steps: one chain, "WORD a op b = c WORD"
    cand = ~has_note & ~t.str.contains(_NOT_TEXT) & (t.str.count_matches("=", literal=True) == 1)
    idx = np.flatnonzero(cand.to_numpy())
    if len(idx):
        g = t.gather(idx).str.split_exact("=", 1).struct.unnest()
        g.columns = ["left", "rest"]
        g = g.with_columns(pre=pl.col("left").str.replace(_LHS_CUT, "")).with_columns(
            lhs=pl.when(pl.col("pre") != pl.col("left"))
            .then(pl.col("left").str.slice(pl.col("pre").str.len_chars()).str.strip_chars(" \t"))
            .otherwise(None),
            c=pl.col("rest").str.extract(_RHS_RE, 1),
            rest=pl.col("rest").str.replace(_RHS_RE, ""),
        )
        word = g["pre"].str.extract(r"([A-Za-z]+)$").str.to_lowercase()
        last = g["pre"].str.slice(-1)
        nxt = g["rest"].str.extract(r"^[ \t]+([A-Za-z]+)").str.to_lowercase()
        prev_ok = (
            (g["pre"] == "")
            | last.is_in(list(",.:;?!"))
            | (
                (word.str.len_chars() >= 2)
                & ~word.is_in(_CONNECTIVE_LIST)
                & ~((word == "and") & g["lhs"].str.contains("/", literal=True))
            )
        ).fill_null(False)
        ok = (
            g["lhs"].is_not_null()
            & g["c"].is_not_null()
            & prev_ok
            & g["rest"].str.contains(_REST_OK).fill_null(False)
            & ~nxt.is_in(["x", "times", "and"]).fill_null(False)
            & ~g["lhs"].str.contains(_SLASH_CHAIN).fill_null(False)
        ).to_numpy()
        sel = np.flatnonzero(ok)
        right, wrong, vals = _chains(g["lhs"].gather(sel), g["c"].gather(sel))
        wrong &= _no_floor_words(g["rest"].gather(sel))
        done = right | wrong
        steps_done = idx[sel[done]]
        settled[steps_done] = True
        n_claims[steps_done] = 1
        n_failed[steps_done] = wrong[done]
        v_step.append(steps_done)
        v_text.append(vals.filter(pl.Series(done)))
    vs = np.concatenate(v_step) if v_step else np.zeros(0, np.int64)
    vt = pl.concat(v_text) if v_text else pl.Series([], dtype=pl.String)
    order = np.argsort(vs, kind="stable")
    return {
        "settled": settled,
        "n_claims": n_claims,
        "n_failed": n_failed,
        "value_step": vs[order],
        "value_text": vt.gather(order),
    }
