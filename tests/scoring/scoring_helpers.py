"""Build small input tables (problems, trajectories, verifications) from terse row dicts."""

from __future__ import annotations

import pyarrow as pa

from mathpref.schemas import get_schema

_TRAJ_DEFAULTS = {
    "arm": "a0",
    "arm_family": None,
    "probe": None,
    "sample_index": 0,
    "model_id": "m",
    "model_revision": None,
    "backend": "scripted",
    "seed": None,
    "temperature": None,
    "top_p": None,
    "max_new_tokens": None,
    "sampling_params": None,
    "prompt_messages": None,
    "prompt_tokens": None,
    "completion_tokens": None,
    "finish_reason": "stop",
    "parent_trajectory_id": None,
    "prefix": None,
    "source_ref": None,
    "source_label": None,
    "source_error_step": None,
    "latency_s": None,
}


def traj(
    tid,
    pid,
    arm="a0",
    status="correct",
    key=None,
    *,
    values=None,
    tokens=None,
    finish="stop",
    text=None,
    rule="hash",
    err=None,
    parent=None,
    prefix=None,
    probe=None,
    prompt=None,
    sample=0,
):
    """One trajectory + its verification as a dict; `key` defaults to '42'/'7' by status."""
    if key is None and status in ("correct", "incorrect"):
        key = "42" if status == "correct" else "7"
    return {
        "trajectory_id": tid,
        "problem_id": pid,
        "arm": arm,
        "probe": probe,
        "sample_index": sample,
        "completion_tokens": tokens,
        "finish_reason": finish,
        "completion": text if text is not None else f"solution {tid} ends with {key}",
        "prompt": prompt if prompt is not None else f"[{arm}] Q {pid}",
        "parent_trajectory_id": parent,
        "prefix": prefix,
        "status": status,
        "answer_key": key,
        "extraction_rule": rule,
        "first_arith_error_step": err,
        "intermediate_values": values,
    }


def make_inputs(rows, extra_problems=()):
    """Return (problems, trajectories, verifications) tables conforming to their schemas."""
    pids = sorted({r["problem_id"] for r in rows} | set(extra_problems))
    problems = pa.Table.from_pylist(
        [
            {
                "problem_id": p,
                "source": "test",
                "source_index": i,
                "question": f"Q {p}",
                "gold_answer": "42",
                "gold_status": "ok",
                "gold_solution": None,
                "metadata": None,
            }
            for i, p in enumerate(pids)
        ]
    )
    tschema, vschema = get_schema("trajectories"), get_schema("verifications")
    trajs = [{**_TRAJ_DEFAULTS, **{k: r[k] for k in tschema.names if k in r}} for r in rows]
    verifs = [
        {
            "trajectory_id": r["trajectory_id"],
            "problem_id": r["problem_id"],
            "status": r["status"],
            "reason": None,
            "gold_answer": "42",
            "extracted_answer": r["answer_key"],
            "answer_key": r["answer_key"],
            "extraction_rule": r["extraction_rule"],
            "decided_by": "numeric",
            "grader_version": "t",
            "step_statuses": None,
            "first_arith_error_step": r["first_arith_error_step"],
            "n_arith_claims": None,
            "n_arith_errors": None,
            "intermediate_values": r["intermediate_values"],
        }
        for r in rows
        if r["status"] is not None
    ]
    return (
        get_schema("problems").conform(problems),
        get_schema("trajectories").conform(pa.Table.from_pylist(trajs, schema=tschema.arrow)),
        get_schema("verifications").conform(pa.Table.from_pylist(verifs, schema=vschema.arrow)),
    )


def by_id(table: pa.Table, key: str) -> dict:
    return {r[key]: r for r in table.to_pylist()}
