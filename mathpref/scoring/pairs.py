"""Pair strategies (correctness, coherence, step-level, unpaired/KTO), set-based in DuckDB.

SQL (`sql/pairs/*.sql`) selects, samples and sorts narrow rows; the text columns are then taken
from the input Arrow tables by row position (`_row`), so no completion text is copied through SQL.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.db import connection as _sql
from mathpref.schemas import get_schema
from mathpref.scoring.config import PairConfig
from mathpref.scoring.step_sources import rule_suffix
from mathpref.scoring.steps import build_step_pairs

# A 64-bit hash of each completion (`text_hash`), so candidates.sql can drop pairs whose two
# texts are byte-identical without the texts passing through the SQL.
TEXT_HASH = "text_hash"


def text_hash(completion: pa.Array | pa.ChunkedArray) -> pa.Array:
    """64-bit hashes of the texts (polars' string hash; equal texts, equal hashes)."""
    import polars as pl

    return pl.Series(completion).hash(seed=0).to_arrow()


def with_text_hash(trajectories: pa.Table) -> pa.Table:
    """`trajectories` with a `text_hash` column of its completions (kept when it has one)."""
    if TEXT_HASH in trajectories.column_names:
        return trajectories
    return trajectories.append_column(TEXT_HASH, text_hash(trajectories["completion"]))


def _cap_text(value: int | None) -> str:
    return str(value) if value else "all"


def pair_rules(config: PairConfig) -> dict[str, str]:
    """The exact `pair_rule` string each strategy writes, from its parameters."""
    c = config
    return {
        "correctness": f"correctness:cap={_cap_text(c.max_pairs_per_problem)},seed={c.seed},"
        f"balance={c.balance}",
        "coherence": f"coherence:min_margin={c.min_margin:g},ties={c.tie_policy}",
        "step": f"step:cap={_cap_text(c.step_max_per_trajectory)},seed={c.seed}"
        + rule_suffix(c.step_sources),
        "unpaired": f"unpaired:cap={_cap_text(c.kto_max_per_label)},seed={c.seed},"
        f"balance={c.kto_balance}",
    }


def _materialize(con, name: str, params: dict, enabled: bool) -> None:
    if enabled:
        _sql.materialize(con, "pairs", name, params)
    else:  # same columns, no rows: later queries need not know which strategies ran
        text = _sql.read_sql("pairs", name)
        _sql.execute(
            con,
            f"CREATE OR REPLACE TEMP TABLE _{name} AS\nSELECT * FROM ({text}) WHERE false",
            params,
        )


def _take(
    narrow: pa.Table, kind: str, texts: dict[str, pa.ChunkedArray], conform: bool = True
) -> pa.Table:
    """Add the text columns, drop the *_row columns, and conform to the schema of `kind`.

    With `conform=False` a text column whose source is one Array becomes a dictionary column over
    that source (row positions as indices): no text is copied until the table is conformed (cast
    to plain strings) by whoever writes it.
    """
    rows = [n for n in narrow.column_names if n == "row" or n.endswith("_row")]
    out = narrow.drop_columns(rows)
    for name, (source, index) in texts.items():
        if not conform and isinstance(source, pa.Array):
            idx = narrow[index]
            column = pa.chunked_array(
                [pa.DictionaryArray.from_arrays(c, source) for c in idx.chunks],
                pa.dictionary(idx.type, source.type),
            )
        else:
            column = source.take(narrow[index])
        out = out.append_column(name, column)
    return get_schema(kind).conform(out) if conform else out


def count_by_rule(table: pa.Table) -> dict[str, int]:
    if table.num_rows == 0:
        return {}
    agg = table.group_by("pair_rule").aggregate([("pair_rule", "count")])
    return dict(zip(agg["pair_rule"].to_pylist(), agg["pair_rule_count"].to_pylist(), strict=True))


def scalar(con, text: str) -> int:
    return int(con.sql(text).fetchall()[0][0] or 0)


def _drop_temp(con) -> None:
    for name in ("_candidates", "_correctness", "_coherence", "_error_steps"):
        con.execute(f"DROP TABLE IF EXISTS {name}").fetchall()
    if "_step_matched" in _sql.views(con):
        con.unregister("_step_matched")


def select_pairs(con, config: PairConfig) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """Run every enabled strategy on a connection holding the input views (problems and
    trajectories registered with row numbers). Returns the narrow tables (texts still to be
    taken, except step_pairs which is complete) and the report."""
    rules = pair_rules(config)
    on = set(config.strategies)
    base = {
        "seed": int(config.seed),
        "min_pass_rate": float(config.min_pass_rate),
        "max_pass_rate": float(config.max_pass_rate),
        "balance_arm": config.balance == "arm",
        "prompt_from_question": config.prompt_source == "question",
        "rule_correctness": rules["correctness"],
        "rule_coherence": rules["coherence"],
    }
    report: dict[str, Any] = {
        "strategies": list(config.strategies),
        "rules": {k: v for k, v in rules.items() if k in on},
        "notes": [],
    }
    orphans = scalar(
        con,
        "SELECT count(*) FROM trajectory_scores WHERE problem_id NOT IN "
        "(SELECT problem_id FROM problem_scores)",
    )
    if orphans:
        report["notes"].append(f"{orphans} trajectories have no problem_scores row: left out")
    _sql.materialize(con, "pairs", "candidates", base)
    report["candidates"] = scalar(con, "SELECT count(*) FROM _candidates")
    report["problems_with_candidates"] = scalar(
        con, "SELECT count(DISTINCT problem_id) FROM _candidates"
    )
    report["correctness_candidate_pairs"] = scalar(
        con,
        "SELECT sum(nc * ni) FROM (SELECT count(*) FILTER (WHERE status = 'correct') AS nc,"
        " count(*) FILTER (WHERE status = 'incorrect') AS ni"
        " FROM _candidates GROUP BY problem_id)",
    )
    _materialize(
        con,
        "correctness",
        {**base, "cap": config.cap("max_pairs_per_problem")},
        "correctness" in on,
    )
    _materialize(
        con,
        "coherence",
        {
            **base,
            "min_margin": float(config.min_margin),
            "ties_by_id": config.tie_policy == "trajectory_id",
        },
        "coherence" in on,
    )
    report["identical_removed"] = {
        rules[name]: scalar(con, f"SELECT count(*) FROM _{name} WHERE identical")
        for name in ("correctness", "coherence")
        if name in on
    }
    narrow = {"pairs": _sql.query(con, "pairs", "pairs", base)}
    narrow["step_pairs"] = build_step_pairs(
        con,
        config,
        {**base, "rule": rules["step"], "cap": config.cap("step_max_per_trajectory")},
        report,
    )
    if "unpaired" in on:
        narrow["kto_rows"] = _sql.query(
            con,
            "pairs",
            "kto",
            {
                **base,
                "rule": rules["unpaired"],
                "cap": config.cap("kto_max_per_label"),
                "balance_label": config.kto_balance == "label",
            },
        )
    _drop_temp(con)
    return narrow, report


def attach_texts(
    narrow: dict[str, pa.Table],
    problems: pa.Table,
    trajectories: pa.Table,
    config: PairConfig,
    report: dict[str, Any],
    *,
    conform: bool = True,
) -> dict[str, Any]:
    """Take prompt / completion texts by row position and conform every table.

    `conform=False` (for writers that conform, e.g. the pipeline runner) leaves the text columns
    as dictionary columns over the source columns (see `_take`); the values are the same."""
    question = config.prompt_source == "question"
    completion = trajectories["completion"]
    pairs = _take(
        narrow.pop("pairs"),
        "pairs",
        {
            "prompt": (problems["question"], "problem_row")
            if question
            else (trajectories["prompt"], "chosen_row"),
            "chosen": (completion, "chosen_row"),
            "rejected": (completion, "rejected_row"),
        },
        conform,
    )
    step_pairs = narrow.pop("step_pairs")
    if "kto_rows" in narrow:
        kto = _take(
            narrow.pop("kto_rows"),
            "kto_rows",
            {
                "prompt": (problems["question"], "problem_row")
                if question
                else (trajectories["prompt"], "row"),
                "completion": (completion, "row"),
            },
            conform,
        )
    else:
        kto = get_schema("kto_rows").empty()
    report["counts"] = {
        "pairs": count_by_rule(pairs),
        "step_pairs": count_by_rule(step_pairs),
        "kto_rows": count_by_rule(kto),
    }
    by_type: dict[str, int] = {}
    for table in (pairs, step_pairs, kto):
        for t, n in zip(*pc.value_counts(table["pair_type"]).flatten(), strict=True):
            by_type[t.as_py()] = by_type.get(t.as_py(), 0) + n.as_py()
    report["by_type"] = by_type
    return {"pairs": pairs, "step_pairs": step_pairs, "kto_rows": kto, "report": report}


def build_pairs(
    problems: pa.Table,
    trajectories: pa.Table,
    verifications: pa.Table,
    trajectory_scores: pa.Table,
    problem_scores: pa.Table,
    config: PairConfig | None = None,
) -> dict[str, Any]:
    """Build `pairs`, `step_pairs` and `kto_rows` (schema-conformed tables) plus `report`.

    `report` holds the rules, row counts per dataset and pair_rule, counts per pair_type,
    identical-text removals, step-level diagnostics and human-readable `notes`.
    """
    config = config or PairConfig()
    con = _sql.connect()
    try:
        _sql.register(
            con,
            {"problems": problems, "trajectories": with_text_hash(trajectories)},
            row_numbers=True,
        )
        _sql.register(
            con,
            {
                "verifications": verifications,
                "trajectory_scores": trajectory_scores,
                "problem_scores": problem_scores,
            },
        )
        narrow, report = select_pairs(con, config)
    finally:
        con.close()  # release DuckDB's memory before the text columns are materialised
    return attach_texts(narrow, problems, trajectories, config, report)
