# FROZEN ANCHOR (issue 14): a copy of mathpref/verify/arith.py as of commit d4b597c, the per-row step
# checker that bench/step_checks.py measures the vectorised path against. Do not edit it, and never
# import it from the mathpref package: it must not speed up (or change) with the code under test.
"""Safe, bounded exact arithmetic over :class:`fractions.Fraction`.

The expression language is deliberately tiny: decimal numbers (optionally with
``1,000`` thousands separators and a postfix ``%`` meaning /100), the binary
operators ``+ - * / ^`` (``**`` is read as ``^``), unary ``+``/``-``,
parentheses, and implicit multiplication only for ``2(3)`` / ``(2)(3)`` written
without a space.  A fraction written without spaces binds tightest, so GSM8K's
``25 / 1/3`` is 25 / (1/3) = 75 (for ``a/b/c`` this changes nothing).  Anything else (names, calls, attribute access, strings) is
rejected.  Nothing is ever handed to ``eval``/``exec``/sympy: the text is
tokenised with one regular expression and parsed by recursive descent.

Bounds (a hostile input raises :class:`ArithError` instead of hanging):
``MAX_TOKENS`` tokens, ``MAX_DIGITS`` digits per number, nesting depth
``MAX_DEPTH``, integer exponents with ``|e| <= MAX_EXP``, and every intermediate
numerator/denominator at most ``MAX_BITS`` bits.  Division by zero and
non-integer exponents also raise (callers treat the claim as unchecked).
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

MAX_TOKENS = 200
MAX_DIGITS = 100
MAX_DEPTH = 40
MAX_EXP = 1000
MAX_BITS = 4096


class ArithError(ValueError):
    """The text is not a supported, bounded arithmetic expression."""


class Tok(NamedTuple):
    kind: str  # NUM OP LP RP EQ APX WORD OTHER
    text: str
    ws: bool  # whitespace (or start of text) immediately before this token


# One regex splits the text into (leading whitespace, token); a token's kind follows from its
# first character (NUM starts with a digit or ".<digit>"; "**" and "-+*/^" are OP; WORD is ASCII
# letters; any other non-space character is OTHER).
_TOKEN_RE = re.compile(
    r"(\s*+)((?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:\s?%)?|\.\d+(?:\s?%)?"
    r"|\*\*|[A-Za-z]+|\S)"
)
_KINDS = dict.fromkeys("-+*/^", "OP") | {"(": "LP", ")": "RP", "=": "EQ", "≈": "APX", "~": "APX"}
_KINDS |= {c: "WORD" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_KINDS |= dict.fromkeys("0123456789", "NUM")
_KINDS |= {chr(c): "OTHER" for c in range(128) if chr(c) not in _KINDS and chr(c) != "."}
_new_tok = tuple.__new__
_FAST_OPS = frozenset("+-*/")


def _kind(tok: str) -> str:
    c = tok[0]
    if c == ".":
        return "NUM" if len(tok) > 1 else "OTHER"
    return "NUM" if c.isdecimal() else "OTHER"  # a non-ASCII digit, or anything else


_TOK_CACHE: dict[tuple[str, str], Tok] = {}  # (whitespace, token) -> Tok; tokens repeat a lot


def _make_tok(pair: tuple[str, str]) -> Tok:
    ws, tok = pair
    t = _new_tok(Tok, (_KINDS.get(tok[0]) or _kind(tok), "^" if tok == "**" else tok, ws != ""))
    if len(ws) + len(tok) <= 24 and len(_TOK_CACHE) < 1 << 16:
        _TOK_CACHE[pair] = t
    return t


def tokenize(text: str) -> list[Tok]:
    """Split normalised text into tokens (never fails; unknown chars are OTHER)."""
    get = _TOK_CACHE.get
    # rstrip: trailing whitespace holds no token (and would make the search quadratic)
    toks = [get(pair) or _make_tok(pair) for pair in _TOKEN_RE.findall(text.rstrip())]
    if toks and not toks[0].ws:  # the start of the text counts as whitespace
        toks[0] = toks[0]._replace(ws=True)
    return toks


@lru_cache(maxsize=65536)
def num_value(text: str) -> tuple[Fraction, int, bool]:
    """``"1,250.50%"`` -> (Fraction(125050, 100), decimals=2, percent=True), % not applied."""
    pct = text.endswith("%")
    body = text.rstrip("% ").replace(",", "")
    if len(body) > MAX_DIGITS + 1:
        raise ArithError("number too long")
    if len(body) > 1 and body[0] == "0" and body[1].isdigit():
        raise ArithError("leading zero (a clock time or code, not a number)")
    whole, _, frac = body.partition(".")
    value = Fraction(int(whole or "0") * 10 ** len(frac) + int(frac or "0"), 10 ** len(frac))
    return value, len(frac), pct


def _check(v: Fraction) -> Fraction:
    if v.numerator.bit_length() > MAX_BITS or v.denominator.bit_length() > MAX_BITS:
        raise ArithError("intermediate result too large")
    return v


class _Parser:
    __slots__ = ("toks", "i", "depth", "in_exp")

    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.in_exp = False

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def expr(self) -> Fraction:
        v = self.term()
        while (t := self.peek()) is not None and t.kind == "OP" and t.text in "+-":
            self.i += 1
            v = _check(v + self.term() if t.text == "+" else v - self.term())
        return v

    def term(self) -> Fraction:
        v = self.unary()
        while (t := self.peek()) is not None:
            if t.kind == "OP" and t.text in "*/":
                self.i += 1
                rhs = self.unary()
                if t.text == "*":
                    v = _check(v * rhs)
                elif rhs == 0:
                    raise ArithError("division by zero")
                else:
                    v = _check(v / rhs)
            elif t.kind == "LP" and not t.ws:  # implicit multiplication: 2(3+4)
                v = _check(v * self.unary())
            else:
                break
        return v

    def unary(self) -> Fraction:
        t = self.peek()
        if t is not None and t.kind == "OP" and t.text in "+-":
            self.i += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ArithError("too deeply nested")
            v = self.unary()
            self.depth -= 1
            return -v if t.text == "-" else v
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        t = self.peek()
        if t is None or t.kind != "OP" or t.text != "^":
            return base
        self.i += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ArithError("too deeply nested")
        outer, self.in_exp = self.in_exp, True
        exp = self.unary()  # right-associative: 2^3^2 = 2^(3^2)
        self.in_exp = outer
        self.depth -= 1
        return _power(base, exp)

    def atom(self) -> Fraction:
        t = self.peek()
        if t is None:
            raise ArithError("unexpected end of expression")
        self.i += 1
        if t.kind == "NUM":
            value, _, pct = num_value(t.text)
            if pct:
                return value / 100
            toks, i = self.toks, self.i
            if (
                not self.in_exp
                and i + 1 < len(toks)
                and toks[i].text == "/"
                and not toks[i].ws
                and toks[i + 1].kind == "NUM"
                and not toks[i + 1].ws
                and "." not in t.text
                and toks[i + 1].text.isdigit()
                and (i + 2 >= len(toks) or toks[i + 2].text != "^")
            ):
                # a tight fraction "1/3" is one number: "25 / 1/3" = 25 / (1/3)
                self.i += 2
                den = num_value(toks[i + 1].text)[0]
                if den == 0:
                    raise ArithError("division by zero")
                return value / den
            return value
        if t.kind == "LP":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ArithError("too deeply nested")
            v = self.expr()
            self.depth -= 1
            close = self.peek()
            if close is None or close.kind != "RP":
                raise ArithError("unbalanced parenthesis")
            self.i += 1
            return v
        raise ArithError(f"unexpected token {t.text!r}")


def _power(base: Fraction, exp: Fraction) -> Fraction:
    if exp.denominator != 1:
        raise ArithError("non-integer exponent")
    e = exp.numerator
    if abs(e) > MAX_EXP:
        raise ArithError("exponent too large")
    if base == 0:
        if e < 0:
            raise ArithError("division by zero")
        return Fraction(1) if e == 0 else Fraction(0)
    size = max(base.numerator.bit_length(), base.denominator.bit_length())
    if abs(base) != 1 and (size - 1) * abs(e) > MAX_BITS:
        raise ArithError("power too large")
    return _check(base**e)


def evaluate_tokens(toks: list[Tok]) -> Fraction:
    """Evaluate a token list that must form exactly one expression."""
    if not toks or len(toks) > MAX_TOKENS:
        raise ArithError("empty or too long expression")
    if len(toks) == 3:  # fast path for the common "a op b" (same value as the parser's)
        a, op, b = toks
        if (
            a.kind == "NUM"
            and b.kind == "NUM"
            and op.kind == "OP"
            and op.text in _FAST_OPS
            and not a.text.endswith("%")
            and not b.text.endswith("%")
        ):
            x, y = num_value(a.text)[0], num_value(b.text)[0]
            if op.text == "+":
                return x + y
            if op.text == "-":
                return x - y
            if op.text == "*":
                return x * y
            if y == 0:
                raise ArithError("division by zero")
            return x / y
    p = _Parser(toks)
    value = p.expr()
    if p.i != len(toks):
        raise ArithError(f"trailing token {toks[p.i].text!r}")
    return value


@lru_cache(maxsize=65536)
def evaluate(expr: str) -> Fraction:
    """Evaluate a plain arithmetic expression string exactly (``"16-3-4"`` -> 9)."""
    if len(expr) > 4 * MAX_TOKENS:
        raise ArithError("expression too long")
    toks = tokenize(expr.replace("×", "*").replace("÷", "/").replace("−", "-"))
    if any(t.kind not in ("NUM", "OP", "LP", "RP") for t in toks):
        raise ArithError("only numbers, + - * / ^ and parentheses are allowed")
    return evaluate_tokens(toks)


def matches(exact: Fraction, stated: Fraction, decimals: int, approx: bool = False) -> bool:
    """Does ``stated`` (written with ``decimals`` digits after the point) state ``exact``?

    Exact match, float noise (relative 1e-9), or -- when decimals are shown --
    rounding or truncation to those decimals (``10/3 = 3.33`` and ``2/3 = 0.66``
    pass).  A stated integer must be exact (``10/3 = 3`` fails).  With ``approx``
    (``≈``/``~``/"about"), a relative error <= 1 % or an error of at most half a
    unit of the last non-zero digit shown, i.e. rounding to fewer digits
    (``1000/7 ≈ 140``), also passes.
    """
    if exact == stated:
        return True
    diff = abs(exact - stated)
    if diff * 10**9 <= abs(exact):
        return True
    if (
        decimals
        and diff * 10**decimals < 1
        and (diff * 2 * 10**decimals <= 1 or abs(stated) < abs(exact))
    ):
        return True
    if approx:
        if diff * 100 <= abs(exact):
            return True
        unit = Fraction(1, 10**decimals)
        if stated and decimals == 0:
            n = abs(stated.numerator)
            while n % 10 == 0:
                n //= 10
                unit *= 10
        return diff * 2 <= unit
    return False
