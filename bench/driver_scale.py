"""How far scores and pairs go on one node (DuckDB, where the build runs, under any executor).

    .venv/bin/python bench/driver_scale.py                      # 1M, 2M and 4M trajectories
    .venv/bin/python bench/driver_scale.py --millions 0.1 0.2   # quick run

For each size, `mathpref.scoring.synthetic.make_synthetic` writes problems, trajectories and
verifications as Parquet (in a child process, not measured); then a fresh child runs the scores
stage's and the pairs stage's code (`compute_scores_staged`, `build_pairs_staged`) over
column-selective Parquet reads, as the stages do over the store, while this process samples the
child's RSS. Reported per size: seconds and peak RSS of each, and GiB per million trajectories,
from which the README's limit for one node is read (the sizes run here fit in this machine's
RAM; larger ones are extrapolated, and say so).

Writes `bench/results/driver_scale.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_scale import GIB, TreeSampler  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

WRITE = r"""
import sys
import pyarrow.parquet as pq
from mathpref.scoring.synthetic import make_synthetic
p, t, v = make_synthetic(int(sys.argv[2]), n_arms=8, seed=0)
for name, table in (("problems", p), ("trajectories", t), ("verifications", v)):
    pq.write_table(table, f"{sys.argv[1]}/{name}.parquet", compression="zstd", row_group_size=100_000)
"""

RUN = r"""
import json, sys, time
import pyarrow.parquet as pq
from mathpref.scoring import PairConfig, ScoreConfig
from mathpref.scoring.staged import build_pairs_staged, compute_scores_staged

folder = sys.argv[1]

def read(name, columns=None):
    return pq.read_table(f"{folder}/{name}.parquet", columns=columns)

def emit(**kw):
    print(json.dumps({"t": time.time(), **kw}), flush=True)

emit(event="start", stage="scores")
t0 = time.perf_counter()
scores = compute_scores_staged(read, ScoreConfig())
emit(event="end", stage="scores", seconds=time.perf_counter() - t0,
     rows={k: v.num_rows for k, v in scores.items()})
for name, table in scores.items():  # written and released, as the store does
    pq.write_table(table, f"{folder}/{name}.parquet", compression="zstd")
del scores, table
emit(event="start", stage="pairs")
t0 = time.perf_counter()
out = build_pairs_staged(read, lambda: None, PairConfig())
out.pop("report")
emit(event="end", stage="pairs", seconds=time.perf_counter() - t0,
     rows={k: v.num_rows for k, v in out.items()})
"""


def measure(folder: Path) -> dict:
    child = subprocess.Popen(
        [sys.executable, "-c", RUN, str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    sampler = TreeSampler(child.pid)
    sampler.start()
    events = [json.loads(line) for line in child.stdout if line.startswith("{")]
    err = child.stderr.read()
    child.wait()
    sampler.stop.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"run failed ({child.returncode}):\n{err[-4000:]}")
    out, start = {}, {}
    for e in events:
        if e["event"] == "start":
            start[e["stage"]] = e["t"]
        else:
            window = [m for t, m in sampler.samples if start[e["stage"]] <= t <= e["t"]] or [0]
            out[e["stage"]] = {
                "seconds": round(e["seconds"], 2),
                "peak_rss_gib": round(max(window) / GIB, 3),
                "rows": e["rows"],
            }
    out["peak_rss_gib"] = round(sampler.peak / GIB, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--millions", type=float, nargs="+", default=[1, 2, 4])
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "driver_scale.json"))
    args = ap.parse_args()
    load_before = os.getloadavg()
    sizes = []
    for m in args.millions:
        problems = int(m * 1_000_000 / 8)
        with tempfile.TemporaryDirectory(prefix="driver-scale-") as tmp:
            subprocess.run([sys.executable, "-c", WRITE, tmp, str(problems)], check=True)
            inputs_mb = sum(p.stat().st_size for p in Path(tmp).glob("*.parquet")) / 1e6
            t0 = time.perf_counter()
            res = measure(Path(tmp))
        size = {
            "trajectories": problems * 8,
            "problems": problems,
            "inputs_parquet_mb": round(inputs_mb, 1),
            **res,
            "seconds": round(time.perf_counter() - t0, 2),
            "gib_per_million": round(res["peak_rss_gib"] / (problems * 8 / 1e6), 3),
        }
        sizes.append(size)
        print(
            f"{size['trajectories']:>10,} trajectories: scores {res['scores']['seconds']} s "
            f"({res['scores']['peak_rss_gib']} GiB), pairs {res['pairs']['seconds']} s "
            f"({res['pairs']['peak_rss_gib']} GiB); {size['gib_per_million']} GiB per million",
            flush=True,
        )
    per_million = max(s["gib_per_million"] for s in sizes)
    total = psutil.virtual_memory().total / GIB
    result = {
        "benchmark": "driver_scale",
        "command": "python bench/driver_scale.py"
        + (
            "" if args.millions == [1, 2, 4] else " --millions " + " ".join(map(str, args.millions))
        ),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(total, 1),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "note": "shared with other jobs while measured: seconds are upper bounds",
        },
        "sizes": sizes,
        "max_gib_per_million": per_million,
        "extrapolated_millions_in_64_gib": round(0.8 * 64 / per_million, 1),
        "extrapolated_millions_in_this_machine": round(0.8 * total / per_million, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"peak {per_million} GiB per million trajectories: about "
        f"{result['extrapolated_millions_in_64_gib']}M in 64 GiB (80 % of RAM); wrote {args.out}"
    )


if __name__ == "__main__":
    main()
