"""Throughput of mathpref.verify.grade_batch against a plain math-verify loop (the anchor).

Full completions in, verdicts out. Datasets:
  (a) gsm8k     - the 5,276 example_model_solutions, gold from test.jsonl, repeated to ~200k rows
  (b) qwen_math - the 800 Qwen2.5-Math samples (gold: raw `answer`), repeated to ~200k rows
  (c) synthetic - 1,000,000 generated GSM8K-style completions (deterministic, seed 0)
The anchor, `verify(parse("$"+gold+"$"), parse(completion))` per row in one process, runs on a
time-boxed sample of distinct rows. Verdicts that differ from math-verify's are listed and
classified against the labels (dataset labels; for synthetic rows, the generator's truth).

Usage: python bench/verify_throughput.py [--quick]
Writes bench/results/verify_throughput.json. Figures are never asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import pyarrow as pa  # noqa: E402
from verify_agreement import DATA, load_gsm8k, load_qwen  # noqa: E402

from mathpref.verify import GRADER_VERSION, grade_batch  # noqa: E402
from mathpref.verify.pool import shared_pool  # noqa: E402

TARGET_RATIO = 1000  # mathpref rows/s over the math-verify loop's, same run
MAX_LISTED = 50  # disagreements written to the JSON per dataset (all are counted)
_NAMES = ["Janet", "Tom", "Maria", "Ken", "Aisha", "Luis", "Mei", "Omar"]
_ITEMS = ["apples", "eggs", "marbles", "books", "tickets", "cookies", "stamps", "pencils"]


def _fmt_answer(rng: random.Random, value: int | float) -> str:
    r = rng.random()
    text = f"{value:,}" if isinstance(value, int) and value >= 1000 and r < 0.3 else str(value)
    r = rng.random()
    if r < 0.06:
        return "$" + text
    if r < 0.09:
        return text + " " + rng.choice(["dollars", "cm", "minutes", "apples"])
    return text


def synthetic(n: int, seed: int = 0) -> tuple[list[str], list[str], list[bool]]:
    """GSM8K-style completions with realistic answer formats and a known truth label."""
    rng = random.Random(seed)
    golds, comps, truth = [], [], []
    for _ in range(n):
        a, b = rng.randint(2, 400), rng.randint(2, 60)
        kind = rng.random()
        if kind < 0.85:
            value: int | float = int(10 ** rng.uniform(0, 5.5))
        elif kind < 0.95:
            value = round(rng.randint(1, 5000) / rng.choice([2, 4, 10, 100]), 2)
        else:
            value = -rng.randint(1, 500)
        correct = rng.random() < 0.6
        pred = (
            value
            if correct
            else value
            + rng.choice([-10, -1, 1, 2, 5, 100]) * (1 if isinstance(value, int) else 0.5)
        )
        if not correct and pred == value:
            pred = value + 1
        name, item = rng.choice(_NAMES), rng.choice(_ITEMS)
        lines = [
            f"{name} has {a} {item} and buys {b} more, so {a} + {b} = <<{a}+{b}={a + b}>>{a + b}.",
            f"Each box holds {b} {item}, so {a * b} / {b} = <<{a * b}/{b}={a}>>{a} boxes.",
        ]
        ans = _fmt_answer(rng, pred)
        style = rng.random()
        if style < 0.40:
            lines.append(f"#### {ans}")
        elif style < 0.70:
            lines.append(f"The answer is {ans}.")
        elif style < 0.82:
            lines.append(f"A: {ans}")
        elif style < 0.88:
            lines.append(f"So the total is $\\boxed{{{ans}}}$.")
        elif style < 0.94:
            lines.append(f"The answer is {ans}.\n\nQuestion: {name} has {b} {item}. How many?")
            lines.append(f"Answer: {name} has {b} {item}. The answer is {b + 7}.")
        else:
            lines.append(f"In the end {name} has {ans}")
        golds.append(f"{value:,}" if isinstance(value, int) and rng.random() < 0.1 else str(value))
        comps.append("\n".join(lines))
        truth.append(correct)
    return golds, comps, truth


def _mv_one(args: tuple[str, str]) -> bool | None:
    from math_verify import parse, verify

    gold, completion = args
    try:
        return bool(verify(parse("$" + gold + "$"), parse(completion)))
    except Exception:  # noqa: BLE001
        return None


def anchor_rate(pairs: list[tuple[str, str]], budget_s: float) -> tuple[float, int]:
    """Rows/s of the plain math-verify loop, one process, time-boxed."""
    from math_verify import parse, verify

    t0 = time.perf_counter()
    n = 0
    for gold, completion in pairs:
        verify(parse("$" + gold + "$"), parse(completion))
        n += 1
        if time.perf_counter() - t0 > budget_s:
            break
    return n / (time.perf_counter() - t0), n


def mathpref_rates(golds: pa.Array, comps: pa.Array, min_s: float) -> tuple[float, float]:
    """Rows/s of grade_batch (dedupe, no dedupe) over whole runs, after one warm-up run each.

    Runs alternate between the two modes until each has run for at least min_s, so that
    drifting machine load affects both figures alike.
    """
    spent, runs = {True: 0.0, False: 0.0}, {True: 0, False: 0}
    for dedupe in (True, False):
        grade_batch(golds, comps, dedupe=dedupe)
    while min(spent.values()) < min_s:
        for dedupe in (True, False):
            t0 = time.perf_counter()
            grade_batch(golds, comps, dedupe=dedupe)
            spent[dedupe] += time.perf_counter() - t0
            runs[dedupe] += 1
    return runs[True] * len(comps) / spent[True], runs[False] * len(comps) / spent[False]


def compare_with_math_verify(name, golds, comps, labels, ours, pool, limit):
    """Every row where our verdict differs from math-verify's, classified."""
    idx = list(range(min(limit, len(golds))))
    mv = pool.map(_mv_one, [(golds[i], comps[i]) for i in idx], chunksize=16)
    out = []
    for i, m in zip(idx, mv, strict=True):
        v = ours[i]
        mine = v["status"] == "correct"
        if m is not None and mine == m:
            continue
        label = labels[i]
        if v["decided_by"] == "numeric" and m and not mine and v["reason"] == "numeric_mismatch":
            design = "exact rational vs math-verify tolerance/percent" if label is None else None
        else:
            design = None
        if label is None:
            cls = design or "unlabelled"
        elif mine == label:
            cls = "mathpref right"
        elif m == label:
            cls = "math-verify right"
        else:
            cls = "both wrong"
        out.append(
            {
                "dataset": name,
                "row": i,
                "gold": golds[i],
                "label": label,
                "mathpref": v["status"],
                "math_verify": m,
                "extracted": v["extracted_answer"],
                "rule": v["extraction_rule"],
                "reason": v["reason"],
                "class": cls,
            }
        )
    return out, len(idx)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and budgets")
    args = ap.parse_args()
    quick = args.quick
    rep_rows = 50_000 if quick else 200_000
    synth_rows = 100_000 if quick else 1_000_000
    anchor_s = 1.0 if quick else 15.0
    min_s = 0.3 if quick else 2.0
    load_before = os.getloadavg()

    gsm, qwen = load_gsm8k(DATA), load_qwen(DATA)
    datasets = {}
    for name, rows in (("gsm8k", gsm), ("qwen_math", qwen)):
        reps = -(-rep_rows // len(rows))
        datasets[name] = (
            [r["gold"] for r in rows],
            [r["completion"] for r in rows],
            [r["label"] for r in rows],
            reps,
        )
    sg, sc, st = synthetic(synth_rows)
    datasets["synthetic"] = (sg, sc, st, 1)

    t0 = time.perf_counter()
    shared_pool().run([("x", "y")], timeout=5.0)  # start the workers once
    startup = time.perf_counter() - t0
    print(f"{GRADER_VERSION}; {os.cpu_count()} cores; worker pool start-up {startup:.2f} s")
    print("load average (1/5/15 min) at start: " + " ".join(f"{x:.2f}" for x in load_before))

    report = {
        "grader_version": GRADER_VERSION,
        "cpu_count": os.cpu_count(),
        "quick": quick,
        "python": platform.python_version(),
        "pool_startup_s": round(startup, 3),
        "loadavg_start": [round(x, 2) for x in load_before],
        "target_ratio": TARGET_RATIO,
        "datasets": {},
        "disagreements_vs_math_verify": [],
    }
    # mathpref first, while nothing else of this run is alive; then anchors and comparisons.
    rates = {}
    for name, (golds, comps, _, reps) in datasets.items():
        g_arr, c_arr = pa.array(golds * reps), pa.array(comps * reps)
        load = os.getloadavg()[0]
        rates[name] = (len(c_arr), *mathpref_rates(g_arr, c_arr, min_s), load)
        del g_arr, c_arr
    ctx = mp.get_context("spawn")
    with ctx.Pool(os.cpu_count() or 1) as mvpool:
        for name, (golds, comps, labels, _) in datasets.items():
            n, rate_d, rate_nd, load = rates[name]
            uniq = list(dict.fromkeys(zip(golds, comps, strict=True)))
            random.Random(1).shuffle(uniq)
            anchor, anchor_n = anchor_rate(uniq, anchor_s)
            ours = grade_batch(golds, comps).to_pylist()
            limit = 200 if quick else (20_000 if name == "synthetic" else len(golds))
            diffs, compared = compare_with_math_verify(
                name, golds, comps, labels, ours, mvpool, limit
            )
            correct = sum(v["status"] == "correct" for v in ours)
            agree = sum(
                (v["status"] == "correct") == lab for v, lab in zip(ours, labels, strict=True)
            )
            entry = {
                "rows": n,
                "base_rows": len(golds),
                "distinct_pairs": len(uniq),
                "loadavg_1min_before_mathpref": round(load, 2),
                "mathpref_rows_per_s_dedupe": round(rate_d),
                "mathpref_rows_per_s_no_dedupe": round(rate_nd),
                "anchor_rows_per_s": round(anchor, 1),
                "anchor_sample_rows": anchor_n,
                "ratio_dedupe": round(rate_d / anchor, 1),
                "ratio_no_dedupe": round(rate_nd / anchor, 1),
                "target_met_dedupe": rate_d / anchor >= TARGET_RATIO,
                "target_met_no_dedupe": rate_nd / anchor >= TARGET_RATIO,
                "ours_correct": correct,
                "label_agreement": round(agree / len(labels), 5),
                "compared_with_math_verify": compared,
                "differs_from_math_verify": len(diffs),
                "classes": {},
            }
            for d in diffs:
                entry["classes"][d["class"]] = entry["classes"].get(d["class"], 0) + 1
            report["datasets"][name] = entry
            report["disagreements_vs_math_verify"].extend(diffs[:MAX_LISTED])
            print(
                f"[{name}] {n:,} rows ({len(uniq):,} distinct (gold, completion) pairs)\n"
                f"  mathpref, dedupe:       {rate_d:>12,.0f} rows/s  ratio {rate_d / anchor:>7,.0f}x\n"
                f"  mathpref, no dedupe:    {rate_nd:>12,.0f} rows/s  ratio {rate_nd / anchor:>7,.0f}x\n"
                f"  math-verify loop:       {anchor:>12,.1f} rows/s  (on {anchor_n} rows)\n"
                f"  target {TARGET_RATIO:,}x: dedupe {'met' if entry['target_met_dedupe'] else 'NOT met'}"
                f", no dedupe {'met' if entry['target_met_no_dedupe'] else 'NOT met'}"
            )
            print(
                f"  agreement with labels {100 * agree / len(labels):.2f} %; "
                f"{len(diffs)} of {compared} verdicts differ from math-verify: {entry['classes']}"
            )
            for d in diffs[:10]:
                print(
                    f"    {d['class']:18s} row {d['row']}: gold={d['gold']!r} label={d['label']} "
                    f"ours={d['mathpref']} ({d['rule']}: {d['extracted']!r}, {d['reason']}) "
                    f"math-verify={d['math_verify']}"
                )
    report["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print("load average (1/5/15 min) at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "verify_throughput.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"wrote {out / 'verify_throughput.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
