"""Scores and pairs stages: thin wrappers over the set-based `mathpref.scoring` library."""

from __future__ import annotations

from mathpref.errors import StageError
from mathpref.scoring import PairConfig, ScoreConfig
from mathpref.scoring.staged import build_pairs_staged, compute_scores_staged
from mathpref.stages.base import Stage, register

_TABLES = ("problems", "trajectories", "verifications")


@register
class ScoresStage(Stage):
    kind = "scores"
    code_version = "scores-1"
    Config = ScoreConfig
    inputs = {name: True for name in _TABLES}
    outputs = {"problem_scores": "problem_scores", "trajectory_scores": "trajectory_scores"}
    checkpoint_lone_shard = False

    def run_shard(self, ctx, shard, n_shards):
        return compute_scores_staged(ctx.input, self.config)


@register
class PairsStage(Stage):
    kind = "pairs"
    code_version = "pairs-1"
    Config = PairConfig
    inputs = {
        **{name: True for name in _TABLES},
        "trajectory_scores": True,
        "problem_scores": True,
        "step_labels": False,  # the label sources `step_sources` may name
    }
    outputs = {"pairs": "pairs", "step_pairs": "step_pairs", "kto_rows": "kto_rows"}
    empty_ok = frozenset({"step_pairs"})  # no continuations in the input: no step pairs
    checkpoint_lone_shard = False
    audits = (
        "coherence_pair_labels",
        "correctness_pair_labels",
        "cross_problem_pairs",
        "identical_chosen_rejected",
        "kto_labels",
        "split_leak",
        "step_pair_labels",
        "unverified_in_pairs",
    )

    def run_shard(self, ctx, shard, n_shards):
        from mathpref.scoring.step_sources import LABEL_SOURCES

        labels = ctx.input("step_labels") if ctx.has_input("step_labels") else None
        wanted = [s for s in self.config.step_sources if s in LABEL_SOURCES]
        if wanted and labels is None:
            raise StageError(
                f"stage '{self.name}': step_sources names {wanted}, which need a "
                'step_labels input (inputs = { step_labels = "<step_labels stage>" })'
            )
        out = build_pairs_staged(ctx.input, ctx.release_inputs, self.config, labels)
        report = out.pop("report")
        for dataset, counts in report.get("counts", {}).items():
            for rule, n in counts.items():
                ctx.note(f"{dataset}: {n} row(s) by {rule}")
        for note in report.get("notes", []):
            ctx.note(note)
        return out
