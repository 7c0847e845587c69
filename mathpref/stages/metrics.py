"""Metrics stage: evaluation metrics and per-example results over verified trajectories."""

from __future__ import annotations

from dataclasses import dataclass

from mathpref.stages.base import Stage, opt, register


@dataclass
class MetricsConfig:
    confidence: float = opt(0.95, "Confidence level of every interval.")
    bootstrap_resamples: int = opt(2000, "Bootstrap resamples of the problems.")
    seed: int = opt(0, "Seed of the bootstrap draws (fixed, so fingerprints stay stable).")
    ks: list = opt([], "k values of pass@k and maj@k (default: powers of 2 below n, and n).")
    decoding: dict = opt(
        {},
        'Decoding per arm, overriding the recorded temperature: { ARM = "greedy" | '
        '"sampled" } (needed for imported logs that record no temperature).',
    )

    def __post_init__(self):
        from mathpref.evaluation.estimators import z_value
        from mathpref.evaluation.examples import DECODINGS

        z_value(self.confidence)
        if not 1 <= self.bootstrap_resamples <= 1_000_000:
            raise ValueError("bootstrap_resamples must be in [1, 1000000]")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in self.ks):
            raise ValueError(f"ks must be positive integers, got {self.ks}")
        self.ks = sorted(set(self.ks))
        bad = {a: d for a, d in self.decoding.items() if d not in DECODINGS[:2]}
        if bad:
            raise ValueError(f"decoding must map arms to 'greedy' or 'sampled', got {bad}")


@register
class MetricsStage(Stage):
    kind = "metrics"
    code_version = "metrics-1"
    Config = MetricsConfig
    inputs = {"problems": True, "trajectories": True, "verifications": True}
    outputs = {"eval_metrics": "eval_metrics", "eval_examples": "eval_examples"}
    runs_on_driver = True  # one set-based pass over all samples (as scores and pairs)

    def run_shard(self, ctx, shard, n_shards):
        from mathpref.evaluation.benchmarks import SOURCE_TO_BENCHMARK
        from mathpref.evaluation.examples import (
            PROBLEM_COLUMNS,
            TRAJ_COLUMNS,
            VERIF_COLUMNS,
            build_examples,
        )
        from mathpref.evaluation.metrics import compute_metrics

        c = self.config
        examples, notes = build_examples(
            ctx.input("problems", list(PROBLEM_COLUMNS)),
            ctx.input("trajectories", list(TRAJ_COLUMNS)),
            ctx.input("verifications", list(VERIF_COLUMNS)),
            benchmarks=SOURCE_TO_BENCHMARK,
            decodings=dict(c.decoding),
        )
        for note in notes:
            ctx.note(note)
        if not examples.num_rows:
            return {"eval_metrics": None, "eval_examples": None}
        metrics = compute_metrics(
            examples,
            confidence=c.confidence,
            resamples=c.bootstrap_resamples,
            seed=c.seed,
            ks=c.ks,
        )
        for row in metrics.to_pylist():
            if row["metric"] in ("accuracy",) or row["k"] == row["n_samples"] > 1:
                ctx.note(
                    f"{row['benchmark']} / {row['arm']}: {row['metric']}@{row['k']} = "
                    f"{row['value']:.4f} [{row['ci_low']:.4f}, {row['ci_high']:.4f}]"
                )
        return {"eval_metrics": metrics, "eval_examples": examples}
