"""ProcessBench F1 of a step source: the arithmetic checker, a critic (LLM judge) or a PRM.

ProcessBench (Zheng et al. 2024) labels the first wrong step of model solutions
(``label`` = 0-based index, -1 if every step is right).  A source predicts a step index, "no
wrong step" (None) or `unverifiable`, from ProcessBench's own ``steps`` list.

    acc_error   = share of erroneous rows (label != -1) where prediction == label
    acc_correct = share of correct rows (label == -1) where prediction is "no wrong step"
    F1          = harmonic mean of the two

An unverifiable prediction is wrong on both kinds of row (never read as "no wrong step"); its
share is reported. With --critic or --prm the arithmetic checker's F1 on the same rows, measured
in the same run, is the anchor (`ratio_to_arithmetic`).

Usage:
  PYTHONPATH=. python bench/processbench_steps.py                  # arithmetic checker
  ... --critic transformers:smollm2 --subsets gsm8k --limit 20     # a judge through any backend
  ... --critic scripted:replies.jsonl                               # scripted judge replies
  ... --prm vllm:Qwen/Qwen2.5-Math-PRM-7B --revision SHA           # a PRM (see scripts/)
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from mathpref.steplabels.base import STATUS_UNVERIFIABLE, StepItem
from mathpref.steplabels.processbench import harmonic_f1
from mathpref.verify.steps import check_steps

DEFAULT_DATA = Path("/work/shared/data/processbench")
RESULTS = Path(__file__).parent / "results"
UNVERIFIABLE = "unverifiable"


def f1_scores(labels: list[int], preds: list) -> dict:
    """ProcessBench's figures; a pred is a step index, None (no wrong step) or UNVERIFIABLE."""
    if len(labels) != len(preds):
        raise ValueError(f"{len(preds)} predictions for {len(labels)} rows")
    err_hit = err_n = ok_hit = ok_n = flagged = early = late = unver = 0
    for label, pred in zip(labels, preds, strict=True):
        unver += pred == UNVERIFIABLE
        step = pred if isinstance(pred, int) else None
        flagged += step is not None
        if label == -1:
            ok_n += 1
            ok_hit += pred is None
        else:
            err_n += 1
            err_hit += step == label
            early += step is not None and step < label
            late += step is not None and step > label
    acc_err = err_hit / err_n if err_n else 0.0
    acc_ok = ok_hit / ok_n if ok_n else 0.0
    f1 = harmonic_f1(acc_err, acc_ok)
    return {
        "n": len(labels),
        "n_erroneous": err_n,
        "n_correct": ok_n,
        "acc_erroneous": round(acc_err, 4),
        "acc_correct": round(acc_ok, 4),
        "f1": round(f1, 4),
        "n_flagged": flagged,
        "flagged_on_correct": sum(
            1 for lab, p in zip(labels, preds, strict=True) if lab == -1 and isinstance(p, int)
        ),
        "erroneous_flagged_too_early": early,
        "erroneous_flagged_too_late": late,
        "n_unverifiable": unver,
        "unverifiable_share": round(unver / len(labels), 4) if labels else 0.0,
    }


def arithmetic_preds(rows: list[dict]) -> list:
    return [check_steps(r["steps"]).first_arith_error_step for r in rows]


def score(rows: list[dict]) -> dict:
    """The arithmetic checker's figures (kept for callers of the first version)."""
    return f1_scores([r["label"] for r in rows], arithmetic_preds(rows))


def items_of(rows: list[dict]) -> list[StepItem]:
    return [
        StepItem(
            trajectory_id=r["id"],
            problem_id=r["id"],
            question=r["problem"],
            gold="",
            steps=tuple(r["steps"]),
            messages=(("user", r["problem"]),),
        )
        for r in rows
    ]


def preds_of(labels) -> list:
    return [
        UNVERIFIABLE if lab.status == STATUS_UNVERIFIABLE else lab.first_wrong_step
        for lab in labels
    ]


def split_spec(spec: str) -> tuple[str, str]:
    backend, sep, model = spec.partition(":")
    if not sep or not backend or not model:
        raise SystemExit(
            f"expected BACKEND:MODEL (e.g. vllm:Qwen/Qwen2.5-Math-PRM-7B), got {spec!r}"
        )
    return backend, model


def open_generate(backend_name: str, model: str, options: dict, revision: str = ""):
    """A `Generate` callable over a backend; `scripted:FILE` reads judge replies from FILE."""
    from mathpref.generation.backends import get_backend

    if backend_name == "scripted":
        backend = get_backend("scripted", path=model, **options)
    else:
        if model == "smollm2":
            from mathpref.generation.smollm2 import smollm2_model_dir

            model = str(smollm2_model_dir(progress=lambda m: print(m, file=sys.stderr)))
        backend = get_backend(backend_name, model=model, revision=revision or None, **options)
    return generate_with(backend)


def generate_with(backend):
    """Results by request id, in request order; a failed request gives '' (-> unverifiable)."""

    def generate(requests):
        got = {r.request_id: r for r in backend.generate(list(requests))}
        bad = [r for r in got.values() if r.finish_reason == "error"]
        if bad:
            print(f"{len(bad)} judge request(s) failed, e.g. {bad[0].error}", file=sys.stderr)
        return [got[q.request_id].completion if q.request_id in got else "" for q in requests]

    return generate


def step_config(method: str, backend: str, model: str, args):
    from mathpref.stages.step_labels import StepLabelsConfig

    kw = dict(method=method, backend=backend, revision=args.revision)
    kw |= {"completions": model} if backend == "scripted" else {"model": model}
    if method == "critic":
        kw |= dict(critic_samples=args.samples, critic_max_new_tokens=args.max_new_tokens)
        kw |= dict(critic_temperature=args.temperature)
    else:
        kw |= dict(prm_threshold=args.threshold, backend_options=args.backend_options)
        kw |= dict(prm_max_tokens=args.prm_max_tokens)
    return StepLabelsConfig(**kw)


def source_preds(rows, method: str, spec: str, args) -> list:
    from mathpref.steplabels import critic, prm

    backend, model = split_spec(spec)
    config = step_config(method, backend, model, args)
    if method == "critic":
        generate = args.generate or open_generate(
            backend, model, args.backend_options, args.revision
        )
        return preds_of(critic.label(items_of(rows), config, generate))
    return preds_of(prm.label(items_of(rows), config))


def balanced(rows: list[dict], n: int) -> list[dict]:
    """The first n//2 erroneous and n - n//2 correct rows, in file order."""
    err = [r for r in rows if r["label"] != -1][: n // 2]
    ok = [r for r in rows if r["label"] == -1][: n - n // 2]
    picked = {id(r) for r in err + ok}
    return [r for r in rows if id(r) in picked]


def run(args) -> dict:
    method = "critic" if args.critic else "prm" if args.prm else "arithmetic"
    results = {}
    for name in args.subsets:
        rows = json.loads((args.data / f"{name}.json").read_text())
        rows = balanced(rows, args.limit) if args.limit else rows
        labels = [r["label"] for r in rows]
        t0 = time.perf_counter()
        anchor = f1_scores(labels, arithmetic_preds(rows))
        anchor_s = time.perf_counter() - t0
        if method == "arithmetic":
            res = anchor
        else:
            t0 = time.perf_counter()
            res = f1_scores(labels, source_preds(rows, method, args.critic or args.prm, args))
            res["arithmetic_f1"] = anchor["f1"]
            res["ratio_to_arithmetic"] = (
                round(res["f1"] / anchor["f1"], 3) if anchor["f1"] else None
            )
        res["seconds"] = round(time.perf_counter() - t0, 2)
        res["arithmetic_seconds"] = round(anchor_s, 2)
        results[name] = res
        print(
            f"{name:>8}: F1={res['f1']:.4f}  acc_erroneous={res['acc_erroneous']:.4f} "
            f"({res['n_erroneous']})  acc_correct={res['acc_correct']:.4f} ({res['n_correct']})  "
            f"flagged={res['n_flagged']}  unverifiable={res['unverifiable_share']:.3f}  "
            + (f"arithmetic F1={anchor['f1']:.4f}  " if method != "arithmetic" else "")
            + f"[{res['seconds']}s]"
        )
    return {"method": method, "results": results}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--out", type=Path, default=None, help="default bench/results/processbench_<method>.json"
    )
    ap.add_argument("--subsets", nargs="+", default=["gsm8k", "math"])
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        help="N rows of each subset, half erroneous, half correct (0 = all)",
    )
    src = ap.add_mutually_exclusive_group()
    src.add_argument(
        "--critic", metavar="BACKEND:MODEL", help="a judge through a generation backend"
    )
    src.add_argument("--prm", metavar="BACKEND:MODEL", help="a PRM: transformers | vllm")
    ap.add_argument("--revision", default="", help="model revision (Hub commit) to load")
    ap.add_argument("--backend-options", type=json.loads, default={}, help="JSON object")
    ap.add_argument("--samples", type=int, default=1, help="critic: replies per item (vote)")
    ap.add_argument("--temperature", type=float, default=0.0, help="critic: sampling temperature")
    ap.add_argument("--max-new-tokens", type=int, default=1024, help="critic: reply length limit")
    ap.add_argument("--threshold", type=float, default=0.5, help="prm: wrong below this score")
    ap.add_argument("--prm-max-tokens", type=int, default=4096, help="prm: longer is unverifiable")
    args = ap.parse_args(argv)
    args.generate = None  # tests pass a Generate callable here
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    out = run(args)
    if args.critic or args.prm:
        out["source"] = args.critic or args.prm
        out["revision"] = args.revision or None
    out["command"] = "PYTHONPATH=. python bench/processbench_steps.py " + shlex.join(
        argv or sys.argv[1:]
    )
    name = {"arithmetic": "processbench_steps"}.get(out["method"], f"processbench_{out['method']}")
    path = args.out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path}")
    return out


if __name__ == "__main__":
    main()
