"""ProcessBench F1 of the arithmetic-only step checker (mathpref.verify.steps).

ProcessBench (Zheng et al. 2024) labels the first wrong step of model solutions
(``label`` = 0-based index, -1 if every step is right).  We predict the first
step with a wrong *arithmetic* claim, using ProcessBench's own ``steps`` list.

    acc_error   = share of erroneous rows (label != -1) where prediction == label
    acc_correct = share of correct rows (label == -1) where prediction is None
    F1          = harmonic mean of the two

Usage:  PYTHONPATH=. python bench/processbench_steps.py [--data DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mathpref.verify.steps import check_steps

DEFAULT_DATA = Path("/work/shared/data/processbench")
DEFAULT_OUT = Path(__file__).parent / "results" / "processbench_steps.json"


def score(rows: list[dict]) -> dict:
    err_hit = err_n = ok_hit = ok_n = flagged = early = late = 0
    for row in rows:
        pred = check_steps(row["steps"]).first_arith_error_step
        label = row["label"]
        flagged += pred is not None
        if label == -1:
            ok_n += 1
            ok_hit += pred is None
        else:
            err_n += 1
            err_hit += pred == label
            early += pred is not None and pred < label
            late += pred is not None and pred > label
    acc_err = err_hit / err_n if err_n else 0.0
    acc_ok = ok_hit / ok_n if ok_n else 0.0
    f1 = 2 * acc_err * acc_ok / (acc_err + acc_ok) if acc_err + acc_ok else 0.0
    return {
        "n": len(rows),
        "n_erroneous": err_n,
        "n_correct": ok_n,
        "acc_erroneous": round(acc_err, 4),
        "acc_correct": round(acc_ok, 4),
        "f1": round(f1, 4),
        "n_flagged": flagged,
        "flagged_on_correct": ok_n - ok_hit,
        "erroneous_flagged_too_early": early,
        "erroneous_flagged_too_late": late,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--subsets", nargs="+", default=["gsm8k", "math"])
    args = ap.parse_args()
    results = {}
    for name in args.subsets:
        t0 = time.perf_counter()
        rows = json.loads((args.data / f"{name}.json").read_text())
        res = score(rows)
        res["seconds"] = round(time.perf_counter() - t0, 2)
        results[name] = res
        print(
            f"{name:>8}: F1={res['f1']:.4f}  acc_erroneous={res['acc_erroneous']:.4f} "
            f"({res['n_erroneous']})  acc_correct={res['acc_correct']:.4f} "
            f"({res['n_correct']})  flagged={res['n_flagged']}  [{res['seconds']}s]"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "checker": "mathpref.verify.steps.check_steps (arithmetic claims only)",
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
