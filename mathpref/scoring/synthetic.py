"""Synthetic problems/trajectories/verifications at scale, for benchmarks and scale tests.

Vectorised (numpy + pyarrow): 1,000,000 trajectories build in a few seconds. Arms are
`arm0..arm{k-4}` plus the probe arms canonical, paraphrase and counterfactual. About 2 % of rows are
unverifiable, 1 % timeout, 1 % cut by length, 2 % fallback-extracted; 10 % lack completion_tokens.
"""

from __future__ import annotations

import string

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.schemas import get_schema

_PROBES = ("canonical", "paraphrase", "counterfactual")
_NAMES = (
    "Natalia",
    "Tom",
    "Janet",
    "Carlos",
    "Mia",
    "Ahmed",
    "Lena",
    "Ravi",
    "Sofia",
    "Ben",
    "Yuki",
    "Olga",
    "Marcus",
    "Priya",
    "James",
    "Chen",
)
_ITEMS = (
    "apples",
    "eggs",
    "marbles",
    "books",
    "tickets",
    "cookies",
    "stamps",
    "pencils",
    "cupcakes",
    "stickers",
    "shells",
    "cards",
)
_LEADS = (
    "",
    "Let's think step by step.\n",
    "We need to find how many {item} {name} has at the end.\n",
    "First, count the {item} in the boxes.\n",
)
# Step templates: {a} boxes of {b} items, {c} given away, {d} bought; x = a*b, y = x - c,
# z = y + d. Claims use the values a trajectory *states* (an arithmetic slip states a wrong one).
_STEP1 = (
    "{name} starts with {a} boxes with {b} {item} in each, so that is {a} * {b} = "
    "<<{a}*{b}={x}>>{x} {item}.",
    "There are {a} boxes and each has {b} {item}, so {name} has {a} x {b} = {x} {item}.",
)
_STEP2 = (
    "After giving away {c}, {name} has {x} - {c} = {y} {item} left.",
    "{name} gives {c} {item} to a friend: {x} - {c} = <<{x}-{c}={y}>>{y}.",
)
_STEP2_WRONG_OP = (
    "After giving away {c}, {name} has {x} + {c} = {y} {item} left.",
    "{name} gets {c} {item} from a friend: {x} + {c} = <<{x}+{c}={y}>>{y}.",
)
_STEP3 = (
    "Then {name} buys {d} more, so {y} + {d} = {z} {item}.",
    "Buying {d} more gives {y} + {d} = <<{y}+{d}={z}>>{z} {item} in total.",
)
# Final-answer forms (extraction rule in brackets): hash, the_answer_is, boxed, final_answer,
# the_answer_is with a unit, the_answer_is with $; the fallback form (last_number) is separate.
_FINALS = (
    "#### {Z}",
    "The answer is {Z}.",
    "So the answer is $\\boxed{{{Z}}}$.",
    "Therefore, the final answer is $\\boxed{{{Z}}}$.",
    "The answer is {Z} {item}.",
    "The answer is ${Z}.",
    "{name} has {Z} {item} now.\n#### {Z}",
)
_FINAL_RULES = (
    "hash",
    "the_answer_is",
    "boxed",
    "final_answer",
    "the_answer_is",
    "the_answer_is",
    "hash",
)
_FALLBACK = "In the end {name} has {Z} {item}."
_RECAPS = (
    "",
    "",
    "Let me double-check: {name} started with {x} {item}, gave away {c} and bought "
    "{d} more, which matches the total above.\n",
    "So after both changes the number of {item} is {z}.\n",
)


def _ids(prefix: str, n: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 8, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _num(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _grouped(values: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Integers as text, about a third of those >= 1000 with a thousands comma (`1,234`)."""
    plain = _num(values)
    comma = (values >= 1000) & (values < 1_000_000) & (rng.random(len(values)) < 0.35)
    grouped = pc.binary_join_element_wise(
        _num(values // 1000), pc.utf8_lpad(_num(values % 1000), 3, "0"), ","
    )
    return pc.if_else(pa.array(comma), grouped, plain)


def _render(
    templates: tuple[str, ...], choice: np.ndarray, fields: dict[str, pa.Array]
) -> pa.Array:
    """Vectorised `templates[choice[i]].format(**row i)` over Arrow string columns."""
    variants = []
    for template in templates:
        parts: list = []
        for literal, name, _, _ in string.Formatter().parse(template):
            if literal:
                parts.append(literal)
            if name is not None:
                parts.append(fields[name])
        if not any(isinstance(p, pa.Array) for p in parts):
            parts.append(pa.array([""] * len(choice)))
        variants.append(pc.binary_join_element_wise(*parts, ""))
    if len(variants) == 1:
        return variants[0]
    return pc.choose(pa.array(choice.astype(np.int8)), *variants)


def make_synthetic(
    n_problems: int = 1000, n_arms: int = 8, seed: int = 0, continuation_fraction: float = 0.0
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Return (problems, trajectories, verifications) conforming to their schemas.

    Problems are GSM8K-style word problems (`{a}` boxes of `{b}`, `{c}` given away, `{d}`
    bought; gold `a*b - c + d`, also given as a GSM8K `answer` solution in `gold_solution`).
    Completions are 3-step solutions with `a op b = c` arithmetic claims; an incorrect row has an
    arithmetic slip (a wrong claim), a wrong operation (true claims, wrong answer) or a slip in
    the last step. Final answers come in varied forms (`#### 18`, `The answer is $18.`,
    `\\boxed{18}`, `18 cookies`, `1,234`, the final-answer phrase, a fallback sentence).
    `verifications` is the generator's truth (answer_key = the stated final answer).

    With `continuation_fraction` > 0, that share of the incorrect rows get an arithmetic error in
    step 1 and one continuation (mostly correct) of their first step.
    """
    rng = np.random.default_rng(seed)
    n = n_problems * n_arms
    pids = _ids("p", n_problems)
    a = rng.integers(2, 40, n_problems)
    b = rng.integers(2, 30, n_problems)
    c = (rng.random(n_problems) * (a * b - 1)).astype(np.int64) + 1
    d = rng.integers(2, 900, n_problems)
    gold = a * b - c + d
    name = pa.array(_NAMES).take(pa.array(rng.integers(0, len(_NAMES), n_problems)))
    item = pa.array(_ITEMS).take(pa.array(rng.integers(0, len(_ITEMS), n_problems)))
    pf = {
        "name": name,
        "item": item,
        "a": _num(a),
        "b": _num(b),
        "c": _num(c),
        "d": _num(d),
        "x": _num(a * b),
        "y": _num(a * b - c),
        "z": _num(gold),
    }
    question = _render(
        (
            "{name} has {a} boxes of {item}. Each box holds {b} {item}. {name} gives {c} {item} to "
            "a friend and then buys {d} more {item} at the market. How many {item} does {name} "
            "have now?",
        ),
        np.zeros(n_problems, np.int8),
        pf,
    )
    gold_solution = _render(
        (
            "{name} has {a} * {b} = <<{a}*{b}={x}>>{x} {item}.\nAfter giving {c} away, {x} - {c} = "
            "<<{x}-{c}={y}>>{y} are left.\nThen {y} + {d} = <<{y}+{d}={z}>>{z}.\n#### {z}",
        ),
        np.zeros(n_problems, np.int8),
        pf,
    )
    problems = pa.table(
        {
            "problem_id": pids,
            "source": pa.array(["synthetic"] * n_problems),
            "source_index": pa.array(np.arange(n_problems, dtype=np.int64)),
            "question": question,
            "gold_answer": pf["z"],
            "gold_status": pa.array(["ok"] * n_problems),
            "gold_solution": gold_solution,
            "metadata": pa.nulls(n_problems, pa.string()),
            "source_id": pa.nulls(n_problems, pa.string()),
        }
    )
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
    fallback = (roll >= 0.03) & (roll < 0.05)
    cut = (roll >= 0.05) & (roll < 0.06)
    # What each row states: x = a*b (+ slip), y = x -/+ c, z = y + d (+ slip).
    ra, rb, rc, rd = a[prob_idx], b[prob_idx], c[prob_idx], d[prob_idx]
    error = np.where(correct, 0, rng.integers(1, 4, n))  # 1 slip, 2 wrong op, 3 last slip
    slip = rng.choice(np.array([-10, -2, -1, 1, 2, 10]), n)
    x = ra * rb + np.where(error == 1, slip, 0)
    y = np.where(error == 2, x + rc, x - rc)
    z = y + rd + np.where(error == 3, slip, 0)
    rname, ritem = name.take(pa.array(prob_idx)), item.take(pa.array(prob_idx))
    f = {
        "name": rname,
        "item": ritem,
        "a": _num(ra),
        "b": _num(rb),
        "c": _num(rc),
        "d": _num(rd),
        "x": _num(x),
        "y": _num(y),
        "z": _num(z),
        "Z": _grouped(z, rng),
    }
    del ra, rb, rd
    step2 = pc.if_else(
        pa.array(error == 2),
        _render(_STEP2_WRONG_OP, rng.integers(0, 2, n), f),
        _render(_STEP2, rng.integers(0, 2, n), f),
    )
    final_form = rng.integers(0, len(_FINALS), n)
    final = pc.if_else(
        pa.array(fallback), _render((_FALLBACK,), final_form, f), _render(_FINALS, final_form, f)
    )
    final = pc.if_else(pa.array(cut), pa.array([""] * n), final)
    sep = pc.if_else(pa.array(rng.random(n) < 0.3), "\n\n", "\n")
    completion = pc.binary_join_element_wise(
        _render(_LEADS, rng.integers(0, len(_LEADS), n), f),
        _render(_STEP1, rng.integers(0, 2, n), f),
        sep,
        step2,
        sep,
        _render(_STEP3, rng.integers(0, 2, n), f),
        sep,
        _render(_RECAPS, rng.integers(0, len(_RECAPS), n), f),
        final,
        "",
    )
    del step2, final
    key = pc.if_else(pa.array(status == "unverifiable"), pa.scalar(None, pa.string()), f["z"])
    rule = np.array(_FINAL_RULES, dtype=object)[final_form]
    rule[fallback] = "last_number"
    finish = np.where(cut, "length", "stop")
    tokens = (pc.utf8_length(completion).to_numpy() / 4).astype(np.int32)
    tids = _ids("t", n)
    values = pa.ListArray.from_arrays(
        pa.array(np.arange(0, 3 * n + 1, 3, dtype=np.int32)),
        _num(np.stack([x, y, z], axis=1).reshape(-1)),
    )
    tschema, vschema = get_schema("trajectories"), get_schema("verifications")
    nulls = {fl.name: pa.nulls(n, tschema.arrow.field(fl.name).type) for fl in tschema.fields}
    cols = {
        **nulls,
        "trajectory_id": tids,
        "problem_id": pids.take(pa.array(prob_idx)),
        "arm": pa.array(arm_names).take(pa.array(arm_idx)),
        "probe": pa.array(probe_names, pa.string()).take(pa.array(arm_idx)),
        "sample_index": pa.array(np.zeros(n, np.int32)),
        "backend": pa.array(["scripted"] * n),
        "prompt": question.take(pa.array(prob_idx)),
        "completion": completion,
        "completion_tokens": pa.array(tokens, mask=rng.random(n) < 0.1),
        "finish_reason": pa.array(finish),
    }
    trajectories = pa.table({name: cols[name] for name in tschema.names})
    vnulls = {fl.name: pa.nulls(n, vschema.arrow.field(fl.name).type) for fl in vschema.fields}
    vcols = {
        **vnulls,
        "trajectory_id": tids,
        "problem_id": cols["problem_id"],
        "status": pa.array(status, pa.string()),
        "answer_key": key,
        "extraction_rule": pa.array(rule, pa.string()),
        "decided_by": pa.array(["numeric"] * n),
        "grader_version": pa.array(["synthetic"] * n),
        "intermediate_values": values,
    }
    verifications = pa.table({name: vcols[name] for name in vschema.names})
    if continuation_fraction > 0:
        trajectories, verifications = _add_continuations(
            rng,
            trajectories,
            verifications,
            pf["z"].take(pa.array(prob_idx)),
            continuation_fraction,
        )
    return (
        get_schema("problems").conform(problems),
        tschema.conform(trajectories),
        vschema.conform(verifications),
    )


def _add_continuations(rng, trajectories, verifications, gold, fraction):
    status = verifications["status"].to_numpy(zero_copy_only=False)
    parents = np.flatnonzero((status == "incorrect") & (rng.random(len(status)) < fraction))
    err = np.full(len(status), -1, np.int32)
    err[parents] = 1
    verifications = verifications.set_column(
        verifications.column_names.index("first_arith_error_step"),
        "first_arith_error_step",
        pa.array(err, mask=err < 0),
    )
    m = len(parents)
    idx = pa.array(parents)
    ptids = trajectories["trajectory_id"].take(idx)
    first_steps = pc.list_element(
        pc.split_pattern(trajectories["completion"].take(idx), "\n", max_splits=1), 0
    )
    cont = {
        name: pa.nulls(m, trajectories.schema.field(name).type)
        for name in trajectories.column_names
    }
    cont.update(
        {
            "trajectory_id": pc.binary_join_element_wise(ptids, "k", ""),
            "problem_id": trajectories["problem_id"].take(idx),
            "arm": trajectories["arm"].take(idx),
            "probe": trajectories["probe"].take(idx),
            "sample_index": pa.array(np.zeros(m, np.int32)),
            "backend": pa.array(["scripted"] * m),
            "prompt": trajectories["prompt"].take(idx),
            "completion": pc.binary_join_element_wise(
                "So the total is ", gold.take(idx), ".\n#### ", gold.take(idx), ""
            ),
            "completion_tokens": pa.array(np.full(m, 12, np.int32)),
            "finish_reason": pa.array(["stop"] * m),
            "parent_trajectory_id": ptids,
            "prefix": first_steps,
        }
    )
    vcont = {
        name: pa.nulls(m, verifications.schema.field(name).type)
        for name in verifications.column_names
    }
    vcont.update(
        {
            "trajectory_id": cont["trajectory_id"],
            "problem_id": cont["problem_id"],
            "status": pa.array(np.where(rng.random(m) < 0.8, "correct", "incorrect")),
            "answer_key": gold.take(idx),
            "extraction_rule": pa.array(["hash"] * m),
            "decided_by": pa.array(["numeric"] * m),
            "grader_version": pa.array(["synthetic"] * m),
        }
    )
    return (
        pa.concat_tables([trajectories, pa.table(cont, schema=trajectories.schema)]),
        pa.concat_tables([verifications, pa.table(vcont, schema=verifications.schema)]),
    )
