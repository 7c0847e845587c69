"""Report-only plots as PNG bytes: maj@k / pass@k curves and s_end against correctness.

The build and release plots (per-arm accuracy, pass-rate histogram, pair types, chosen vs rejected
length) live in `mathpref.plots`; these use its style and PNG writer (no metadata, so the same rows
give the same bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The plotting module's style, figure and PNG helpers, so every plot of a page looks alike.
from mathpref.plots import COLORS, _empty, _figure, _png


def metric_curves(metrics: Sequence[dict[str, Any]]) -> bytes:
    """maj@k and pass@k against k, one pair of lines per (benchmark, model, arm) with sampled
    decoding, each with its 95 % interval as a band; greedy accuracy as a dashed line."""
    fig, ax = _figure("maj@k and pass@k (95 % intervals)")
    groups: dict[tuple, list[dict]] = {}
    for r in metrics:
        groups.setdefault((r["benchmark"], r["model"], r["arm"]), []).append(r)
    color_i, ks_seen = 0, set()
    for (bench, _model, arm), rows in sorted(groups.items()):
        if rows[0]["decoding"] == "greedy":
            acc = next((r for r in rows if r["metric"] == "accuracy"), None)
            if acc is not None:
                ax.axhline(
                    100 * acc["value"],
                    color="#555555",
                    linestyle="--",
                    linewidth=1,
                    label=f"greedy accuracy ({arm})",
                )
            continue
        for metric, marker in (("pass", "o"), ("maj", "s")):
            pts = sorted((r for r in rows if r["metric"] == metric), key=lambda r: r["k"])
            if not pts:
                continue
            ks = [r["k"] for r in pts]
            ks_seen.update(ks)
            color = COLORS[color_i % len(COLORS)]
            color_i += 1
            ax.plot(
                ks,
                [100 * r["value"] for r in pts],
                marker=marker,
                color=color,
                label=f"{metric}@k {arm}" + (f" ({bench})" if len(groups) > 2 else ""),
            )
            ax.fill_between(
                ks,
                [100 * r["ci_low"] for r in pts],
                [100 * r["ci_high"] for r in pts],
                color=color,
                alpha=0.15,
                linewidth=0,
            )
    if not ks_seen:
        _empty(ax, "no sampled arm")
    else:
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(ks_seen), [str(k) for k in sorted(ks_seen)])
    ax.set_xlabel("k (samples)")
    ax.set_ylabel("% of problems")
    lows = [100 * r["ci_low"] for r in metrics] or [0.0]
    highs = [100 * r["ci_high"] for r in metrics] or [100.0]
    ax.set_ylim(max(0.0, min(lows) - 5), min(100.0, max(highs) + 5) + 1e-9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def s_end_vs_correctness(problem_scores: Sequence[dict[str, Any]], bins: int = 10) -> bytes:
    """Per s_end bin (answer agreement): the share of problems whose majority answer is correct
    and their mean pass rate, with the problem count above each bar."""
    fig, ax = _figure("Answer agreement (s_end) vs correctness")
    counts = [0] * bins
    majority = [0] * bins
    pass_sum = [0.0] * bins
    pass_n = [0] * bins
    for r in problem_scores:
        if r.get("s_end") is None:
            continue
        b = min(int(r["s_end"] * bins), bins - 1)
        counts[b] += 1
        majority[b] += bool(r.get("majority_is_correct"))
        if r.get("pass_rate") is not None:
            pass_sum[b] += r["pass_rate"]
            pass_n[b] += 1
    xs = [(i + 0.5) / bins for i in range(bins)]
    used = [i for i in range(bins) if counts[i]]
    if not used:
        _empty(ax, "no s_end values")
        return _png(fig)
    bars = ax.bar(
        [xs[i] for i in used],
        [100 * majority[i] / counts[i] for i in used],
        width=0.8 / bins,
        color=COLORS[0],
        label="majority answer correct",
    )
    for bar, i in zip(bars, used, strict=True):
        ax.annotate(
            f"n={counts[i]}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    with_pass = [i for i in used if pass_n[i]]
    ax.plot(
        [xs[i] for i in with_pass],
        [100 * pass_sum[i] / pass_n[i] for i in with_pass],
        marker="o",
        color=COLORS[1],
        label="mean pass rate",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 112)
    ax.set_xlabel("s_end (share of agreeing answer pairs)")
    ax.set_ylabel("%")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8, frameon=False)
    return _png(fig)
