"""Pair strategies (correctness, coherence, step-level, unpaired/KTO), set-based in DuckDB."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.schemas import get_schema
from mathpref.scoring import _sql
from mathpref.scoring.config import PairConfig
from mathpref.scoring.steps import match_continuations


def _cap_text(value: int | None) -> str:
    return str(value) if value else "all"


def pair_rules(config: PairConfig) -> dict[str, str]:
    """The exact `pair_rule` string each strategy writes, from its parameters."""
    c = config
    return {
        "correctness": f"correctness:cap={_cap_text(c.max_pairs_per_problem)},seed={c.seed},"
                       f"balance={c.balance}",
        "coherence": f"coherence:min_margin={c.min_margin:g},ties={c.tie_policy}",
        "step": f"step:cap={_cap_text(c.step_max_per_trajectory)},seed={c.seed}",
        "unpaired": f"unpaired:cap={_cap_text(c.kto_max_per_label)},seed={c.seed},"
                    f"balance={c.kto_balance}",
    }


def _materialize(con, name: str, params: dict, enabled: bool) -> None:
    if enabled:
        _sql.materialize(con, "pairs", name, params)
    else:  # same columns, no rows: later queries need not know which strategies ran
        text = _sql.read_sql("pairs", name)
        _sql.execute(con, f"CREATE OR REPLACE TEMP TABLE _{name} AS\n"
                          f"SELECT * FROM ({text}) WHERE false", params)


def _count_by_rule(table: pa.Table) -> dict[str, int]:
    if table.num_rows == 0:
        return {}
    agg = table.group_by("pair_rule").aggregate([("pair_rule", "count")])
    return dict(zip(agg["pair_rule"].to_pylist(), agg["pair_rule_count"].to_pylist(),
                    strict=True))


def _scalar(con, text: str) -> int:
    return int(con.sql(text).fetchall()[0][0] or 0)


def _step_pairs(con, config: PairConfig, params: dict, report: dict) -> pa.Table:
    schema = get_schema("step_pairs")
    n_cont = _scalar(con, "SELECT count(*) FROM trajectories "
                          "WHERE parent_trajectory_id IS NOT NULL")
    step = {"continuations_in_input": n_cont, "candidates": 0, "dropped": {}}
    report["step"] = step
    if "step" not in config.strategies:
        report["notes"].append("step-level: strategy not enabled")
        return schema.empty()
    if n_cont == 0:
        report["notes"].append("step-level: no continuations in input")
        return schema.empty()
    candidates = _sql.query(con, "pairs", "step_candidates", params)
    step["candidates"] = candidates.num_rows
    matched, dropped = match_continuations(candidates, config.step_separator)
    step["dropped"] = dict(dropped)
    step["identical_removed"] = int(pc.sum(matched["identical"]).as_py() or 0)
    con.register("_step_matched", matched)
    table = _sql.query(con, "pairs", "step_pairs", {**params, "rule": params["rule_step"],
                                                     "cap": config.cap("step_max_per_trajectory")})
    if table.num_rows == 0:
        report["notes"].append("step-level: continuations exist but none is a verified-correct, "
                               "eligible continuation of a matching error prefix")
    return schema.conform(table)


def build_pairs_in(con, config: PairConfig) -> dict[str, Any]:
    """Build every enabled strategy on a connection holding the input views."""
    rules = pair_rules(config)
    on = set(config.strategies)
    base = {"seed": int(config.seed), "min_pass_rate": float(config.min_pass_rate),
            "max_pass_rate": float(config.max_pass_rate),
            "balance_arm": config.balance == "arm",
            "prompt_from_question": config.prompt_source == "question",
            "rule_step": rules["step"]}
    report: dict[str, Any] = {"strategies": list(config.strategies), "rules": {
        k: v for k, v in rules.items() if k in on}, "notes": []}
    _sql.materialize(con, "pairs", "candidates", base)
    report["candidates"] = _scalar(con, "SELECT count(*) FROM _candidates")
    report["problems_with_candidates"] = _scalar(
        con, "SELECT count(DISTINCT problem_id) FROM _candidates")
    _materialize(con, "correctness", {**base, "rule": rules["correctness"],
                                      "cap": config.cap("max_pairs_per_problem")},
                 "correctness" in on)
    _materialize(con, "coherence", {**base, "rule": rules["coherence"],
                                    "min_margin": float(config.min_margin),
                                    "ties_by_id": config.tie_policy == "trajectory_id"},
                 "coherence" in on)
    report["correctness_candidate_pairs"] = _scalar(con, "SELECT count(*) FROM _correctness")
    report["identical_removed"] = {
        rules["correctness"]: _scalar(con, "SELECT count(*) FROM _correctness WHERE identical"),
        rules["coherence"]: _scalar(con, "SELECT count(*) FROM _coherence WHERE identical"),
    }
    pairs = get_schema("pairs").conform(_sql.query(con, "pairs", "pairs", base))
    step_pairs = _step_pairs(con, config, base, report)
    kto_schema = get_schema("kto_rows")
    if "unpaired" in on:
        kto = kto_schema.conform(_sql.query(con, "pairs", "kto", {
            **base, "rule": rules["unpaired"], "cap": config.cap("kto_max_per_label"),
            "balance_label": config.kto_balance == "label"}))
    else:
        kto = kto_schema.empty()
    report["counts"] = {"pairs": _count_by_rule(pairs), "step_pairs": _count_by_rule(step_pairs),
                        "kto_rows": _count_by_rule(kto)}
    by_type: dict[str, int] = {}
    for table in (pairs, step_pairs, kto):
        for t, n in zip(*pc.value_counts(table["pair_type"]).flatten(), strict=True):
            by_type[t.as_py()] = by_type.get(t.as_py(), 0) + n.as_py()
    report["by_type"] = by_type
    return {"pairs": pairs, "step_pairs": step_pairs, "kto_rows": kto, "report": report}


def build_pairs(problems: pa.Table, trajectories: pa.Table, verifications: pa.Table,
                trajectory_scores: pa.Table, problem_scores: pa.Table,
                config: PairConfig | None = None) -> dict[str, Any]:
    """Build `pairs`, `step_pairs` and `kto_rows` (schema-conformed tables) plus `report`.

    `report` holds the rules, row counts per dataset and pair_rule, counts per pair_type,
    identical-text removals, step-level diagnostics and human-readable `notes`.
    """
    config = config or PairConfig()
    con = _sql.connect()
    try:
        _sql.register(con, {"problems": problems, "trajectories": trajectories,
                            "verifications": verifications,
                            "trajectory_scores": trajectory_scores,
                            "problem_scores": problem_scores})
        return build_pairs_in(con, config)
    finally:
        con.close()
