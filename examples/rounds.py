"""On-policy rounds end to end: SFT → generate → verify → pairs → release → DPO → generate again.

    .venv/bin/python examples/rounds.py --work runs/rounds          # CPU, tiny model, a few minutes

Round 0 SFTs a base model on the gold solutions of a handful of GSM8K train problems (the tiny
random Llama answers nothing right until it has memorised some), samples from the SFT model at
T > 0, verifies, pairs (correctness first), releases the pairs and trains DPO with LoRA on them
(`--merge`). Round 1 samples from round 0's merged DPO model; its trajectories record that
model's path (`model_id`) and content revision (`model_revision`), and its pairs are counted.

Each step is the library call behind a CLI command, run in one process (so torch and TRL load
once); the equivalent commands are printed as the script goes. A summary is written to
WORK/rounds.json. With a real model on a GPU (on paper here, no GPU is lent to this project):

    python examples/rounds.py --work runs/r --base HuggingFaceTB/SmolLM2-135M-Instruct@main \\
        --problems 512 --samples 8 --backend vllm --sft-steps 500 --dpo-steps 300 --lora-sft \\
        --set use_cpu=false --set bf16=true
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
USER_TEMPLATE = "{question}"
SPEC = """
[pipeline]
name = "{name}"
description = "On-policy round {round}: samples from {model_label}."

[stages.problems]
kind = "problems"
path = "{problems}"
preset = "gsm8k"
source = "gsm8k-train"

[stages.trajectories]
kind = "generate"
inputs = {{ problems = "problems" }}
backend = "{backend}"
model = "{model}"
backend_options = {backend_options}

  [[stages.trajectories.arms]]
  name = "sample"
  family = "direct"
  user_template = "{user_template}"
  temperature = {temperature}
  top_p = 1.0
  n = {samples}
  max_new_tokens = {max_new_tokens}
  seed = {seed}

[stages.verify]
kind = "verify"
inputs = {{ trajectories = "trajectories", problems = "problems" }}

[stages.scores]
kind = "scores"
inputs = {{ problems = "problems", trajectories = "trajectories", verifications = "verify" }}
test_fraction = 0.0

[stages.pairs]
kind = "pairs"
inputs = {{ problems = "problems", trajectories = "trajectories", verifications = "verify", trajectory_scores = "scores.trajectory_scores", problem_scores = "scores.problem_scores" }}
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pick_problems(source: Path, n: int, out: Path) -> Path:
    """The n GSM8K problems with the shortest question + solution (stable order)."""
    from mathpref.training.gold import strip_calculator_notes

    rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    rows.sort(
        key=lambda r: (len(r["question"]) + len(strip_calculator_notes(r["answer"])), r["question"])
    )
    out.write_text("".join(json.dumps(r) + "\n" for r in rows[:n]))
    return out


def build_round(args, work: Path, r: int, model: str, store) -> dict:
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec

    name = f"rounds-{r}"
    opts = '{ batch_size = 16, device = "cpu" }' if args.backend == "transformers" else "{}"
    spec = work / f"{name}.toml"
    spec.write_text(
        SPEC.format(
            name=name,
            round=r,
            model_label=Path(model).name,
            problems=work / "problems.jsonl",
            backend=args.backend,
            model=model,
            backend_options=opts,
            user_template=USER_TEMPLATE,
            temperature=args.temperature,
            samples=args.samples,
            max_new_tokens=args.max_new_tokens,
            seed=1000 + r,
        )
    )
    say(f"$ mathpref build {spec} --store {store.root}")
    Runner(load_spec(str(spec)), store).build()
    ref = store.read_ref(name)
    traj = store.read(ref.output("trajectories")["dataset_id"])
    ver = store.read(ref.output("verify")["dataset_id"])
    pairs = store.read(ref.output("pairs", "pairs")["dataset_id"])
    types = pairs["pair_type"].to_pylist()
    statuses = ver["status"].to_pylist()
    return {
        "round": r,
        "pipeline": name,
        "model": model,
        "model_ids": sorted(set(traj["model_id"].to_pylist())),
        "model_revisions": sorted(set(traj["model_revision"].to_pylist()), key=str),
        "trajectories": traj.num_rows,
        "correct": statuses.count("correct"),
        "accuracy": statuses.count("correct") / max(1, len(statuses)),
        "pairs": len(types),
        "correctness_pairs": types.count("correctness"),
    }


def train(method: str, out: Path, model: str, sets: list[str], **kw):
    from mathpref.training.run import TrainRequest
    from mathpref.training.run import train as run_train

    flags = " ".join(f"--set {s}" for s in sets)
    src = f"--problems {kw['problems']}" if "problems" in kw else f"--data {kw.get('data')}"
    say(f"$ mathpref train {method} {src} --model {model} --out {out} {flags}")
    req = TrainRequest(method=method, out=out, model=model, sets=sets, overwrite=True, **kw)
    return run_train(req, progress=say)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--work", type=Path, required=True, help="Working folder (models, store, releases)."
    )
    p.add_argument(
        "--base",
        default="tiny",
        help="Base model: 'tiny' (built here), a folder, 'smollm2', ORG/NAME@REV.",
    )
    p.add_argument(
        "--gsm8k", type=Path, default=REPO.parent / "shared" / "data" / "gsm8k" / "train.jsonl"
    )
    p.add_argument("--problems", type=int, default=4, help="Problems (shortest GSM8K train ones).")
    p.add_argument("--samples", type=int, default=8, help="Samples per problem and round.")
    p.add_argument("--temperature", type=float, default=1.2)
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--backend", default="transformers", help="transformers | vllm")
    p.add_argument("--sft-steps", type=int, default=40)
    p.add_argument("--sft-lr", type=float, default=5e-3)
    p.add_argument("--lora-sft", action="store_true", help="SFT with LoRA (default: full model).")
    p.add_argument("--dpo-steps", type=int, default=10)
    p.add_argument("--set", dest="sets", action="append", default=[], help="Extra recipe override.")
    args = p.parse_args(argv)

    from mathpref.generation.model_identity import content_revision
    from mathpref.release.run import release_build
    from mathpref.store import Store

    work = args.work.resolve()
    (work / "models").mkdir(parents=True, exist_ok=True)
    pick_problems(args.gsm8k, args.problems, work / "problems.jsonl")
    base = args.base
    if base == "tiny":
        from mathpref.generation.tiny import build_tiny_model

        base = str(build_tiny_model(work / "models" / "base"))
    store = Store(work / "store")
    quiet = ["save_strategy=no", "logging_steps=5", "disable_tqdm=true"]

    # Round 0: SFT on gold solutions until the model reproduces some of them.
    sft_sets = [
        f"max_steps={args.sft_steps}",
        f"learning_rate={args.sft_lr}",
        "lr_scheduler_type=constant",
        "per_device_train_batch_size=4",
        *quiet,
        *args.sets,
    ]
    sft = train(
        "sft",
        work / "models" / "sft",
        base,
        sft_sets,
        problems=str(work / "problems.jsonl"),
        lora=args.lora_sft,
        merge=args.lora_sft,
        user_template=USER_TEMPLATE,
    )
    sft_model = str(sft.merged or sft.out)
    round0 = build_round(args, work, 0, sft_model, store)
    say(
        f"round 0: {round0['correct']}/{round0['trajectories']} correct, "
        f"{round0['correctness_pairs']} correctness pair(s)"
    )
    if round0["correct"] == 0:
        raise SystemExit("round 0: the SFT model reproduces no gold solution: raise --sft-steps")
    if round0["pairs"] == 0:
        raise SystemExit(
            "round 0: no pairs (every sample right, or every one wrong): change "
            "--temperature or --sft-steps"
        )
    rel0 = work / "releases" / "round-0"
    say(f"$ mathpref release rounds-0 --store {store.root} --out {rel0}")
    release_build(store, "rounds-0", rel0)

    # DPO on round 0's pairs, merged for the next round's generate stage.
    dpo_sets = [
        f"max_steps={args.dpo_steps}",
        "per_device_train_batch_size=2",
        "learning_rate=1e-3",
        "max_length=256",
        *quiet,
        *args.sets,
    ]
    dpo = train("dpo", work / "models" / "dpo-0", sft_model, dpo_sets, data=str(rel0), merge=True)
    round1 = build_round(args, work, 1, str(dpo.merged), store)
    say(
        f"round 1: {round1['correct']}/{round1['trajectories']} correct, "
        f"{round1['correctness_pairs']} correctness pair(s)"
    )
    summary = {
        "base": base,
        "sft": {
            "out": str(sft.out),
            "revision": content_revision(sft_model),
            "loss": sft.state["metrics"].get("train_loss"),
        },
        "dpo": {
            "out": str(dpo.out),
            "merged": str(dpo.merged),
            "revision": dpo.state["merged"],
            "rewards/accuracies": dpo.state["metrics"].get("rewards/accuracies"),
        },
        "rounds": [round0, round1],
    }
    (work / "rounds.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
