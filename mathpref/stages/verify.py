"""Verify stage: one verifications row per trajectory (final answer vs gold, arithmetic steps)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.pipeline.stage import Stage, opt, register


@dataclass
class VerifyConfig:
    timeout: float = opt(5.0, "Per-row timeout in seconds for the symbolic checker.")
    step_checks: bool = opt(True, "Also check every arithmetic claim, step by step.")
    workers: int = opt(
        0, "Worker processes for the symbolic checker (0 = all cores).", volatile=True
    )
    dedupe: bool = opt(True, "Grade each distinct (gold, answer) pair once.", volatile=True)
    shard_rows: int = opt(20_000, "Trajectories per resumable shard.", volatile=True)

    def __post_init__(self):
        if not 0 < self.timeout <= 600:
            raise ValueError("timeout must be in (0, 600] seconds")
        if self.workers < 0 or self.shard_rows < 1:
            raise ValueError("workers must be >= 0 and shard_rows >= 1")


@register
class VerifyStage(Stage):
    kind = "verify"
    code_version = "verify-stage-1"
    Config = VerifyConfig
    inputs = {"trajectories": True, "problems": True}
    outputs = {"verifications": "verifications"}
    shard_input = "trajectories"

    @property
    def shard_rows(self) -> int:  # type: ignore[override]
        return self.config.shard_rows

    def version_parts(self):
        from mathpref.verify import GRADER_VERSION

        parts = {"grader": GRADER_VERSION}
        if self.config.step_checks:
            from mathpref.verify.steps import STEP_CHECKER_VERSION

            parts["steps"] = STEP_CHECKER_VERSION
        return parts

    def run_shard(self, ctx, shard, n_shards):
        from mathpref.verify import GRADER_VERSION, grade_batch

        traj = self.shard_slice(ctx, shard)
        problems = ctx.input("problems").select(["problem_id", "gold_answer"])
        joined = traj.select(["trajectory_id", "problem_id", "prefix", "completion"]).join(
            problems, "problem_id", join_type="left outer"
        )
        full = _full_text(joined)
        verdicts = grade_batch(
            joined["gold_answer"],
            full,
            timeout=self.config.timeout,
            workers=self.config.workers or None,
            dedupe=self.config.dedupe,
        )
        n = joined.num_rows
        cols = {
            "trajectory_id": joined["trajectory_id"],
            "problem_id": joined["problem_id"],
            "status": verdicts["status"],
            "reason": verdicts["reason"],
            "gold_answer": joined["gold_answer"],
            "extracted_answer": verdicts["extracted_answer"],
            "answer_key": verdicts["answer_key"],
            "extraction_rule": verdicts["extraction_rule"],
            "decided_by": verdicts["decided_by"],
            "grader_version": pa.array([GRADER_VERSION] * n, pa.string()),
        }
        if self.config.step_checks:
            from mathpref.verify.step_batch import check_steps_batch

            steps = check_steps_batch(full.to_pylist())
            cols["step_statuses"] = steps["step_statuses"]
            cols["first_arith_error_step"] = steps["first_arith_error_step"]
            cols["n_arith_claims"] = steps["n_claims"]
            cols["n_arith_errors"] = steps["n_failed_claims"]
            cols["intermediate_values"] = steps["intermediate_values"]
        else:
            for name, typ in (
                ("step_statuses", pa.list_(pa.string())),
                ("first_arith_error_step", pa.int32()),
                ("n_arith_claims", pa.int32()),
                ("n_arith_errors", pa.int32()),
                ("intermediate_values", pa.list_(pa.string())),
            ):
                cols[name] = pa.nulls(n, typ)
        return {"verifications": pa.table(cols)}

    def finalize(self, ctx, tables):
        v = tables["verifications"]
        counts = v.group_by("status").aggregate([([], "count_all")]).to_pylist()
        ctx.note(
            "status: "
            + ", ".join(
                f"{c['status']} {c['count_all']}" for c in sorted(counts, key=lambda c: c["status"])
            )
        )
        return tables


def _full_text(joined: pa.Table) -> pa.ChunkedArray:
    """The whole solution: a continuation's prefix followed by its completion."""
    prefix = pc.fill_null(joined["prefix"], "")
    return pc.binary_join_element_wise(prefix, joined["completion"], "")
