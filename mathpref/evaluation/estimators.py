"""Per-problem scores and interval estimates for evaluation metrics (docs/decisions/0007).

Everything here is plain Python/numpy over small inputs (one problem's samples, or one value per
problem), so the same functions serve the metrics stage, `mathpref eval compare` and the tests.

- `pass_at_k(n, c, k)`: the unbiased estimator 1 - C(n-c, k) / C(n, k) (Chen et al. 2021), exact
  with integers; 1.0 when n - c < k (every k-subset holds a correct sample).
- `majority_vote(keys, correct, k)`: maj@k of one problem over its first k samples.
- `wilson_interval(successes, n)`: Wilson score interval of a proportion.
- `bootstrap_means` / `percentile_interval`: seeded percentile bootstrap over problems.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with n samples of which c are correct."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"pass@k needs 0 <= c <= n and k >= 1, got n={n}, c={c}, k={k}")
    if k > n:
        raise ValueError(f"pass@{k} is undefined with only n={n} sample(s)")
    if n - c < k:
        return 1.0
    return float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))


@dataclass(frozen=True)
class Vote:
    """The outcome of a majority vote over one problem's first k samples.

    `winners` are the answer keys with the most votes, in order of first appearance; `score` is
    the mean correctness of those keys (1 or 0 without a tie); no votes at all scores 0.
    """

    winners: tuple[str, ...]
    votes: int
    score: float

    @property
    def tied(self) -> bool:
        return len(self.winners) > 1


def majority_vote(keys: Sequence[str | None], correct: Sequence[bool], k: int) -> Vote:
    """maj@k over the first k samples (in sample order); a null key casts no vote.

    An answer key counts as correct when any of its votes was verified correct (equal keys are
    the same canonical answer; a timeout beside a correct verdict is a grader failure).
    """
    if len(keys) != len(correct):
        raise ValueError("keys and correct must have the same length")
    if k < 1 or k > len(keys):
        raise ValueError(f"maj@{k} is undefined with {len(keys)} sample(s)")
    counts: dict[str, int] = {}
    key_correct: dict[str, bool] = {}
    for key, ok in zip(keys[:k], correct[:k], strict=True):
        if key is None:
            continue
        counts[key] = counts.get(key, 0) + 1
        key_correct[key] = key_correct.get(key, False) or bool(ok)
    if not counts:
        return Vote((), 0, 0.0)
    top = max(counts.values())
    winners = tuple(key for key, n in counts.items() if n == top)  # dicts keep first appearance
    return Vote(winners, top, sum(key_correct[w] for w in winners) / len(winners))


def z_value(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of successes / n; (0, 1) when n is 0."""
    if n == 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n], got {successes} of {n}")
    z = z_value(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


BOOTSTRAP_CHUNK = 250  # resamples drawn per step (fixed: the draws depend on it)


def bootstrap_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Means of each row of `values` (m metrics x n problems) over `resamples` bootstrap draws
    of the problems (with replacement), as an (m, resamples) array.

    One draw of problem indices serves every row, so the intervals of one group (and both runs
    of a paired comparison, whose rows are aligned by problem) come from the same resamples.
    The draws come from PCG64(seed) in fixed chunks, so the result is reproducible and memory
    stays at chunk x n indices whatever the number of resamples.
    """
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    n = values.shape[1]
    if resamples < 1 or n < 1:
        raise ValueError("bootstrap needs at least one problem and one resample")
    rng = np.random.Generator(np.random.PCG64(seed))
    out = np.empty((values.shape[0], resamples))
    for start in range(0, resamples, BOOTSTRAP_CHUNK):
        size = min(BOOTSTRAP_CHUNK, resamples - start)
        idx = rng.integers(0, n, size=(size, n), dtype=np.int64)
        for row in range(values.shape[0]):
            out[row, start : start + size] = values[row][idx].mean(axis=1)
    return out


def percentile_interval(samples: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """The central `confidence` interval of bootstrap samples (percentile method)."""
    z_value(confidence)  # validates
    alpha = (1 - confidence) / 2
    low, high = np.quantile(samples, [alpha, 1 - alpha], method="linear")
    return (float(low), float(high))


def k_grid(n: int) -> list[int]:
    """The k values reported for n samples per problem: powers of two below n, and n."""
    ks, k = [], 1
    while k < n:
        ks.append(k)
        k *= 2
    return ks + [n]
