"""Where the answers stand in real solutions: the counts behind docs/decisions/0008.

Over every solution text in ../shared/data (GPT-3 GSM8K, Qwen2.5-Math, the four ProcessBench
files): how often a box and an explicit statement both occur and whether they name the same
answer, how often several distinct boxes occur, how often a candidate sits in a check segment
after an earlier answer, which continuation cut applies, and which rule extraction uses.

Usage: python bench/answer_position_stats.py [--data DIR]
Writes bench/results/answer_position_stats.json (counts plus every differing text's id).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from mathpref.verify import extract  # noqa: E402
from mathpref.verify.boxes import answer_boxes, check_regions, inside  # noqa: E402
from mathpref.verify.cut import solution_end, strip_emphasis  # noqa: E402
from mathpref.verify.extract import _FINAL, _final_value, _markers  # noqa: E402
from mathpref.verify.grade import answer_key  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"
KEYS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def texts(data: Path):
    for line in (data / "gsm8k" / "example_model_solutions.jsonl").open():
        rec = json.loads(line)
        for k in KEYS:
            yield "gpt3", rec[k]["solution"], None
    for line in (data / "qwen25_math_samples" / "math_cot_100.jsonl").open():
        rec = json.loads(line)
        for j, c in enumerate(rec["code"]):
            yield "qwen", c, f"qwen-{rec['idx']}/{j}"
    for name in ("gsm8k", "math", "olympiadbench", "omnimath"):
        for r in json.loads((data / "processbench" / f"{name}.json").read_text()):
            yield f"processbench_{name}", "\n\n".join(r["steps"]), r["id"]


def _same(a: str, b: str) -> bool:
    return (
        answer_key(a) == answer_key(b) or answer_key(a) == answer_key(b.strip("$\\()[] ")) or a in b
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    c: Counter[str] = Counter()
    differ, multi = [], []
    for source, raw, rid in texts(args.data):
        c["texts"] += 1
        end, why = solution_end(raw)
        c[f"cut:{why}"] += 1
        t = strip_emphasis(raw[:end])
        boxes = answer_boxes(t)
        stmts = []
        for m in _FINAL.finditer(t):
            v = _final_value(t, m.end())
            if v:
                stmts.append((m.start(), v))
        stmts += [(at, v) for at, v, _ in _markers(t)]
        if boxes and stmts:
            c["box_and_statement"] += 1
            if _same(boxes[-1].value, max(stmts)[1]):
                c["box_and_statement_same"] += 1
            else:
                differ.append(rid or source)
        if len({answer_key(b.value) for b in boxes}) > 1:
            multi.append(rid or source)
        starts = [b.start for b in boxes] + [at for at, _ in stmts]
        if starts:
            regions = check_regions(t, min(starts) + 1)
            if any(inside(b.start, regions) for b in boxes) or any(
                inside(at, regions) for at, _ in stmts
            ):
                c["candidate_in_check_after_answer"] += 1
        c[f"rule:{extract(raw).rule}"] += 1
    c["several_distinct_boxes"] = len(multi)
    out = {
        "counts": dict(sorted(c.items())),
        "box_statement_differ": differ,
        "several_boxes": multi,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "answer_position_stats.json").write_text(json.dumps(out, indent=2))
    for k, v in sorted(c.items()):
        print(f"{k:36s} {v}")
    print(f"box/statement differ: {differ}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
