"""Exact rational arithmetic on columns: ``a op b op c ...`` for many rows at once (numpy int64).

Each row is a chain of up to ``K`` non-negative decimal operands joined by ``+ - * /`` with the
usual precedence (``*``/``/`` before ``+``/``-``, left to right). Values are kept as reduced
fractions ``p/q`` (``q > 0``) in int64. A row whose exact value cannot be kept in int64 -- a
product that could pass 2**62, checked in float64 before each multiplication -- or that divides
by zero is flagged ``bad``; callers hand those rows to the per-row checker, never a wrong value.
"""

from __future__ import annotations

import numpy as np

LIMIT = float(2**62)
OP_ADD, OP_SUB, OP_MUL, OP_DIV = 0, 1, 2, 3
_POW10 = np.array([10**k for k in range(19)], dtype=np.int64)


def decimals(mantissa: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``mantissa / 10**scale`` as reduced (p, q); ``scale`` at most 18."""
    return _reduce(mantissa.astype(np.int64), _POW10[scale])


def _reduce(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g = np.gcd(p, q)
    g[g == 0] = 1
    return p // g, q // g


def _mul(ap, aq, bp, bq):
    """(ap/aq) * (bp/bq), cross-reduced first so that products stay as small as they can;
    returns (p, q, risky)."""
    g1 = np.gcd(ap, bq)
    g2 = np.gcd(bp, aq)
    g1[g1 == 0] = 1
    g2[g2 == 0] = 1
    ap, bq, bp, aq = ap // g1, bq // g1, bp // g2, aq // g2
    risky = np.abs(ap.astype(np.float64) * bp) > LIMIT
    risky |= np.abs(aq.astype(np.float64) * bq) > LIMIT
    return ap * bp, aq * bq, risky


def _add(ap, aq, bp, bq):
    """(ap/aq) + (bp/bq) over the least common denominator; returns (p, q, risky)."""
    g = np.gcd(aq, bq)
    m_a, m_b = bq // g, aq // g
    risky = np.abs(ap.astype(np.float64) * m_a) + np.abs(bp.astype(np.float64) * m_b) > LIMIT
    risky |= np.abs(aq.astype(np.float64) * m_a) > LIMIT
    return *_reduce(ap * m_a + bp * m_b, aq * m_a), risky


def evaluate(
    p: np.ndarray, q: np.ndarray, ops: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value of each row's chain: operands ``p[:, j] / q[:, j]`` (reduced, ``j < n``), operators
    ``ops[:, j - 1]`` between operand ``j - 1`` and ``j``. Returns (p, q, bad)."""
    rows, k = p.shape
    bad = np.zeros(rows, bool)
    sp, sq = np.zeros(rows, np.int64), np.ones(rows, np.int64)  # sum of the finished terms
    tp, tq = p[:, 0].copy(), q[:, 0].copy()  # the term being built
    for j in range(1, k):
        live = j < n
        if not live.any():
            break
        op = ops[:, j - 1]
        xp, xq = p[:, j], q[:, j]
        prod = live & ((op == OP_MUL) | (op == OP_DIV))
        if prod.any():
            div = op == OP_DIV
            bad |= prod & div & (xp == 0)
            bp = np.where(div, xq, xp)
            bq = np.where(div, np.where(xp == 0, 1, xp), xq)
            mp, mq, risky = _mul(tp, tq, bp, bq)
            bad |= prod & risky
            tp, tq = np.where(prod, mp, tp), np.where(prod, mq, tq)
        add = live & ((op == OP_ADD) | (op == OP_SUB))
        if add.any():
            ap_, aq_, risky = _add(sp, sq, tp, tq)
            bad |= add & risky
            sp, sq = np.where(add, ap_, sp), np.where(add, aq_, sq)
            tp = np.where(add, np.where(op == OP_SUB, -xp, xp), tp)
            tq = np.where(add, xq, tq)
    fp, fq, risky = _add(sp, sq, tp, tq)
    return fp, fq, bad | risky
