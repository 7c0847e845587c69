"""Vectorised step checks vs the frozen per-row anchor (bench/frozen_steps), same rows, same run.

    PYTHONPATH=. .venv/bin/python bench/step_checks.py [--synthetic-rows 200000]

Single process on both sides; every cache (anchor and package) is emptied before each timed run,
and the two tables are compared for equality. Writes bench/results/step_checks.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import frozen_steps, step_corpora  # noqa: E402
from bench.frozen_steps.step_batch import check_steps_batch as anchor  # noqa: E402
from mathpref.verify import arith, step_claims, steps  # noqa: E402
from mathpref.verify.step_batch import check_steps_batch  # noqa: E402


def _clear_package() -> None:
    steps._step_summary.cache_clear()
    step_claims.claims_in_text.cache_clear()
    arith.num_value.cache_clear()
    arith._TOK_CACHE.clear()


def _timed(fn, texts, clear):
    clear()
    t0 = time.perf_counter()
    out = fn(texts)
    return time.perf_counter() - t0, out


def measure(name: str, texts: list[str]) -> dict:
    ta, a = _timed(anchor, texts, frozen_steps.clear_caches)
    tv, v = _timed(lambda t: check_steps_batch(t, vector=True), texts, _clear_package)
    same = a.equals(v)
    print(
        f"{name}: {len(texts):,} rows anchor {ta:.3f} s vector {tv:.3f} s ratio {ta / tv:.2f}x same={same}"
    )
    return {
        "rows": len(texts),
        "anchor_s": round(ta, 4),
        "vector_s": round(tv, 4),
        "ratio": round(ta / tv, 2),
        "identical": same,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic-rows", type=int, default=200_000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "step_checks.json")
    args = ap.parse_args()
    from mathpref.scoring.synthetic import make_synthetic

    sets = {
        "gsm8k_train": step_corpora.gsm8k_train(),
        "gsm8k_test": step_corpora.gsm8k_test(),
        "gpt3_solutions": step_corpora.gpt3_solutions(),
    }
    _, traj, _ = make_synthetic(max(1, args.synthetic_rows // 8), 8, seed=0)
    sets["synthetic"] = traj["completion"].to_pylist()
    results = {name: measure(name, texts) for name, texts in sets.items()}
    out = {
        "command": "PYTHONPATH=. .venv/bin/python bench/step_checks.py"
        + (f" --synthetic-rows {args.synthetic_rows}" if args.synthetic_rows != 200_000 else ""),
        "processes": "1 (both sides)",
        "sets": results,
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
