# FROZEN ANCHOR (issue 14): a copy of mathpref/verify/step_claims.py as of commit d4b597c, the per-row step
# checker that bench/step_checks.py measures the vectorised path against. Do not edit it, and never
# import it from the mathpref package: it must not speed up (or change) with the code under test.
"""Find and check the arithmetic claims (``16 - 3 - 4 = 9``) written in one step.

A *claim* is an ``=`` (or ``≈``) between two pieces of pure arithmetic.  Rules:

* GSM8K calculator notes ``<<16-3-4=9>>`` are checked and authoritative: the text
  chain that ends in a note (``16 - 3 - 4 = <<...>>9``) is not checked again.
* Text is normalised by :func:`mathpref.verify.step_text.normalize`; ``x`` /
  ``times`` between numbers is multiplication, ``N% of M`` is ``N/100 * M``.
* The left side of a chain ``a = b = c`` is the run of numbers and operators
  before the first ``=``.  It is skipped (unchecked) when it touches a name
  (``f(2)``, ``x - 3``, ``\\sqrt{4}``, ``6:00+48``), has no binary operator,
  follows a connective word (``half of 2 * 10``, ``1 and 1/4``, ``acres x 3/4``), has two operands
  side by side, or uses a leading-zero number (``0900``).
* Each later side is compared to the running exact value: a plain number with
  :func:`mathpref.verify.arith.matches` (rounding to the digits shown), an
  expression exactly -- or, in the running style ``3 * 4 = 12 + 5 = 17``, by its
  first number.  ``= 25%`` passes for an exact 0.25 or 25; ``= 50 cents`` also
  for an exact 0.50; with a ``%`` on the left, stated = exact x 100 or / 100
  also passes (``1.2 x 100% = 120``); a mixed number ``3 1/2`` / ``3 and 1/2`` is read as 7/2;
  ``18 000`` as 18000; ``= 2 full cycles`` (a floor word after it) passes for
  floor(exact).  A right side continued by a name (``= 24/Y``, ``= 5A``) is
  skipped.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from bench.frozen_steps.arith import ArithError, Tok, evaluate_tokens, matches, num_value, tokenize
from bench.frozen_steps.step_text import (
    OPERAND_END,
    OPERAND_START,
    has_gap,
    mark_ops,
    normalize,
    tok_text,
)


class Claim(NamedTuple):
    expression: str  # the side holding the exact value, as written (normalised)
    stated: str  # the side being checked, as written
    exact: Fraction
    stated_value: Fraction | None  # the stated number (None when the side is an expression)
    ok: bool


ANNOT_RE = re.compile(r"(=\s*\$?\s*)?<<([^<>]{0,400})>>")
_MAYBE_CLAIM = re.compile(r"[=≈~]|\\approx|\\sim")
_CODES = {"NUM": "N", "OP": "O", "LP": "L", "RP": "R", "EQ": "E", "APX": "A", "WORD": "w"}
_CODES["OTHER"] = "z"
_RUN_RE = re.compile(r"[NOLREA]+")  # runs of math tokens (NUM OP LP RP EQ APX)
_CONNECTIVES = frozenset(
    "of by times plus minus over per than twice half double triple thrice divided multiplied "
    "into x sqrt root log ln sin cos tan exp".split()
)
_UNARY_OK = frozenset(
    "is be was are were equals gives get gets becomes at to from so then "
    "or total answer result".split()
)
_PREV_OK = frozenset(",.:;?!([\"'\x00“”‘’#&")
_FLOOR_WORDS = frozenset("full whole complete remainder r rem remaining".split())


def _value(toks: list[Tok]) -> Fraction | None:
    try:
        return evaluate_tokens(toks)
    except (ArithError, RecursionError):
        return None


def _has_binary_op(seg: list[Tok]) -> bool:
    for k in range(1, len(seg)):
        if seg[k].kind == "OP" and seg[k - 1].kind in OPERAND_END:
            return True
    return False


def _lhs_ok(toks: list[Tok], start: int, end: int) -> bool:
    seg = toks[start:end]
    if not seg or has_gap(seg) or not _has_binary_op(seg):
        return False
    first = seg[0]
    if first.kind == "OP" and first.text == "-" and len(seg) > 1 and seg[1].ws:
        return _lhs_ok(toks, start + 1, end)  # "- 2^9 = 512": a bullet dash, not a minus
    if first.kind not in OPERAND_START and not (first.kind == "OP" and first.text == "-"):
        return False
    prev = toks[start - 1] if start else None
    if prev is None or prev.kind in ("EQ", "APX"):
        return True
    before = toks[start - 2] if start > 1 else None
    if prev.kind == "LP":  # "Step 2 (3 + 4 = 7)" but not "f(3 + 4 = 7"
        return prev.ws or before is None or before.kind not in ("WORD", "NUM", "RP", "OTHER")
    if prev.kind == "OTHER":
        if prev.text not in _PREV_OK:
            return False  # an unknown symbol may be an operator
        if not first.ws and before is not None and before.kind == "NUM" and not prev.ws:
            return False  # 6:00+48, 16,0000/10
    elif not first.ws:
        return False  # f(2), x2, \sqrt(4)
    elif (
        len(prev.text) == 1
        or prev.text.lower() in _CONNECTIVES
        or (
            prev.text == "and"
            and before is not None
            and before.kind == "NUM"
            and len(seg) > 1
            and seg[1].text == "/"
            and not seg[1].ws
        )
    ):
        return False  # "half of 2 * 10", "12 x 1 and 1/4"
    if first.kind == "OP":  # a leading minus is unary only after punctuation or a verb
        return prev.kind == "OTHER" or prev.text.lower() in _UNARY_OK
    return True


def _lhs_start(toks: list[Tok], start: int, end: int) -> int:
    depth = 0
    for k in range(end - 1, start - 1, -1):
        kind = toks[k].kind
        if kind == "RP":
            depth += 1
        elif kind == "LP":
            depth -= 1
            if depth < 0:
                return k + 1
    return start


def _cut_unbalanced(seg: list[Tok]) -> list[Tok]:
    depth = 0
    for k, t in enumerate(seg):
        depth += (t.kind == "LP") - (t.kind == "RP")
        if depth < 0:
            return seg[:k]
    return seg


def _int_tok(t: Tok | None) -> bool:
    return t is not None and t.kind == "NUM" and t.text.isdigit()


def _mixed(whole: Tok, rest: list[Tok]) -> Fraction | None:
    """``3 1/2`` / ``3 and (1/2)`` -> 7/2; ``18 000`` -> 18000; else None."""
    if rest and rest[0].kind == "WORD" and rest[0].text == "and":
        rest = rest[1:]
    if rest and rest[0].kind == "LP":
        rest = rest[1:]
    if len(rest) >= 3 and _int_tok(rest[0]) and rest[1].text == "/" and _int_tok(rest[2]):
        num, den = int(rest[0].text), int(rest[2].text)
        if 0 < num < den and (len(rest) == 3 or rest[3].kind not in ("OP", "NUM")):
            return num_value(whole.text)[0] + Fraction(num, den)
    if (
        rest
        and _int_tok(rest[0])
        and len(rest[0].text) == 3
        and len(whole.text) <= 3
        and (len(rest) == 1 or rest[1].kind != "OP")
    ):
        return Fraction(int(whole.text + rest[0].text))
    return None


def _last_side(toks: list[Tok], lo: int, end: int) -> tuple[list[Tok], Fraction, int, bool] | None:
    """The final side of a chain as (tokens, value, decimals, is_literal), or None to skip."""
    seg = _cut_unbalanced(toks[lo:end])
    after = toks[lo + len(seg) :]
    for k in range(1, len(seg)):
        if seg[k].ws and seg[k].kind in OPERAND_START and seg[k - 1].kind in OPERAND_END:
            seg, after = seg[:k], seg[k:]
            if after[0].kind == "NUM":  # "= 3 1/2", "= 18 000" or unknown: never cut
                if len(seg) != 1 or not _int_tok(seg[0]):
                    return None
                mixed = _mixed(seg[0], after)
                return None if mixed is None else (seg, mixed, 0, True)
            break
    if not seg or seg[-1].kind in ("OP", "LP"):
        return None  # "= 24/Y", "= 16 + x"
    nxt = after[0] if after else None
    if (
        nxt is not None
        and not nxt.ws
        and nxt.kind in ("WORD", "OTHER")
        and nxt.text not in (".", ",", ";", ":", "!", "?", ")", "]")
    ):
        return None  # "= 5A", "= 3ab", "= 0.0011_2"
    if nxt is not None and nxt.text == "@":
        return None  # "= \frac12 \pi"
    try:
        if seg[-1].kind == "NUM" and (len(seg) == 1 or len(seg) == 2 and seg[0].text == "-"):
            if len(seg) == 1 and nxt is not None and nxt.text == "and" and _int_tok(seg[0]):
                mixed = _mixed(seg[0], after)
                if mixed is not None:
                    return seg, mixed, 0, True
            value, dec, _ = num_value(seg[-1].text)
            return seg, -value if len(seg) == 2 else value, dec, True
        value = evaluate_tokens(seg)
    except (ArithError, RecursionError):
        return None
    return seg, value, 0, False


def _fallbacks(
    toks: list[Tok], hi: int, ref: Fraction, ref_text: str, val: Fraction, dec: int, approx: bool
) -> bool:
    """A literal that failed plainly: ``= 50 cents``, a sloppy ``%``, ``= 2 full cycles``."""
    nxt = toks[hi] if hi < len(toks) else None
    word = nxt.text.lower() if nxt is not None and nxt.kind == "WORD" else ""
    ok = False
    if word in ("cents", "cent"):
        ok = matches(ref * 100, val, dec, approx)
    if not ok and "%" in ref_text:  # "1.2 x 100% = 120": a sloppy percent sign
        ok = matches(ref * 100, val, dec, approx) or matches(ref / 100, val, dec, approx)
    if not ok and any(
        t.kind == "WORD" and t.text.lower() in _FLOOR_WORDS for t in toks[hi : hi + 4]
    ):
        ok = val == ref.numerator // ref.denominator
    return ok


def _check_chain(toks: list[Tok], start: int, eqs: list[int], end: int) -> list[Claim]:
    """``toks[start:end]`` is a run of math tokens, ``eqs`` the positions of = / ≈."""
    bounds = [start, *eqs, end]
    claims: list[Claim] = []
    ref: Fraction | None = None
    ref_text = ""
    for k in range(len(bounds) - 1):
        lo = bounds[k] + (1 if k else 0)
        hi = bounds[k + 1]
        if ref is None:  # looking for a checkable left side
            lo = _lhs_start(toks, lo, hi)
            if _lhs_ok(toks, lo, hi):
                ref, ref_text = _value(toks[lo:hi]), tok_text(toks[lo:hi])
            continue
        approx = toks[bounds[k]].kind == "APX"
        if hi == end:
            side = _last_side(toks, lo, end)
            if side is None:
                break
            seg, val, dec, literal = side
        else:
            seg = toks[lo:hi]
            literal = len(seg) == 1 and seg[0].kind == "NUM"
            if not literal and (has_gap(seg) or (val := _value(seg)) is None):
                break
            dec = 0
        if literal:
            try:
                val, dec, pct = num_value(seg[0].text) if hi != end else (val, dec, False)
            except ArithError:
                break
            pct = seg[-1].text.endswith("%")
            ok = matches(ref, val, dec, approx)
            if pct and not ok and matches(ref, val / 100, dec + 2, approx):
                val, ok = val / 100, True
            if not ok:
                ok = _fallbacks(toks, hi, ref, ref_text, val, dec, approx)
            claims.append(Claim(ref_text, tok_text(seg), ref, val, ok))
            continue
        ok = matches(val, ref, 0, approx) or matches(ref, val, 0, approx)
        if not ok and seg[0].kind == "NUM":  # running style: 3 * 4 = 12 + 5 = 17
            try:
                v0, dec0, pct0 = num_value(seg[0].text)
            except ArithError:
                break
            ok = not pct0 and matches(ref, v0, dec0, approx)
        claims.append(Claim(ref_text, tok_text(seg), ref, None, ok))
        ref, ref_text = val, tok_text(seg)
    return claims


@lru_cache(maxsize=1 << 17)
def claims_in_text(text: str, skip_tail: bool = False) -> tuple[Claim, ...]:
    """All checkable claims in annotation-free text, in order.

    ``skip_tail``: the text ends where a calculator note began, so a chain
    running into the end is the note's text copy and is not checked.
    """
    toks = mark_ops(tokenize(normalize(text)))
    claims: list[Claim] = []
    n = len(toks)
    # one letter per token; a chain is a maximal run of math tokens holding an = / ≈
    codes = "".join([_CODES[t.kind] for t in toks])
    for m in _RUN_RE.finditer(codes):
        i, j = m.span()
        run = m.group()
        if ("E" in run or "A" in run) and not (skip_tail and j == n):
            eqs = [i + k for k, c in enumerate(run) if c in "EA"]
            claims.extend(_check_chain(toks, i, eqs, j))
    return tuple(claims)


def claims_in_step(step: str) -> list[Claim]:
    """Claims of one step in order; calculator notes are checked in place."""
    if "<<" not in step:
        return list(claims_in_text(step)) if _MAYBE_CLAIM.search(step) else []
    claims: list[Claim] = []
    pos = 0
    for m in ANNOT_RE.finditer(step):
        piece = step[pos : m.start()]
        if _MAYBE_CLAIM.search(piece):
            claims.extend(claims_in_text(piece, skip_tail=m.group(1) is not None))
        claims.extend(claims_in_text(m.group(2)))
        pos = m.end()
    if _MAYBE_CLAIM.search(step, pos):
        claims.extend(claims_in_text(step[pos:]))
    return claims
