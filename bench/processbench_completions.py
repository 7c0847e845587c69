"""ProcessBench F1 of completion-based step labels with SmolLM2-135M-Instruct as the continuation
model (mathpref.steplabels.completions: bisection over step prefixes, k continuations each).

Items: the first N/2 erroneous (label != -1) and N/2 correct (label == -1) GSM8K rows of
ProcessBench in file order whose problem is found in GSM8K test (the gold answer comes from there)
and whose `steps`, joined by blank lines, split back into the same steps. F1 is ProcessBench's
(bench/processbench_steps.py): harmonic mean of the accuracy on erroneous and on correct rows; an
unverifiable label counts as wrong on both. Anchors measured in the same run: the arithmetic
checker's F1 on the same rows, and the requests an exhaustive expansion (every prefix but the last,
k each) would have spent on the same rows.

Usage: PYTHONPATH=. python bench/processbench_completions.py [--n 20] [--k 4] [--max-new-tokens 160]
(needs ./scripts/setup --smollm2)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from mathpref.steplabels.base import StepItem
from mathpref.steplabels.completions import label
from mathpref.verify.steps import first_arith_error_step, split_steps

DATA = Path("/work/shared/data")
OUT = Path(__file__).parent / "results" / "processbench_completions.json"
UNVERIFIABLE = -2


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_items(n: int) -> list[tuple[StepItem, int]]:
    gold = {}
    for line in (DATA / "gsm8k" / "test.jsonl").read_text().splitlines():
        row = json.loads(line)
        gold[_norm(row["question"])] = re.split(r"####\s*", row["answer"])[-1].strip()
    rows = json.loads((DATA / "processbench" / "gsm8k.json").read_text())
    want = {"err": n // 2, "ok": n - n // 2}
    out = []
    for row in rows:
        side = "ok" if row["label"] == -1 else "err"
        answer = gold.get(_norm(row["problem"]))
        text = "\n\n".join(s.strip() for s in row["steps"])
        if not want[side] or answer is None or len(split_steps(text)) != len(row["steps"]):
            continue
        want[side] -= 1
        item = StepItem(
            trajectory_id=row["id"],
            problem_id=row["id"],
            question=row["problem"],
            gold=answer,
            steps=tuple(split_steps(text)),
            messages=(("user", row["problem"]),),
            text=text,
        )
        out.append((item, row["label"]))
    return out


def f1(preds: list[int | None], labels: list[int]) -> dict:
    err = [(p, g) for p, g in zip(preds, labels, strict=True) if g != -1]
    ok = [p for p, g in zip(preds, labels, strict=True) if g == -1]
    acc_err = sum(p == g for p, g in err) / len(err) if err else 0.0
    acc_ok = sum(p is None for p in ok) / len(ok) if ok else 0.0
    score = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err + acc_ok else 0.0
    return {
        "acc_erroneous": round(acc_err, 4),
        "acc_correct": round(acc_ok, 4),
        "f1": round(score, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=160)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    from mathpref.generation.backends import get_backend
    from mathpref.generation.smollm2 import revision, smollm2_model_dir

    items = load_items(args.n)
    t0 = time.perf_counter()
    backend = get_backend(
        "transformers", model=str(smollm2_model_dir()), device="cpu", batch_size=args.batch_size
    )
    load_s = time.perf_counter() - t0
    calls = {"rounds": 0, "requests": 0}

    def generate(requests):
        calls["rounds"] += 1
        calls["requests"] += len(requests)
        got = {r.request_id: r for r in backend.generate(list(requests))}
        print(f"  round {calls['rounds']}: {len(requests)} request(s)", file=sys.stderr)
        return [got[r.request_id].completion for r in requests]

    config = SimpleNamespace(
        k=args.k,
        temperature=0.7,
        top_p=1.0,
        max_new_tokens=args.max_new_tokens,
        seed=0,
        confirm=True,
    )
    t1 = time.perf_counter()
    labels = label([it for it, _ in items], config, generate)
    label_s = time.perf_counter() - t1
    gold_steps = [g for _, g in items]
    preds = [
        UNVERIFIABLE if lab.status == "unverifiable" else lab.first_wrong_step for lab in labels
    ]
    arith = [first_arith_error_step(list(it.steps)) for it, _ in items]
    probed = [lab.requests for lab in labels if lab.requests]
    exhaustive = sum(
        args.k * (len(it.steps) - 1)
        for (it, g), lab in zip(items, labels, strict=True)
        if lab.requests
    )
    ours, anchor = f1(preds, gold_steps), f1(arith, gold_steps)
    result = {
        "command": "PYTHONPATH=. python bench/processbench_completions.py "
        + " ".join(sys.argv[1:]),
        "model": f"SmolLM2-135M-Instruct ({revision()})",
        "n": len(items),
        "n_erroneous": sum(g != -1 for g in gold_steps),
        "k": args.k,
        "max_new_tokens": args.max_new_tokens,
        "completions": ours,
        "anchor_arithmetic_checker": anchor,
        "requests_per_labelled_solution": round(
            sum(lab.requests for lab in labels) / len(labels), 2
        ),
        "requests_per_probed_solution": round(sum(probed) / len(probed), 2) if probed else 0.0,
        "requests_total": sum(lab.requests for lab in labels),
        "requests_exhaustive_same_rows": exhaustive,
        "ratio_requests_bisection_to_exhaustive": round(sum(probed) / exhaustive, 3)
        if exhaustive
        else None,
        "solutions_whole_text_reaching_gold": sum(lab.requests == 0 for lab in labels),
        "unverifiable": sum(p == UNVERIFIABLE for p in preds),
        "rounds": calls["rounds"],
        "seconds_model_load": round(load_s, 1),
        "seconds_labelling": round(label_s, 1),
        "rows": [
            {
                "id": it.trajectory_id,
                "label": g,
                "pred": p,
                "arith": a,
                "requests": lab.requests,
                "detail": lab.detail,
            }
            for (it, g), p, a, lab in zip(items, preds, arith, labels, strict=True)
        ],
    }
    print(
        f"completions F1={ours['f1']:.4f} (acc_err {ours['acc_erroneous']}, acc_ok "
        f"{ours['acc_correct']}); arithmetic anchor F1={anchor['f1']:.4f}; requests/solution "
        f"{result['requests_per_labelled_solution']} (probed {result['requests_per_probed_solution']}); "
        f"bisection/exhaustive requests {result['ratio_requests_bisection_to_exhaustive']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
