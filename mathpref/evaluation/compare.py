"""Paired comparison of evaluation runs on the problems they share (docs/decisions/0007).

Problems are matched by (benchmark, problem_id) and only those every run has are used. Greedy
correctness is compared with the exact McNemar test (two-sided binomial test on the discordant
pairs); maj@k and pass@k with a paired bootstrap: one seeded draw of problem indices resamples
every run at once, and Δ's interval and p-value come from the resampled differences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa

from mathpref.errors import MathprefError
from mathpref.evaluation.estimators import bootstrap_means, percentile_interval, wilson_interval
from mathpref.evaluation.metrics import problem_values


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs (1.0 when there are none)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def bootstrap_p(deltas: np.ndarray) -> float:
    """Two-sided bootstrap p-value of a difference: twice the smaller share of resampled
    differences on either side of 0 (ties with 0 count on both sides), at most 1."""
    below = float(np.mean(deltas <= 0))
    above = float(np.mean(deltas >= 0))
    return min(1.0, 2 * min(below, above))


@dataclass
class RunData:
    name: str
    examples: pa.Table  # rows of eval_examples


@dataclass
class Estimate:
    value: float
    low: float
    high: float


@dataclass
class Delta(Estimate):
    p: float = 1.0
    test: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    name: str
    model: str
    greedy: Estimate
    maj: Estimate | None
    pass_: Estimate | None
    d_greedy: Delta | None = None
    d_maj: Delta | None = None
    d_pass: Delta | None = None


@dataclass
class Comparison:
    runs: list[RunResult]
    n_problems: int
    k: int | None
    benchmarks: list[str]
    confidence: float
    alpha: float
    notes: list[str]
    resamples: int = 0


def _arm(rows: list[dict], decoding: tuple[str, ...], run: str, prefer: str) -> str | None:
    arms = sorted({r["arm"] for r in rows if r["decoding"] in decoding})
    if prefer in arms:
        return prefer
    if len(arms) > 1:
        raise MathprefError(f"run '{run}' has several {decoding[0]} arms {arms}; keep one")
    return arms[0] if arms else None


def _per_problem(run: RunData):
    rows = run.examples.to_pylist()
    g_arm = _arm(rows, ("greedy",), run.name, "greedy")
    if g_arm is None:
        raise MathprefError(
            f"run '{run.name}' has no greedy arm (decoding 'greedy'): set decoding = "
            '{ ARM = "greedy" } on its metrics stage, or evaluate with mathpref eval'
        )
    s_arm = _arm(rows, ("sampled", "unknown"), run.name, "sampled")
    greedy = {(r["benchmark"], r["problem_id"]): r for r in rows if r["arm"] == g_arm}
    sampled = {(r["benchmark"], r["problem_id"]): r for r in rows if r["arm"] == s_arm}
    models = sorted({r["model"] for r in greedy.values()})
    return greedy, sampled, ", ".join(models)


def compare_runs(
    runs: list[RunData],
    *,
    k: int | None = None,
    confidence: float = 0.95,
    alpha: float = 0.05,
    resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    if len(runs) < 2:
        raise MathprefError("compare needs at least two runs")
    data = [_per_problem(r) for r in runs]
    notes: list[str] = []
    shared = set.intersection(*(set(g) for g, _, _ in data))
    with_samples = all(s for _, s, _ in data)
    if with_samples:
        shared &= set.intersection(*(set(s) for _, s, _ in data))
    else:
        notes.append("maj@k and pass@k left out: not every run has a sampled arm")
    if not shared:
        raise MathprefError("the runs share no problem (matched by benchmark and problem id)")
    keys = sorted(shared)
    for run, (g, _, _) in zip(runs, data, strict=True):
        if len(g) > len(keys):
            notes.append(f"run '{run.name}': {len(g) - len(keys)} problem(s) not shared, left out")
    if with_samples:
        n_min = min(len(s[key]["statuses"]) for _, s, _ in data for key in keys)
        if k is None:
            k = n_min
        elif not 1 <= k <= n_min:
            raise MathprefError(f"--k must be in [1, {n_min}] (the fewest samples of any run)")
    else:
        k = None
    rows = []  # per run: greedy, maj, pass value vectors
    for g, s, _ in data:
        vec = [[float(g[key]["first_correct"]) for key in keys]]
        if with_samples:
            for metric in ("maj", "pass"):
                vec.append(
                    [
                        problem_values(s[key]["answer_keys"], s[key]["statuses"], metric, k)
                        for key in keys
                    ]
                )
        rows.append(np.array(vec))
    n_metrics = rows[0].shape[0]
    stacked = np.vstack(rows + [r - rows[0] for r in rows[1:]])
    boot = bootstrap_means(stacked, resamples, seed)
    results = []
    for i, (run, (_, _, model)) in enumerate(zip(runs, data, strict=True)):
        vals = rows[i]
        succ = int(vals[0].sum())
        greedy = Estimate(succ / len(keys), *wilson_interval(succ, len(keys), confidence))
        est = [
            Estimate(
                float(vals[m].mean()), *percentile_interval(boot[i * n_metrics + m], confidence)
            )
            for m in range(1, n_metrics)
        ]
        res = RunResult(run.name, model, greedy, *(est or [None, None]))
        if i:
            base = len(runs) * n_metrics + (i - 1) * n_metrics
            deltas = [
                Delta(
                    float((vals[m] - rows[0][m]).mean()),
                    *percentile_interval(boot[base + m], confidence),
                    p=bootstrap_p(boot[base + m]),
                    test="paired bootstrap",
                )
                for m in range(n_metrics)
            ]
            b = int(((rows[0][0] == 1) & (vals[0] == 0)).sum())
            c = int(((rows[0][0] == 0) & (vals[0] == 1)).sum())
            deltas[0].p, deltas[0].test = mcnemar_exact(b, c), "exact McNemar"
            deltas[0].detail = {"b": b, "c": c}
            res.d_greedy = deltas[0]
            if with_samples:
                res.d_maj, res.d_pass = deltas[1], deltas[2]
        results.append(res)
    benchmarks = sorted({b for b, _ in keys})
    return Comparison(results, len(keys), k, benchmarks, confidence, alpha, notes, resamples)


def format_p(d: Delta, resamples: int) -> str:
    """A p-value for display; a bootstrap p of 0 is below its resolution, 1 / resamples."""
    if d.p == 0 and d.test == "paired bootstrap":
        return f"< {1 / resamples:.2g}"
    return f"{d.p:.4g}"


def verdicts(comp: Comparison) -> list[str]:
    """Plain sentences, one per difference, that say whether it is significant."""
    out = []
    first = comp.runs[0].name
    level = f"{comp.confidence:.0%}"
    for r in comp.runs[1:]:
        for label, d in (
            ("greedy accuracy", r.d_greedy),
            (f"maj@{comp.k}", r.d_maj),
            (f"pass@{comp.k}", r.d_pass),
        ):
            if d is None:
                continue
            extra = f" (b = {d.detail['b']}, c = {d.detail['c']})" if d.detail else ""
            head = (
                f"{r.name} vs {first}: {label} {100 * d.value:+.2f} points "
                f"[{100 * d.low:+.2f}, {100 * d.high:+.2f}] ({level} CI), "
                f"{d.test} p = {format_p(d, comp.resamples)}{extra}"
            )
            if d.p < comp.alpha:
                out.append(f"{head}: significant at alpha = {comp.alpha}.")
            else:
                out.append(
                    f"{head}: NOT significant at alpha = {comp.alpha}; this difference may be "
                    "noise."
                )
    return out
