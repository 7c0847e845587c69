"""What verified reads cost: the part checks (size, xxh3-128 hash, footer rows) against the read
they guard, on synthetic trajectories in the store (default 125,000 problems x 8 = 1M rows).

    .venv/bin/python bench/verified_reads.py [--problems N]

Prints the check time, the time of a whole read and of the verify stage's 4-column read (both
include the check), and the ratios; writes `bench/results/verified_reads.json`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from mathpref.scoring.synthetic import make_synthetic
from mathpref.store import Store, integrity

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["trajectory_id", "problem_id", "prefix", "completion"]


def best_of(fn, n: int = 3) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=125_000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "verified_reads.json"))
    args = ap.parse_args()
    _, traj, _ = make_synthetic(args.problems, n_arms=8, seed=0)
    with tempfile.TemporaryDirectory(prefix="verified-reads-") as tmp:
        st = Store(Path(tmp) / "s")
        man = st.write_dataset("trajectories", traj, dataset_id="t", manifest={})
        del traj
        folder = st.dataset_dir("t")
        st.read("t")  # warm the page cache: both sides read from memory
        checks = best_of(lambda: integrity.check_parts(folder, man))
        whole = best_of(lambda: st.read("t"))
        narrow = best_of(lambda: st.read("t", COLUMNS))
    result = {
        "benchmark": "verified_reads",
        "command": "python bench/verified_reads.py"
        + (f" --problems {args.problems}" if args.problems != 125_000 else ""),
        "rows": man["rows"],
        "parts_mb": round(sum(p["bytes"] for p in man["parts"]) / 1e6, 1),
        "check_seconds": round(checks, 4),
        "read_all_columns_seconds": round(whole, 4),
        "read_4_columns_seconds": round(narrow, 4),
        "check_over_full_read": round(checks / whole, 4),
        "check_over_4_column_read": round(checks / narrow, 4),
    }
    print(
        f"{result['rows']:,} rows, {result['parts_mb']} MB of parts: checks {checks * 1000:.1f} ms, "
        f"full read {whole * 1000:.0f} ms (ratio {result['check_over_full_read']}), 4-column read "
        f"{narrow * 1000:.0f} ms (ratio {result['check_over_4_column_read']})"
    )
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
