"""The comparison as a table (one row per run) and as JSON, for the CLI and the HTML report."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pyarrow as pa

from mathpref.evaluation.compare import Comparison, Delta, Estimate, format_p


def _est(e: Estimate | None) -> str:
    if e is None:
        return "-"
    return f"{100 * e.value:.2f} [{100 * e.low:.2f}, {100 * e.high:.2f}]"


def _delta(d: Delta | None) -> str:
    if d is None:
        return "-"
    return f"{100 * d.value:+.2f} [{100 * d.low:+.2f}, {100 * d.high:+.2f}]"


def _p(d: Delta | None, comp: Comparison) -> str:
    if d is None:
        return "-"
    return format_p(d, comp.resamples) + ("" if d.p < comp.alpha else " (n.s.)")


def comparison_rows(comp: Comparison) -> list[dict[str, str]]:
    """Rows of display strings; values and deltas in percentage points."""
    k = comp.k
    rows = []
    for r in comp.runs:
        row = {
            "run": r.name,
            "model": r.model,
            "greedy % [CI]": _est(r.greedy),
            "Δ greedy": _delta(r.d_greedy),
            "p (McNemar)": _p(r.d_greedy, comp),
        }
        if k is not None:
            row.update(
                {
                    f"maj@{k} % [CI]": _est(r.maj),
                    f"Δ maj@{k}": _delta(r.d_maj),
                    f"p maj@{k}": _p(r.d_maj, comp),
                    f"pass@{k} % [CI]": _est(r.pass_),
                    f"Δ pass@{k}": _delta(r.d_pass),
                    f"p pass@{k}": _p(r.d_pass, comp),
                }
            )
        rows.append(row)
    return rows


def comparison_table(comp: Comparison) -> pa.Table:
    return pa.Table.from_pylist(comparison_rows(comp))


def comparison_json(comp: Comparison) -> dict[str, Any]:
    out = asdict(comp)
    for run in out["runs"]:
        run["pass"] = run.pop("pass_")
        run["d_pass"] = run.pop("d_pass")
    return out
