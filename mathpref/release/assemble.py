"""Every config and plot of a release, from a build (the builders live in `config_pairs` and
`config_steps`)."""

from __future__ import annotations

from mathpref import plots
from mathpref.release import config_pairs as P
from mathpref.release import config_steps as S
from mathpref.release import configs as C
from mathpref.release.options import ReleaseOptions
from mathpref.release.prompts import build_prompts
from mathpref.release.source import BuildData, ReleaseError
from mathpref.release.summary import rule_counts

EMPTY = {
    "dpo": "the build has no correctness or coherence pairs",
    "kto": "the build has no KTO rows",
    "sft": "the build has no verified-correct, eligible trajectory",
    "step_dpo": "the build has no step pairs (no verified-correct continuation of a wrong step)",
    "step_dpo_trl": "the build has no step pairs",
    "prm": "no trajectory carries the log's own step ratings or a step label of the declared "
    "step_sources (the arithmetic checker's "
    "'no error found' is never used as a label)",
}


def build_configs(data: BuildData, opts: ReleaseOptions):
    p = build_prompts(data.table("trajectories"), opts.chat_template)
    std = opts.format == "standard"
    built, skipped = {}, {}
    builders = {
        "dpo": lambda: P.dpo(data, p, std, opts.same_prompt_only),
        "kto": lambda: P.kto(data, p, std),
        "sft": lambda: P.sft(data, p, std, opts.sft_per_problem),
        "step_dpo": lambda: S.step_dpo(data, p),
        "step_dpo_trl": lambda: S.step_dpo_trl(data, p),
        "prm": lambda: S.prm(data),
    }
    for name, make in builders.items():
        try:
            b = make()
        except ReleaseError as exc:
            if name != "step_dpo_trl":
                raise
            skipped[name] = (
                (
                    "needs a chat-rendered prompt, and the log holds the bare question: "
                    "release again with --chat-template TOKENIZER"
                )
                if "chat-rendered" in str(exc)
                else str(exc)
            )
            continue
        if b.rows:
            built[name] = b
        else:
            skipped[name] = EMPTY[name]
    raw = {
        "trajectories": ["trajectories"],
        "verifications": ["verifications"],
        "scores": ["trajectory_scores", "problem_scores"],
    }
    for inc in opts.include:
        for kind in raw[inc]:
            b = C.raw(data, [kind])
            if b.rows:
                built[kind] = b
            else:
                skipped[kind] = f"the build's {kind} table has no rows"
    return p, built, skipped


def build_plots(data: BuildData, p, built) -> dict[str, bytes]:
    counts = {
        f"{c}/{t}": n
        for (c, t, _), n in rule_counts({k: b.splits for k, b in built.items()}).items()
    }
    chosen, rejected = [], []
    if "dpo" in built:
        for t in built["dpo"].splits.values():
            chosen += [p.completion[p.of(x)] for x in t["chosen_trajectory_id"].to_pylist()]
            rejected += [p.completion[p.of(x)] for x in t["rejected_trajectory_id"].to_pylist()]
    return {
        "plots/arm_accuracy.png": plots.arm_accuracy(
            data.table("trajectories"), data.table("verifications")
        ),
        "plots/pass_rate.png": plots.pass_rate_histogram(data.table("problem_scores")),
        "plots/pair_types.png": plots.pair_types(counts),
        "plots/lengths.png": plots.length_comparison(chosen, rejected),
    }


PLOT_TITLES = {
    "plots/arm_accuracy.png": "Accuracy per arm",
    "plots/pass_rate.png": "Pass-rate histogram",
    "plots/pair_types.png": "Rows per config and pair type",
    "plots/lengths.png": "Chosen vs rejected length",
}
