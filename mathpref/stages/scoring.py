"""Scores and pairs stages: thin wrappers over the set-based `mathpref.scoring` library."""

from __future__ import annotations

from mathpref.pipeline.stage import Stage, register
from mathpref.scoring import PairConfig, ScoreConfig
from mathpref.scoring.staged import build_pairs_staged, compute_scores_staged

_TABLES = ("problems", "trajectories", "verifications")


@register
class ScoresStage(Stage):
    kind = "scores"
    code_version = "scores-1"
    Config = ScoreConfig
    inputs = {name: True for name in _TABLES}
    outputs = {"problem_scores": "problem_scores", "trajectory_scores": "trajectory_scores"}

    def run_shard(self, ctx, shard, n_shards):
        return compute_scores_staged(_reader(ctx), self.config)


@register
class PairsStage(Stage):
    kind = "pairs"
    code_version = "pairs-1"
    Config = PairConfig
    inputs = {**{name: True for name in _TABLES}, "trajectory_scores": True, "problem_scores": True}
    outputs = {"pairs": "pairs", "step_pairs": "step_pairs", "kto_rows": "kto_rows"}

    def run_shard(self, ctx, shard, n_shards):
        out = build_pairs_staged(_reader(ctx), _releaser(ctx), self.config)
        report = out.pop("report")
        for dataset, counts in report.get("counts", {}).items():
            for rule, n in counts.items():
                ctx.note(f"{dataset}: {n} row(s) by {rule}")
        for note in report.get("notes", []):
            ctx.note(note)
        return out


def _reader(ctx):
    """read(role, columns): only those columns when the runner's reader supports it."""

    def read(role, columns=None):
        try:
            return ctx.read_input(role, columns)
        except TypeError:  # a reader without a column list
            table = ctx.input(role)
            return table if columns is None else table.select(columns)

    return read


def _releaser(ctx):
    """Drop the stage's cached inputs (they are read again if asked for)."""
    return getattr(ctx.read_input, "clear", lambda: None)
