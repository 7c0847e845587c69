"""Plots of a build or release as deterministic PNG bytes (matplotlib, Agg backend).

Every function takes Arrow tables (or plain rows) and returns PNG bytes: no file paths, no
timestamps and no software version in the PNG metadata, so the same data gives the same bytes.
The dataset card embeds them as files; the HTML report inlines them with `data_uri`.

- `arm_accuracy(trajectories, verifications)`: share verified correct per arm (base rows).
- `pass_rate_histogram(problem_scores)`: problems by pass rate.
- `pair_types(counts)`: rows per config / pair type.
- `length_comparison(chosen, rejected)`: chosen vs rejected completion length (characters).
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "mathpref",
    "path.simplify": True,
}
COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860")


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        from mathpref.errors import MissingDependencyError

        raise MissingDependencyError("matplotlib", "plots") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return matplotlib, plt


def _png(fig) -> bytes:
    _, plt = _pyplot()
    buf = io.BytesIO()
    # metadata={"Software": None} drops the only metadata key Agg writes by default.
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _figure(title: str):
    matplotlib, plt = _pyplot()
    with matplotlib.rc_context(_STYLE):
        fig, ax = plt.subplots(layout="constrained")
    ax.set_title(title)
    return fig, ax


def data_uri(png: bytes) -> str:
    """`data:image/png;base64,...` for an inline <img src=...>."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _empty(ax, text: str = "no rows") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def arm_accuracy(trajectories: pa.Table, verifications: pa.Table) -> bytes:
    """Share of base trajectories verified correct, per arm (with the row count on each bar)."""
    t = trajectories.select(["trajectory_id", "arm", "parent_trajectory_id"])
    t = t.filter(pc.is_null(t["parent_trajectory_id"])).select(["trajectory_id", "arm"])
    j = t.join(verifications.select(["trajectory_id", "status"]), "trajectory_id")
    total, correct = Counter(), Counter()
    for arm, status in zip(j["arm"].to_pylist(), j["status"].to_pylist(), strict=True):
        total[arm] += 1
        correct[arm] += status == "correct"
    arms = sorted(total)
    fig, ax = _figure("Accuracy per arm (verified correct / trajectories)")
    if not arms:
        _empty(ax)
        return _png(fig)
    acc = [correct[a] / total[a] for a in arms]
    bars = ax.bar(range(len(arms)), acc, color=COLORS[0])
    for b, a in zip(bars, arms, strict=True):
        ax.annotate(
            f"{acc[arms.index(a)]:.2f} (n={total[a]})",
            (b.get_x() + b.get_width() / 2, b.get_height()),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.set_xticks(range(len(arms)), arms, rotation=20, ha="right")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy")
    return _png(fig)


def pass_rate_histogram(problem_scores: pa.Table, bins: int = 10) -> bytes:
    """Problems by pass rate (correct / judged); problems with no judged row are left out."""
    rates = [r for r in problem_scores["pass_rate"].to_pylist() if r is not None]
    fig, ax = _figure(f"Pass rate per problem ({len(rates)} problems)")
    if not rates:
        _empty(ax)
        return _png(fig)
    ax.hist(rates, bins=bins, range=(0.0, 1.0), color=COLORS[2], edgecolor="white")
    ax.set_xlabel("pass rate")
    ax.set_ylabel("problems")
    return _png(fig)


def pair_types(counts: Mapping[str, int]) -> bytes:
    """Rows per label (e.g. `dpo/correctness`, `kto/true`), in the given order."""
    fig, ax = _figure("Rows per config and pair type")
    labels = list(counts)
    if not labels:
        _empty(ax)
        return _png(fig)
    values = [counts[k] for k in labels]
    bars = ax.barh(range(len(labels)), values, color=COLORS[1])
    for b, v in zip(bars, values, strict=True):
        ax.annotate(
            str(v),
            (b.get_width(), b.get_y() + b.get_height() / 2),
            va="center",
            fontsize=7,
            xytext=(2, 0),
            textcoords="offset points",
        )
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("rows")
    return _png(fig)


def length_comparison(chosen: Sequence[str], rejected: Sequence[str]) -> bytes:
    """Histograms of chosen and rejected completion lengths in characters."""
    c = [len(x) for x in chosen]
    r = [len(x) for x in rejected]
    fig, ax = _figure("Completion length: chosen vs rejected (characters)")
    if not c and not r:
        _empty(ax)
        return _png(fig)
    top = max(c + r) or 1
    ax.hist(
        [c, r],
        bins=20,
        range=(0, top),
        label=[f"chosen (median {_median(c)})", f"rejected (median {_median(r)})"],
        color=[COLORS[2], COLORS[3]],
    )
    ax.set_xlabel("characters")
    ax.set_ylabel("rows")
    ax.legend(frameon=False)
    return _png(fig)


def _median(xs: list[int]) -> int:
    if not xs:
        return 0
    s = sorted(xs)
    return s[len(s) // 2]
