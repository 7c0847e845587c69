"""The Ray executor's overhead on a 1M-row verify, against the local executor, in one run.

    .venv/bin/python bench/ray_overhead.py                  # 125,000 problems x 8 arms
    .venv/bin/python bench/ray_overhead.py --problems 5000  # quick run

The inputs of `bench/pipeline_scale.py` (synthetic GSM8K-style problems and 1M trajectories with
step-checkable arithmetic) go through problems -> import (native) -> verify (step checks on),
built twice into fresh stores, each in a child process whose whole process tree's RSS is
sampled: once with the local executor, once with `--executor ray` on a local Ray started by the
child (`ray.init(num_cpus=<cores>)`, its start-up counted). The figure is the ratio of the
verify stage's seconds (Ray / local); the build's seconds and the peak RSS are reported beside
it, and both builds must end with the same verifications fingerprint.

Writes `bench/results/ray_overhead.json` (or `--out`).
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
from pipeline_scale import GIB, TreeSampler, write_inputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

SPEC = """
[pipeline]
name = "ray-overhead"

[stages.problems]
kind = "problems"
path = "problems.jsonl"
preset = "gsm8k"
source = "synthetic"

[stages.trajectories]
kind = "import"
inputs = { problems = "problems" }
path = "trajectories.parquet"
adapter = "native"

[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
step_checks = true
"""

CHILD = r"""
import json, sys, time
from mathpref.pipeline.executor import get_executor
from mathpref.pipeline.runner import Reporter, Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store

def emit(**kw):
    print(json.dumps({"t": time.time(), **kw}), flush=True)

class R(Reporter):
    def stage_start(self, name, kind, n_shards, done):
        emit(event="start", stage=name, shards=n_shards)
    def stage_end(self, res):
        fp = {k: v["fingerprint"] for k, v in res.outputs.items()}
        emit(event="end", stage=res.name, seconds=res.seconds, fingerprints=fp)

if __name__ == "__main__":
    t0 = time.perf_counter()
    with get_executor(sys.argv[3]) as ex:
        Runner(load_spec(sys.argv[1]), Store(sys.argv[2]), R(), ex).build()
    emit(event="done", seconds=time.perf_counter() - t0)
"""


def run(work: Path, executor: str) -> dict:
    (work / "child.py").write_text(CHILD)
    t0 = time.time()
    child = subprocess.Popen(
        [sys.executable, str(work / "child.py"), str(work / "spec.toml"),
         str(work / f"store-{executor}"), executor],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    sampler = TreeSampler(child.pid)
    sampler.start()
    events = [json.loads(line) for line in child.stdout if line.startswith("{")]
    err = child.stderr.read()
    child.wait()
    sampler.stop.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"{executor} build failed ({child.returncode}):\n{err[-4000:]}")
    ends = {e["stage"]: e for e in events if e["event"] == "end"}
    starts = {e["stage"]: e for e in events if e["event"] == "start"}
    return {
        "stages": {
            n: {"seconds": round(e["seconds"], 2), "shards": starts.get(n, {}).get("shards")}
            for n, e in ends.items()
        },
        "fingerprints": {n: e["fingerprints"] for n, e in ends.items()},
        "build_seconds": round(next(e for e in events if e["event"] == "done")["seconds"], 2),
        "wall_seconds": round(time.time() - t0, 2),
        "peak_rss_tree_gib": round(sampler.peak / GIB, 3),
        "max_processes": sampler.max_procs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--problems", type=int, default=125_000, help="problems (x 8 arms)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "ray_overhead.json"))
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ray-overhead-") as tmp:
        work = Path(tmp)
        data = write_inputs(args.problems, work)
        (work / "spec.toml").write_text(SPEC)
        print(f"inputs: {data['trajectories']:,} trajectories", flush=True)
        runs = {}
        for executor in ("local", "ray"):
            runs[executor] = run(work, executor)
            r = runs[executor]
            print(
                f"  {executor:<5} verify {r['stages']['verify']['seconds']:>7.2f} s "
                f"({r['stages']['verify']['shards']} shards), build {r['build_seconds']} s, "
                f"peak RSS {r['peak_rss_tree_gib']} GiB",
                flush=True,
            )
    local, remote = runs["local"], runs["ray"]
    if local["fingerprints"] != remote["fingerprints"]:
        raise SystemExit(
            f"fingerprints differ: {local['fingerprints']} vs {remote['fingerprints']}"
        )
    ratio = remote["stages"]["verify"]["seconds"] / local["stages"]["verify"]["seconds"]
    result = {
        "benchmark": "ray_overhead",
        "command": "python bench/ray_overhead.py"
        + (f" --problems {args.problems}" if args.problems != 125_000 else ""),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "note": "shared with other jobs while measured: compare the ratio, not the seconds",
        },
        "inputs": {k: v for k, v in data.items() if k != "example_completions"},
        "local": local,
        "ray": remote,
        "verify_ratio_ray_over_local": round(ratio, 3),
        "build_ratio_ray_over_local": round(remote["build_seconds"] / local["build_seconds"], 3),
        "same_fingerprints": True,
    }
    print(
        f"verify on Ray / local: {ratio:.2f}x; whole build "
        f"{result['build_ratio_ray_over_local']:.2f}x; same fingerprints"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
