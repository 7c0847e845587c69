"""Synthetic problems/trajectories/verifications at scale, for benchmarks and scale tests.

Vectorised (numpy + pyarrow): 1,000,000 trajectories build in a few seconds. Arms are
`arm0..arm{k-4}` plus the probe arms canonical, paraphrase and counterfactual. About 2 % of rows are
unverifiable, 1 % timeout, 1 % cut by length, 2 % fallback-extracted; 10 % lack completion_tokens.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.schemas import get_schema

_PROBES = ("canonical", "paraphrase", "counterfactual")
_STEPS = ("First we compute {a} + {b} = {c}.", "Then {c} * 2 = {d}.",
          "So the total is {d} - 3 = {e}.", "Each part is {e} / 1 = {e}.")


def _ids(prefix: str, n: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 8, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _texts(rng: np.random.Generator, n: int, pool: int = 64) -> tuple[list[str], np.ndarray]:
    texts, lengths = [], []
    for j in range(pool):
        a, b = int(rng.integers(1, 99)), int(rng.integers(1, 99))
        c, d = a + b, 2 * (a + b)
        steps = [s.format(a=a, b=b, c=c, d=d, e=d - 3) for s in _STEPS]
        text = "\n".join(steps * (1 + j % 4)) + f"\n#### {d - 3}"
        texts.append(text)
        lengths.append(len(text.split()))
    return texts, np.array(lengths)


def make_synthetic(n_problems: int = 1000, n_arms: int = 8, seed: int = 0,
                   continuation_fraction: float = 0.0) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Return (problems, trajectories, verifications) conforming to their schemas.

    With `continuation_fraction` > 0, that share of the incorrect rows get an arithmetic error in
    step 1 and one continuation (mostly correct) of their first step.
    """
    rng = np.random.default_rng(seed)
    n = n_problems * n_arms
    pids = _ids("p", n_problems)
    problems = pa.table({
        "problem_id": pids, "source": pa.array(["synthetic"] * n_problems),
        "source_index": pa.array(np.arange(n_problems, dtype=np.int64)),
        "question": pc.binary_join_element_wise("Synthetic question ", pids, ""),
        "gold_answer": pa.array(["42"] * n_problems), "gold_status": pa.array(["ok"] * n_problems),
        "gold_solution": pa.nulls(n_problems, pa.string()),
        "metadata": pa.nulls(n_problems, pa.string()),
    })
    prob_idx = np.repeat(np.arange(n_problems), n_arms)
    arm_idx = np.tile(np.arange(n_arms), n_problems)
    arm_names = [f"arm{i}" for i in range(n_arms - len(_PROBES))] + list(_PROBES)
    probe_names = [None] * (n_arms - len(_PROBES)) + list(_PROBES)
    difficulty = rng.random(n_problems)[prob_idx]
    correct = rng.random(n) > difficulty
    roll = rng.random(n)
    status = np.where(correct, "correct", "incorrect").astype(object)
    status[roll < 0.02] = "unverifiable"
    status[(roll >= 0.02) & (roll < 0.03)] = "timeout"
    wrong = pc.cast(pa.array(rng.integers(0, 5, n)), pa.string())
    key = pc.if_else(pa.array(correct), "42", wrong)
    key = pc.if_else(pa.array(status == "unverifiable"), pa.scalar(None, pa.string()), key)
    rule = np.where((roll >= 0.03) & (roll < 0.05), "last_number", "hash")
    finish = np.where((roll >= 0.05) & (roll < 0.06), "length", "stop")
    pool, lengths = _texts(rng, 64)
    text_idx = rng.integers(0, len(pool), n)
    tokens = (lengths[text_idx] * 1.3).astype(np.int32)
    tids = _ids("t", n)
    completion = pc.binary_join_element_wise(
        pa.DictionaryArray.from_arrays(
            pa.array(text_idx.astype(np.int32)), pa.array(pool)).cast(pa.string()),
        tids, "\nid ")
    base_vals = pc.cast(pa.array(rng.integers(0, 12, 4 * n)), pa.string())
    values = pa.ListArray.from_arrays(pa.array(np.arange(0, 4 * n + 1, 4, dtype=np.int32)),
                                      base_vals)
    tschema, vschema = get_schema("trajectories"), get_schema("verifications")
    nulls = {f.name: pa.nulls(n, tschema.arrow.field(f.name).type) for f in tschema.fields}
    cols = {**nulls,
            "trajectory_id": tids, "problem_id": pids.take(pa.array(prob_idx)),
            "arm": pa.array(arm_names).take(pa.array(arm_idx)),
            "probe": pa.array(probe_names, pa.string()).take(pa.array(arm_idx)),
            "sample_index": pa.array(np.zeros(n, np.int32)), "backend": pa.array(["scripted"] * n),
            "prompt": pc.binary_join_element_wise("Solve: ", pids.take(pa.array(prob_idx)), ""),
            "completion": completion,
            "completion_tokens": pa.array(tokens, mask=rng.random(n) < 0.1),
            "finish_reason": pa.array(finish)}
    trajectories = pa.table({name: cols[name] for name in tschema.names})
    vnulls = {f.name: pa.nulls(n, vschema.arrow.field(f.name).type) for f in vschema.fields}
    vcols = {**vnulls, "trajectory_id": tids, "problem_id": cols["problem_id"],
             "status": pa.array(status, pa.string()), "answer_key": key,
             "extraction_rule": pa.array(rule), "decided_by": pa.array(["numeric"] * n),
             "grader_version": pa.array(["synthetic"] * n), "intermediate_values": values}
    verifications = pa.table({name: vcols[name] for name in vschema.names})
    if continuation_fraction > 0:
        trajectories, verifications = _add_continuations(
            rng, trajectories, verifications, pool, text_idx, continuation_fraction)
    return (get_schema("problems").conform(problems), tschema.conform(trajectories),
            vschema.conform(verifications))


def _add_continuations(rng, trajectories, verifications, pool, text_idx, fraction):
    status = verifications["status"].to_numpy(zero_copy_only=False)
    parents = np.flatnonzero((status == "incorrect") & (rng.random(len(status)) < fraction))
    err = np.full(len(status), -1, np.int32)
    err[parents] = 1
    verifications = verifications.set_column(
        verifications.column_names.index("first_arith_error_step"), "first_arith_error_step",
        pa.array(err, mask=err < 0))
    m = len(parents)
    idx = pa.array(parents)
    ptids = trajectories["trajectory_id"].take(idx)
    first_steps = pa.array([t.split("\n", 1)[0] for t in pool]).take(pa.array(text_idx[parents]))
    cont = {name: pa.nulls(m, trajectories.schema.field(name).type)
            for name in trajectories.column_names}
    cont.update({
        "trajectory_id": pc.binary_join_element_wise(ptids, "k", ""),
        "problem_id": trajectories["problem_id"].take(idx),
        "arm": trajectories["arm"].take(idx), "probe": trajectories["probe"].take(idx),
        "sample_index": pa.array(np.zeros(m, np.int32)),
        "backend": pa.array(["scripted"] * m), "prompt": trajectories["prompt"].take(idx),
        "completion": pa.array(["Then 2 * 3 = 6.\n#### 42"] * m),
        "completion_tokens": pa.array(np.full(m, 12, np.int32)),
        "finish_reason": pa.array(["stop"] * m), "parent_trajectory_id": ptids,
        "prefix": first_steps})
    vcont = {name: pa.nulls(m, verifications.schema.field(name).type)
             for name in verifications.column_names}
    vcont.update({
        "trajectory_id": cont["trajectory_id"], "problem_id": cont["problem_id"],
        "status": pa.array(np.where(rng.random(m) < 0.8, "correct", "incorrect")),
        "answer_key": pa.array(["42"] * m), "extraction_rule": pa.array(["hash"] * m),
        "decided_by": pa.array(["numeric"] * m), "grader_version": pa.array(["synthetic"] * m)})
    return (pa.concat_tables([trajectories, pa.table(cont, schema=trajectories.schema)]),
            pa.concat_tables([verifications, pa.table(vcont, schema=verifications.schema)]))
