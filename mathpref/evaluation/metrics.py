"""Metric rows with 95 % intervals from per-example rows (see docs/decisions/0007).

Per (benchmark, model, arm): `accuracy` (first sample correct; Wilson interval), `pass1_avg`
(mean share of correct samples), `pass` at k (unbiased estimator over all n samples) and `maj` at
k (vote over the first k samples), each with a seeded percentile bootstrap over problems.
k runs over powers of two below n and n itself, n being the fewest samples any problem has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from mathpref.evaluation.estimators import (
    bootstrap_means,
    k_grid,
    majority_vote,
    pass_at_k,
    percentile_interval,
    wilson_interval,
)

GROUP = ("benchmark", "model", "arm")


def problem_values(
    keys: Sequence[str | None], statuses: Sequence[str], metric: str, k: int
) -> float:
    """One problem's score for `metric` at `k` from its samples' answer keys and statuses."""
    correct = [s == "correct" for s in statuses]
    if metric == "accuracy":
        return float(correct[0])
    if metric == "pass1_avg":
        return sum(correct) / len(correct)
    if metric == "pass":
        return pass_at_k(len(correct), sum(correct), k)
    if metric == "maj":
        return majority_vote(keys, correct, k).score
    raise ValueError(f"unknown metric '{metric}'")


def metric_plan(n_min: int, ks: Sequence[int] = ()) -> list[tuple[str, int]]:
    """(metric, k) pairs reported for a group whose problems have at least n_min samples."""
    grid = [k for k in (ks or k_grid(n_min)) if k <= n_min]
    plan = [("accuracy", 1), ("pass1_avg", 1)]
    plan += [("pass", k) for k in grid] + [("maj", k) for k in grid]
    return plan


def group_examples(examples: pa.Table) -> dict[tuple, list[dict[str, Any]]]:
    """Example rows per (benchmark, model, arm), each list sorted by problem id."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    cols = [*GROUP, "decoding", "temperature", "problem_id", "answer_keys", "statuses"]
    for row in examples.select(cols).to_pylist():
        groups.setdefault(tuple(row[c] for c in GROUP), []).append(row)
    for rows in groups.values():
        rows.sort(key=lambda r: r["problem_id"])
    return dict(sorted(groups.items()))


def compute_metrics(
    examples: pa.Table,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    ks: Sequence[int] = (),
) -> pa.Table:
    """The `eval_metrics` rows of a per-example table."""
    out = []
    for (benchmark, model, arm), rows in group_examples(examples).items():
        n_min = min(len(r["statuses"]) for r in rows)
        plan = metric_plan(n_min, ks)
        values = np.array(
            [[problem_values(r["answer_keys"], r["statuses"], m, k) for r in rows] for m, k in plan]
        )
        boot = bootstrap_means(values, resamples, seed)
        n = len(rows)
        for i, (metric, k) in enumerate(plan):
            value = float(values[i].mean())
            if metric == "accuracy":
                low, high = wilson_interval(int(values[i].sum()), n, confidence)
                method = "wilson"
            else:
                low, high = percentile_interval(boot[i], confidence)
                method = "bootstrap"
            out.append(
                {
                    "benchmark": benchmark,
                    "model": model,
                    "arm": arm,
                    "decoding": rows[0]["decoding"],
                    "temperature": rows[0]["temperature"],
                    "metric": metric,
                    "k": k,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "ci_method": method,
                    "confidence": confidence,
                    "n_problems": n,
                    "n_samples": n_min,
                }
            )
    return pa.Table.from_pylist(out)
