"""Per-example evaluation rows: one row per (model, arm, problem) with its samples and vote.

Inputs are the `problems`, `trajectories` and `verifications` tables of a build. Continuations
(trajectories with a parent) are not samples of the model from the question and are left out.
Samples are ordered by `sample_index`; "the first k samples" of maj@k follows that order.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pyarrow as pa

from mathpref.errors import StageError
from mathpref.evaluation.estimators import majority_vote

TRAJ_COLUMNS = (
    "trajectory_id",
    "problem_id",
    "arm",
    "sample_index",
    "model_id",
    "temperature",
    "completion",
    "parent_trajectory_id",
)
VERIF_COLUMNS = ("trajectory_id", "status", "extracted_answer", "answer_key")
PROBLEM_COLUMNS = ("problem_id", "source", "source_index", "question", "gold_answer")
DECODINGS = ("greedy", "sampled", "unknown")


def build_examples(
    problems: pa.Table,
    trajectories: pa.Table,
    verifications: pa.Table,
    *,
    benchmarks: dict[str, str],
    decodings: dict[str, str],
) -> tuple[pa.Table, list[str]]:
    """The per-example table and notes. `benchmarks` maps a problem source to a benchmark name
    (other sources are their own name); `decodings` overrides an arm's decoding."""
    notes: list[str] = []
    traj = pl.from_arrow(trajectories.select(list(TRAJ_COLUMNS)))
    n_cont = traj.filter(pl.col("parent_trajectory_id").is_not_null()).height
    if n_cont:
        notes.append(f"{n_cont} continuation(s) left out (not samples from the question)")
    traj = traj.filter(pl.col("parent_trajectory_id").is_null())
    verif = pl.from_arrow(verifications.select(list(VERIF_COLUMNS)))
    joined = traj.join(verif, on="trajectory_id", how="left")
    unverified = joined.filter(pl.col("status").is_null())
    if unverified.height:
        raise StageError(
            f"{unverified.height} trajectory(ies) have no verifications row (e.g. "
            f"{unverified['trajectory_id'][0]}): wire the metrics stage's verifications to the "
            "verify stage that graded these trajectories"
        )
    probs = pl.from_arrow(problems.select(list(PROBLEM_COLUMNS)))
    joined = joined.join(probs, on="problem_id", how="left")
    orphans = joined.filter(pl.col("source").is_null())
    if orphans.height:
        raise StageError(
            f"{orphans.height} trajectory(ies) name a problem that is not in the problems "
            f"input (e.g. problem {orphans['problem_id'][0]})"
        )
    joined = joined.with_columns(
        benchmark=pl.col("source").replace(benchmarks),
        model=pl.col("model_id").fill_null("unknown"),
    ).sort(["benchmark", "model", "arm", "source_index", "problem_id", "sample_index"])
    groups = joined.group_by(["benchmark", "model", "arm", "problem_id"], maintain_order=True)
    arm_decoding = _decodings(joined, decodings, notes)
    rows = [_example(key, g, arm_decoding) for key, g in groups]
    _note_coverage(rows, probs, benchmarks, notes)
    mixed = sum(_mixed_verdicts(r["answer_keys"], r["statuses"]) for r in rows)
    if mixed:
        notes.append(
            f"{mixed} problem(s) have an answer key graded correct in one sample and not in "
            "another; the key counts as correct in votes (docs/decisions/0007)"
        )
    return pa.Table.from_pylist(rows), notes


def _decodings(joined: pl.DataFrame, overrides: dict[str, str], notes: list[str]) -> dict:
    out = {}
    for (arm,), g in joined.group_by(["arm"], maintain_order=True):
        temps = set(g["temperature"].to_list())
        if arm in overrides:
            out[arm] = overrides[arm]
        elif temps == {0.0}:
            out[arm] = "greedy"
        elif None not in temps:
            out[arm] = "sampled"
        else:
            out[arm] = "unknown"
            notes.append(
                f"arm '{arm}': temperature not recorded, decoding 'unknown' (set "
                f'decoding = {{ {arm} = "greedy" }} or "sampled" on the metrics stage)'
            )
    return out


def _example(key: tuple, g: pl.DataFrame, arm_decoding: dict[str, str]) -> dict[str, Any]:
    benchmark, model, arm, problem_id = key
    statuses = g["status"].to_list()
    keys = g["answer_key"].to_list()
    correct = [s == "correct" for s in statuses]
    vote = majority_vote(keys, correct, len(keys))
    answers = g["extracted_answer"].to_list()
    vote_answer = None
    if vote.winners:
        vote_answer = answers[keys.index(vote.winners[0])]
    temps = {t for t in g["temperature"].to_list() if t is not None}
    return {
        "benchmark": benchmark,
        "model": model,
        "arm": arm,
        "decoding": arm_decoding[arm],
        "temperature": temps.pop() if len(temps) == 1 else None,
        "problem_id": problem_id,
        "source_index": g["source_index"][0],
        "question": g["question"][0],
        "gold": g["gold_answer"][0],
        "n_samples": len(statuses),
        "n_correct": sum(correct),
        "trajectory_ids": g["trajectory_id"].to_list(),
        "completions": g["completion"].to_list(),
        "extracted_answers": answers,
        "answer_keys": keys,
        "statuses": statuses,
        "vote_answer": vote_answer,
        "vote_key": vote.winners[0] if vote.winners else None,
        "vote_count": vote.votes,
        "vote_tied": vote.tied,
        "vote_correct": vote.score,
        "first_correct": correct[0],
    }


def _mixed_verdicts(keys: list, statuses: list) -> bool:
    seen: dict[str, set[bool]] = {}
    for key, status in zip(keys, statuses, strict=True):
        if key is not None:
            seen.setdefault(key, set()).add(status == "correct")
    return any(len(v) > 1 for v in seen.values())


def _note_coverage(rows, probs: pl.DataFrame, benchmarks: dict[str, str], notes) -> None:
    totals = (
        probs.with_columns(benchmark=pl.col("source").replace(benchmarks))
        .group_by("benchmark")
        .len()
    )
    total = dict(zip(totals["benchmark"].to_list(), totals["len"].to_list(), strict=True))
    seen: dict[tuple, int] = {}
    for r in rows:
        seen[(r["benchmark"], r["model"], r["arm"])] = (
            seen.get((r["benchmark"], r["model"], r["arm"]), 0) + 1
        )
    for (bench, model, arm), n in seen.items():
        if n < total.get(bench, n):
            notes.append(
                f"{bench} / {model} / {arm}: {n} of {total[bench]} problems have samples; "
                "metrics cover those only"
            )


def example_jsonl_record(row: dict[str, Any]) -> str:
    """One line of the per-example JSONL export (the public, nested form of a row)."""
    samples = [
        {"completion": c, "extracted_answer": a, "answer_key": k, "status": s}
        for c, a, k, s in zip(
            row["completions"],
            row["extracted_answers"],
            row["answer_keys"],
            row["statuses"],
            strict=True,
        )
    ]
    record = {
        "benchmark": row["benchmark"],
        "model": row["model"],
        "arm": row["arm"],
        "decoding": row["decoding"],
        "problem_id": row["problem_id"],
        "question": row["question"],
        "gold": row["gold"],
        "samples": samples,
        "vote_answer": row["vote_answer"],
        "vote_tied": row["vote_tied"],
        "vote_correct": row["vote_correct"],
    }
    return json.dumps(record, ensure_ascii=False)
