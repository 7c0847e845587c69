"""The step-level configs: step_dpo (Step-DPO's published fields), step_dpo_trl (TRL, standard
form only) and prm (stepwise supervision from the log's own ratings)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.release.configs import Built, _js, _split_of, finish, problems_by_id
from mathpref.release.prompts import Prompts
from mathpref.release.source import BuildData


def step_dpo(data: BuildData, p: Prompts) -> Built:
    t = data.table("step_pairs").sort_by("step_pair_id").to_pylist()
    probs = problems_by_id(data)
    rows = []
    for r in t:
        prob = probs[r["problem_id"]]
        rows.append(
            {
                **{
                    k: r[k]
                    for k in (
                        "split",
                        "initial_reason_steps",
                        "chosen",
                        "rejected",
                        "full_chosen",
                        "full_rejected",
                        "problem_id",
                        "step_pair_id",
                        "pair_rule",
                        "error_step",
                        "chosen_trajectory_id",
                        "rejected_trajectory_id",
                    )
                },
                "prompt": prob["question"],
                "answer": prob["gold_answer"],
                "dataset": prob["source"],
            }
        )
    s = pa.string()
    schema = pa.schema(
        [
            ("dataset", s),
            ("prompt", s),
            ("initial_reason_steps", s),
            ("chosen", s),
            ("rejected", s),
            ("full_chosen", s),
            ("full_rejected", s),
            ("answer", s),
            ("problem_id", s),
            ("step_pair_id", s),
            ("pair_rule", s),
            ("error_step", pa.int32()),
            ("chosen_trajectory_id", s),
            ("rejected_trajectory_id", s),
        ]
    )
    return finish(
        rows,
        schema,
        lambda r: _js([r["prompt"], r["initial_reason_steps"], r["chosen"], r["rejected"]]),
    )


def step_dpo_trl(data: BuildData, p: Prompts) -> Built:
    """Standard (string) form only: rendered prompt + initial_reason_steps, then the next step."""
    t = data.table("step_pairs").sort_by("step_pair_id").to_pylist()
    rows = []
    for r in t:
        j = p.of(r["rejected_trajectory_id"])
        prompt = p.rendered_or_fail(j, "step_dpo_trl") + r["initial_reason_steps"]
        rows.append(
            {
                "split": r["split"],
                "prompt": prompt,
                "chosen": r["chosen"],
                "rejected": r["rejected"],
                "problem_id": r["problem_id"],
                "step_pair_id": r["step_pair_id"],
                "error_step": r["error_step"],
            }
        )
    s = pa.string()
    schema = pa.schema(
        [
            ("prompt", s),
            ("chosen", s),
            ("rejected", s),
            ("problem_id", s),
            ("step_pair_id", s),
            ("error_step", pa.int32()),
        ]
    )
    return finish(rows, schema, lambda r: _js([r["prompt"], r["chosen"], r["rejected"]]))


def prm(data: BuildData) -> Built:
    """Stepwise rows from the log's own step ratings only (never the arithmetic checker):
    the steps before the first step rated wrong are labelled True, that step False, and the
    steps after it are dropped."""
    from mathpref.scoring.steps import split_steps

    t = data.table("trajectories")
    t = t.filter(
        pc.and_(pc.is_valid(t["source_error_step"]), pc.is_null(t["parent_trajectory_id"]))
    )
    t = t.select(["trajectory_id", "problem_id", "completion", "source_error_step"])
    t = t.sort_by("trajectory_id").to_pylist()
    probs, split = problems_by_id(data), _split_of(data)
    rows, short = [], 0
    for r in t:
        steps, k = split_steps(r["completion"]), r["source_error_step"]
        if k >= len(steps):
            short += 1
            continue
        rows.append(
            {
                "split": split[r["problem_id"]],
                "prompt": probs[r["problem_id"]]["question"],
                "completions": steps[: k + 1],
                "labels": [True] * k + [False],
                "problem_id": r["problem_id"],
                "trajectory_id": r["trajectory_id"],
            }
        )
    schema = pa.schema(
        [
            ("prompt", pa.string()),
            ("completions", pa.list_(pa.string())),
            ("labels", pa.list_(pa.bool_())),
            ("problem_id", pa.string()),
            ("trajectory_id", pa.string()),
        ]
    )
    built = finish(rows, schema, lambda r: _js([r["prompt"], r["completions"], r["labels"]]))
    if short:
        built.notes.append(
            f"{short} rated trajectory(ies) with fewer steps than the rating: left out"
        )
    return built
