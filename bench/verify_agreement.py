"""Agreement of mathpref.verify with existing graders' labels on real completions.

* GSM8K: OpenAI's `is_correct` on the 4 x 1,319 solutions of example_model_solutions.jsonl
  (gold: the `#### N` line of test.jsonl, same order). Target >= 99.9 %.
* MATH: the Qwen2.5-Math grader's `score` on the 100 x 8 samples of math_cot_100.jsonl
  (gold: the raw `answer` field). Target >= 99.5 %.

Usage: python bench/verify_agreement.py [--data DIR]
Writes bench/results/verify_agreement.json and bench/results/verify_agreement.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mathpref.verify import GRADER_VERSION, grade_batch  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"
MODEL_KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")
TARGETS = {"gsm8k": 0.999, "qwen_math": 0.995}


def load_gsm8k(data: Path = DATA) -> list[dict]:
    """5,276 rows: gold, completion, label, plus ids for reporting."""
    tests = [json.loads(line) for line in (data / "gsm8k" / "test.jsonl").open()]
    sols = [json.loads(line) for line in (data / "gsm8k" / "example_model_solutions.jsonl").open()]
    rows = []
    for qi, (t, s) in enumerate(zip(tests, sols, strict=True)):
        assert t["question"] == s["question"]
        gold = t["answer"].split("####")[-1].strip()
        for key in MODEL_KEYS:
            rows.append(
                {
                    "id": f"gsm8k-test-{qi}/{key}",
                    "question": t["question"],
                    "gold": gold,
                    "completion": s[key]["solution"],
                    "label": bool(s[key]["is_correct"]),
                }
            )
    return rows


def load_qwen(data: Path = DATA) -> list[dict]:
    """800 rows: gold (raw `answer`), completion, label (`score`)."""
    rows = []
    path = data / "qwen25_math_samples" / "math_cot_100.jsonl"
    for rec in (json.loads(line) for line in path.open()):
        for j, (resp, score) in enumerate(zip(rec["code"], rec["score"], strict=True)):
            rows.append(
                {
                    "id": f"qwen-idx{rec['idx']}/sample{j}",
                    "question": rec["question"],
                    "gold": rec["answer"],
                    "completion": resp,
                    "label": bool(score),
                    "their_pred": rec["pred"][j],
                }
            )
    return rows


def _explain(row: dict, v: dict) -> str:
    ours = v["status"] == "correct"
    if ours and not row["label"]:
        return (
            f"label says incorrect, but the extracted answer {v['extracted_answer']!r} equals "
            f"the gold {row['gold']!r} ({v['decided_by']}: {v['reason']})"
        )
    if not ours and row["label"]:
        return (
            f"label says correct; we extracted {v['extracted_answer']!r} "
            f"(rule {v['extraction_rule']}) -> {v['status']} ({v['reason']})"
        )
    return ""


def evaluate(name: str, rows: list[dict]) -> dict:
    t0 = time.perf_counter()
    table = grade_batch([r["gold"] for r in rows], [r["completion"] for r in rows])
    elapsed = time.perf_counter() - t0
    verdicts = table.to_pylist()
    disagreements = []
    for row, v in zip(rows, verdicts, strict=True):
        if (v["status"] == "correct") != row["label"]:
            item = {
                "id": row["id"],
                "gold": row["gold"],
                "label": row["label"],
                **v,
                "explanation": _explain(row, v),
                "completion_tail": row["completion"][-300:],
            }
            if "their_pred" in row:
                item["their_pred"] = row["their_pred"]
            disagreements.append(item)
    n = len(rows)
    agree = n - len(disagreements)
    statuses: dict[str, int] = {}
    rules: dict[str, int] = {}
    for v in verdicts:
        statuses[v["status"]] = statuses.get(v["status"], 0) + 1
        rules[str(v["extraction_rule"])] = rules.get(str(v["extraction_rule"]), 0) + 1
    return {
        "dataset": name,
        "rows": n,
        "agree": agree,
        "agreement": agree / n,
        "target": TARGETS[name],
        "meets_target": agree / n >= TARGETS[name],
        "label_correct": sum(r["label"] for r in rows),
        "ours_correct": statuses.get("correct", 0),
        "statuses": statuses,
        "extraction_rules": rules,
        "seconds": round(elapsed, 3),
        "disagreements": disagreements,
    }


def to_markdown(results: list[dict]) -> str:
    lines = [f"# mathpref.verify agreement ({GRADER_VERSION})", ""]
    for r in results:
        lines += [
            f"## {r['dataset']}: {r['agree']}/{r['rows']} = {100 * r['agreement']:.2f} % "
            f"(target {100 * r['target']:.1f} %, {'met' if r['meets_target'] else 'NOT met'})",
            "",
            f"label correct: {r['label_correct']}, ours correct: {r['ours_correct']}; "
            f"statuses {r['statuses']}; rules {r['extraction_rules']}",
            "",
        ]
        if not r["disagreements"]:
            lines += ["No disagreements.", ""]
        for d in r["disagreements"]:
            lines += [
                f"### {d['id']}",
                f"- gold `{d['gold']}`, label {d['label']}, ours **{d['status']}** "
                f"(extracted `{d['extracted_answer']}` by {d['extraction_rule']}, "
                f"{d['decided_by']}: {d['reason']})",
                f"- {d['explanation']}",
            ]
            if "their_pred" in d:
                lines.append(f"- their extracted prediction: `{d['their_pred']}`")
            tail = d["completion_tail"].replace("```", "'''")
            lines += ["", "```text", tail, "```", ""]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    results = [
        evaluate("gsm8k", load_gsm8k(args.data)),
        evaluate("qwen_math", load_qwen(args.data)),
    ]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    payload = {"grader_version": GRADER_VERSION, "results": results}
    (out / "verify_agreement.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    (out / "verify_agreement.md").write_text(to_markdown(results))
    for r in results:
        print(
            f"{r['dataset']:10s} {r['agree']}/{r['rows']} = {100 * r['agreement']:.2f} % "
            f"(target {100 * r['target']:.1f} %) {'OK' if r['meets_target'] else 'BELOW TARGET'}"
            f"  [{r['seconds']} s]"
        )
        for d in r["disagreements"]:
            print(f"  - {d['id']}: gold={d['gold']!r} ours={d['status']} :: {d['explanation']}")
    return 0 if all(r["meets_target"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
