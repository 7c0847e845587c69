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
                   ) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Return (problems, trajectories, verifications) conforming to their schemas."""
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
    return (get_schema("problems").conform(problems), tschema.conform(trajectories),
            vschema.conform(verifications))
