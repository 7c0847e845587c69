"""What the HTML report shows, read from a build: figures (PNG bytes), tables and notes.

Each section appears only when the build has its datasets: trajectories and verifications give
per-arm accuracy; problem scores the pass-rate histogram and s_end against correctness; pairs the
pair types and chosen vs rejected lengths; evaluation metrics the maj@k / pass@k curves, the
metrics table and a paired comparison with other evaluation runs of the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from mathpref.errors import MathprefError
from mathpref.evaluation.runs import has_eval_results, run_dataset
from mathpref.store import Store


@dataclass
class Figure:
    key: str
    title: str
    png: bytes
    caption: str = ""


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@dataclass
class Report:
    pipeline: str
    built_at: str
    stages: list[dict[str, Any]]
    sections: list[Section]


def _tables(st: Store, ref) -> dict[str, pa.Table]:
    by_kind: dict[str, list[pa.Table]] = {}
    for outs in ref.outputs().values():
        for out in outs.values():
            if out["rows"]:
                by_kind.setdefault(out["kind"], []).append(st.read(out["dataset_id"]))
    return {k: pa.concat_tables(v, promote_options="default") for k, v in by_kind.items()}


def collect(st: Store, pipeline: str | None, compare: list[str] | None = None) -> Report:
    from mathpref import plots
    from mathpref.report import eval_plots

    ref = st.read_ref(pipeline)
    name = ref["pipeline"]
    t = _tables(st, ref)
    sections = []
    if "trajectories" in t and "verifications" in t:
        sec = Section("Trajectories")
        sec.figures.append(
            Figure(
                "arm_accuracy",
                "Accuracy per arm",
                plots.arm_accuracy(t["trajectories"], t["verifications"]),
                "Share of base trajectories verified correct; unverifiable, timeout and error "
                "count as not correct.",
            )
        )
        sections.append(sec)
    if "problem_scores" in t:
        ps = t["problem_scores"]
        sec = Section("Problem scores")
        sec.figures.append(
            Figure("pass_rate_histogram", "Pass rate", plots.pass_rate_histogram(ps))
        )
        sec.figures.append(
            Figure(
                "s_end_vs_correctness",
                "s_end vs correctness",
                eval_plots.s_end_vs_correctness(ps.to_pylist()),
                "Problems binned by answer agreement (s_end): how often the majority answer is "
                "correct, and the mean pass rate.",
            )
        )
        sections.append(sec)
    if "step_labels" in t and "verifications" in t and "trajectories" in t:
        from mathpref.report.step_agreement import step_source_agreement

        sec = Section("Step sources")
        sec.lines.append(
            "Pairwise agreement of first-wrong-step sources (exact match, 'no wrong step' "
            "included) on the trajectories both label."
        )
        sec.tables.append(("step_source_agreement", step_source_agreement(t)))
        sections.append(sec)
    pair_kinds = [k for k in ("pairs", "step_pairs", "kto_rows") if k in t]
    if pair_kinds:
        sec = Section("Pairs")
        counts: dict[str, int] = {}
        for kind in pair_kinds:
            for pt in t[kind]["pair_type"].to_pylist():
                counts[f"{kind}/{pt}"] = counts.get(f"{kind}/{pt}", 0) + 1
        sec.figures.append(Figure("pair_types", "Pair types", plots.pair_types(counts)))
        if "pairs" in t:
            p = t["pairs"]
            sec.figures.append(
                Figure(
                    "length_comparison",
                    "Chosen vs rejected length",
                    plots.length_comparison(p["chosen"].to_pylist(), p["rejected"].to_pylist()),
                )
            )
        sections.append(sec)
    if "eval_metrics" in t:
        sections.append(_evaluation(st, name, t["eval_metrics"], compare))
    stages = [
        {
            "stage": s,
            "kind": info["kind"],
            "status": info.get("status", ""),
            "rows": ", ".join(f"{r} {o['rows']:,}" for r, o in info["outputs"].items()),
        }
        for s, info in ref.stages.items()
    ]
    return Report(name, ref.built_at, stages, sections)


def _evaluation(st: Store, name: str, metrics: pa.Table, compare: list[str] | None) -> Section:
    from mathpref.report import eval_plots

    rows = metrics.to_pylist()
    sec = Section("Evaluation")
    sec.figures.append(
        Figure(
            "metric_curves",
            "maj@k and pass@k",
            eval_plots.metric_curves(rows),
            "Unbiased pass@k over all samples and majority vote of the first k samples; "
            "bands are 95 % bootstrap intervals over problems.",
        )
    )
    order = {"accuracy": 0, "pass1_avg": 1, "maj": 2, "pass": 3}
    rows.sort(key=lambda r: (r["benchmark"], r["model"], r["arm"], order[r["metric"]], r["k"]))
    sec.tables.append(
        (
            "Metrics (95 % intervals: Wilson for accuracy, bootstrap otherwise)",
            [
                {
                    "benchmark": r["benchmark"],
                    "model": r["model"],
                    "arm": r["arm"],
                    "metric": r["metric"]
                    if r["metric"] in ("accuracy", "pass1_avg")
                    else f"{r['metric']}@{r['k']}",
                    "value %": f"{100 * r['value']:.2f}",
                    "CI %": f"[{100 * r['ci_low']:.2f}, {100 * r['ci_high']:.2f}]",
                    "problems": r["n_problems"],
                }
                for r in rows
            ],
        )
    )
    _comparison(st, name, compare, sec)
    return sec


def _comparison(st: Store, name: str, compare: list[str] | None, sec: Section) -> None:
    from mathpref.evaluation.compare import RunData, compare_runs, verdicts
    from mathpref.evaluation.compare_table import comparison_rows

    others = list(compare) if compare else _other_eval_runs(st, name)
    if not others:
        sec.lines.append("No other evaluation run in the store to compare with.")
        return
    try:
        runs = [RunData(r, run_dataset(st, r)) for r in [name, *others]]
        comp = compare_runs(runs)
    except MathprefError as exc:
        sec.lines.append(f"No paired comparison: {exc}.")
        return
    sec.tables.append(
        (
            f"Paired comparison on {comp.n_problems} shared problem(s) "
            f"(Δ against {name}, percentage points)",
            comparison_rows(comp),
        )
    )
    sec.lines.extend(comp.notes + verdicts(comp))


def _other_eval_runs(st: Store, name: str) -> list[str]:
    """Other builds with evaluation results on a benchmark this one has."""
    mine = set(run_dataset(st, name)["benchmark"].to_pylist())
    out = []
    for ref in st.list_refs():
        if ref.pipeline == name:
            continue
        if has_eval_results(ref):
            try:
                if mine & set(run_dataset(st, ref.pipeline)["benchmark"].to_pylist()):
                    out.append(ref.pipeline)
            except MathprefError:
                continue
    return sorted(out)
