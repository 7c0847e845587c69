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


def prm_sources(data: BuildData) -> list[str]:
    """The step sources the prm config may use: the pairs stage's declared `step_sources`
    without the arithmetic checker (never used for stepwise supervision)."""
    from mathpref.scoring.step_sources import DEFAULT_STEP_SOURCES

    config = data.ref.stages.get(data.pairs_stage, {}).get("config") or {}
    order = config.get("step_sources") or DEFAULT_STEP_SOURCES
    return [src for src in order if src != "arithmetic"]


def _first_wrong_steps(data: BuildData, order: list[str]) -> dict[str, tuple[int, str]]:
    """trajectory_id -> (first wrong step, source): the first source in `order` that has one."""
    t = data.table("trajectories")
    t = t.filter(pc.is_null(t["parent_trajectory_id"]))
    found: dict[str, dict[str, int]] = {"log": {}}
    for tid, k in zip(
        t["trajectory_id"].to_pylist(), t["source_error_step"].to_pylist(), strict=True
    ):
        if k is not None:
            found["log"][tid] = k
    if "step_labels" in data.tables:
        for r in data.table("step_labels").to_pylist():
            if r["status"] == "labelled" and r["first_wrong_step"] is not None:
                found.setdefault(r["source"], {})[r["trajectory_id"]] = r["first_wrong_step"]
    out: dict[str, tuple[int, str]] = {}
    for src in reversed(order):  # earlier sources overwrite later ones
        out.update({tid: (k, src) for tid, k in found.get(src, {}).items()})
    return out


def prm(data: BuildData) -> Built:
    """Stepwise rows from the log's own step ratings, or step labels in the pairs stage's
    declared `step_sources` order (never the arithmetic checker): the steps before the first
    wrong step are labelled True, that step False, and the steps after it are dropped.
    `step_source` records which source gave the row's step."""
    from mathpref.scoring.steps import split_steps

    wrong = _first_wrong_steps(data, prm_sources(data))
    t = data.table("trajectories")
    t = t.filter(pc.is_in(t["trajectory_id"], pa.array(sorted(wrong), pa.string())))
    t = t.select(["trajectory_id", "problem_id", "completion", "prompt_echo_end"])
    t = t.sort_by("trajectory_id").to_pylist()
    probs, split = problems_by_id(data), _split_of(data)
    rows, short = [], 0
    for r in t:
        k, src = wrong[r["trajectory_id"]]
        text = r["completion"] if src == "log" else r["completion"][r["prompt_echo_end"] or 0 :]
        steps = split_steps(text)
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
                "step_source": src,
            }
        )
    schema = pa.schema(
        [
            ("prompt", pa.string()),
            ("completions", pa.list_(pa.string())),
            ("labels", pa.list_(pa.bool_())),
            ("problem_id", pa.string()),
            ("trajectory_id", pa.string()),
            ("step_source", pa.string()),
        ]
    )
    built = finish(rows, schema, lambda r: _js([r["prompt"], r["completions"], r["labels"]]))
    if short:
        built.notes.append(
            f"{short} rated trajectory(ies) with fewer steps than the rating: left out"
        )
    return built
