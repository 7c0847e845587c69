# FROZEN ANCHOR (issue 14): a copy of mathpref/verify/step_text.py as of commit d4b597c, the per-row step
# checker that bench/step_checks.py measures the vectorised path against. Do not edit it, and never
# import it from the mathpref package: it must not speed up (or change) with the code under test.
"""Text normalisation and token helpers for :mod:`mathpref.verify.step_claims`.

``normalize`` rewrites LaTeX and Unicode arithmetic into the plain syntax that
:func:`mathpref.verify.arith.tokenize` reads: ``\\times``/``\\cdot``/``×``/``·``
-> ``*``, ``\\div``/``÷`` -> ``/``, ``\\frac{a}{b}`` -> ``((a)/(b))``, braces ->
parentheses, ``\\left``/``\\right``/``\\!``/``\\,`` dropped, ``\\(``/``\\[``/``$``
-> a boundary, other commands (``\\pi``) -> ``@``, ``\\approx``/``\\sim``/``= about`` -> ``≈``, ``½`` -> ``(1/2)``,
``−``/``–`` -> ``-``, markdown ``**bold**`` markers dropped (``2**3`` is kept).
"""

from __future__ import annotations

import re

from bench.frozen_steps.arith import Tok

_MIXED_RE = re.compile(r"(\d)\s*\\[dt]?frac\s*\{(\d+)\}\s*\{(\d+)\}")
_FRAC_RE = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_SUBS = [
    (re.compile(r"\^\s*\{?\\circ\}?"), ""),
    (re.compile(r"\\(?:text(?:bf|rm)?|mathrm|mbox)\s*\{([^{}]*)\}"), r" \1 "),
    (re.compile(r"\\(?:times|cdot|ast)(?![A-Za-z])"), " * "),
    (re.compile(r"\\div(?![A-Za-z])"), " / "),
    (re.compile(r"\\approx(?![A-Za-z])|\\sim(?![A-Za-z])"), " ≈ "),
    (re.compile(r"\\(?:left|right|big|Big)(?![A-Za-z])|\\[,;:! ]"), ""),
    (re.compile(r"\\\\"), " ; "),
    (re.compile(r"\\[()\[\]]"), " ; "),
    (re.compile(r"\\([%$])"), r"\1"),
    (
        re.compile(
            r"\\(?:n?eq|ne|[lg]eq?|[lg]t|quad|qquad|implies|Rightarrow|to|iff|equiv|"
            r"pmod|mod|bmod|boxed|begin|end|hline)(?![A-Za-z])"
        ),
        " ; ",
    ),
    (re.compile(r"\\[A-Za-z]+"), " @ "),  # \pi, \sqrt, \binom ...: not pure arithmetic
]
_DOLLAR_RE = re.compile(r"\$(?![\d.]|-\d)")
_BOLD_RE = re.compile(r"(?<![\d)\s])\*\*|\*\*(?![\d(\s])")
_APPROX_WORDS = re.compile(
    r"=\s*\$?\s*(?:approximately|approx\.?|about|around|roughly|nearly|~)(?=\s*[$\d.(-])", re.I
)
_VULGAR = {
    "½": "1/2",
    "⅓": "1/3",
    "⅔": "2/3",
    "¼": "1/4",
    "¾": "3/4",
    "⅕": "1/5",
    "⅛": "1/8",
    "⅜": "3/8",
    "⅝": "5/8",
    "⅞": "7/8",
    "⅙": "1/6",
    "⅚": "5/6",
}
_VULGAR_RE = re.compile(r"(\d+)?\s*([" + "".join(_VULGAR) + "])")
_UNI = str.maketrans(
    {
        "×": "*",
        "·": "*",
        "⋅": "*",
        "∗": "*",
        "÷": "/",
        "−": "-",
        "–": "-",
        "{": "(",
        "}": ")",
        "$": " ",
        "°": " ",
        "\u2009": "",
        "\u202f": "",
    }
)


def _vulgar(m: re.Match[str]) -> str:
    whole, frac = m.group(1), _VULGAR[m.group(2)]
    return f" ({whole}+{frac})" if whole else f" ({frac})"


def normalize(text: str) -> str:
    if "\\" in text:
        text = _MIXED_RE.sub(r"(\1+\2/\3)", text)
        for _ in range(3):
            text, n = _FRAC_RE.subn(r"((\1)/(\2))", text)
            if not n:
                break
        for rx, rep in _LATEX_SUBS:
            text = rx.sub(rep, text)
    if "**" in text:
        text = _BOLD_RE.sub(" ", text)
    if "=" in text:
        text = _APPROX_WORDS.sub("≈", text)
    if "$" in text:  # a currency sign is dropped, a math-mode delimiter is a boundary
        text = _DOLLAR_RE.sub(" ; ", text)
    if "\n" in text:
        text = text.replace("\n", " ; ")
    if not text.isascii():
        text = _VULGAR_RE.sub(_vulgar, text)
    return text.translate(_UNI)


OPERAND_END = frozenset(("NUM", "RP"))
OPERAND_START = frozenset(("NUM", "LP"))


def mark_ops(toks: list[Tok]) -> list[Tok]:
    """Turn ``3 x 4`` / ``3 times 4`` / ``20% of 80`` into multiplication tokens."""
    out = toks
    for i in range(1, len(toks) - 1):
        t = toks[i]
        if t.kind != "WORD" or toks[i - 1].kind not in OPERAND_END:
            continue
        word = t.text.lower()
        if toks[i + 1].kind in OPERAND_START and (
            word in ("x", "times") or (word == "of" and toks[i - 1].text.endswith("%"))
        ):
            if out is toks:
                out = list(toks)
            out[i] = Tok("OP", "*", t.ws)
    return out


def has_gap(toks: list[Tok]) -> bool:
    """Two operands side by side with a space (``2 3/4``, ``3 (4+5)``): ambiguous."""
    for k in range(1, len(toks)):
        b = toks[k]
        if b.ws and b.kind in OPERAND_START and toks[k - 1].kind in OPERAND_END:
            return True
    return False


def tok_text(toks: list[Tok]) -> str:
    if len(toks) == 1:
        return toks[0].text
    return "".join([" " + t.text if t.ws and k else t.text for k, t in enumerate(toks)])
