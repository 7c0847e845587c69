"""Verify stage: one verifications row per trajectory (final answer vs gold, arithmetic steps)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.stages.base import Stage, opt, register


@dataclass
class VerifyConfig:
    timeout: float = opt(
        5.0, "Per-row budget of the symbolic checker, in CPU seconds of its worker (not wall time)."
    )
    step_checks: bool = opt(True, "Also check every arithmetic claim, step by step.")
    canonical_keys: bool = opt(
        True, "Give equivalent answers to a problem one answer_key (mathpref.verify.keys)."
    )
    workers: int = opt(
        0, "Worker processes for the symbolic checker (0 = all cores).", volatile=True
    )
    dedupe: bool = opt(True, "Grade each distinct (gold, answer) pair once.", volatile=True)
    min_label_agreement: float = opt(
        0.99,
        "Warn (with --strict: fail) when a log's own labels agree with the verdicts on fewer "
        "rows than this share.",
        volatile=True,
    )
    shard_rows: int = opt(
        100_000,
        "Trajectories per resumable shard (larger shards: less per-shard overhead; 1M rows take "
        "18 s in 100k-row shards against 22 s in 20k).",
        volatile=True,
    )

    def __post_init__(self):
        if not 0 < self.timeout <= 600:
            raise ValueError("timeout must be in (0, 600] seconds")
        if not 0.0 <= self.min_label_agreement <= 1.0:
            raise ValueError("min_label_agreement must be in [0, 1]")
        if self.workers < 0 or self.shard_rows < 1:
            raise ValueError("workers must be >= 0 and shard_rows >= 1")


@register
class VerifyStage(Stage):
    kind = "verify"
    code_version = "verify-stage-2"
    Config = VerifyConfig
    inputs = {"trajectories": True, "problems": True}
    outputs = {"verifications": "verifications"}
    shard_input = "trajectories"

    @property
    def shard_rows(self) -> int:  # type: ignore[override]
        return self.config.shard_rows

    def version_parts(self):
        from mathpref.verify import GRADER_VERSION

        parts = {"grader": GRADER_VERSION, "libraries": _checker_libraries()}
        if self.config.step_checks:
            from mathpref.verify.steps import STEP_CHECKER_VERSION

            parts["steps"] = STEP_CHECKER_VERSION
        return parts

    # Only these trajectory columns are read (not prompts, not the other metadata).
    COLUMNS = ("trajectory_id", "problem_id", "prefix", "completion", "prompt_echo_end")
    input_columns = {"trajectories": COLUMNS, "problems": ("problem_id", "gold_answer")}

    def _trajectories(self, ctx) -> pa.Table:
        return ctx.input("trajectories", list(self.COLUMNS))

    def num_shards(self, ctx):
        return max(1, -(-self._trajectories(ctx).num_rows // self.shard_rows))

    def shard_slice(self, ctx, shard):
        return self._trajectories(ctx).slice(shard * self.shard_rows, self.shard_rows)

    def shard_inputs(self, ctx, shard):
        traj = self.shard_slice(ctx, shard)
        problems = ctx.input("problems", ["problem_id", "gold_answer"])
        used = pc.is_in(problems["problem_id"], value_set=traj["problem_id"].unique())
        return {"trajectories": traj, "problems": problems.filter(used)}

    def run_shard(self, ctx, shard, n_shards):
        from mathpref.verify import GRADER_VERSION, grade_batch

        traj = ctx.input("trajectories")
        if self.config.step_checks:
            # Step checks run in the worker's processes while this process grades.
            pending = self._submit_steps(ctx, traj)
        joined = traj.select(list(self.COLUMNS)).append_column(
            "gold_answer", _gold_in_row_order(traj, ctx.input("problems"))
        )
        full = _full_text(joined)
        verdicts = grade_batch(
            joined["gold_answer"],
            full,
            timeout=self.config.timeout,
            dedupe=self.config.dedupe,
            pool=self._verify_pool(ctx),
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
            steps = _collect_steps(pending)
            if steps.num_rows != n:
                raise RuntimeError(f"step checks returned {steps.num_rows} rows for {n}")
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

    # -- process pools: the worker's, shared by the shards it runs ---------------------------
    def _workers(self, ctx) -> int:
        return self.config.workers or ctx.cpus

    def _verify_pool(self, ctx):
        from mathpref.verify.pool import VerifyPool

        n = self._workers(ctx)
        return ctx.resource(("math-verify", n), lambda: VerifyPool(n), lifetime="worker")

    def _submit_steps(self, ctx, traj: pa.Table) -> list:
        """Futures (or done tables) of the step checks of `traj`'s full texts, in row order."""
        from mathpref.verify.step_batch import check_steps_batch

        texts = _full_text(traj).to_pylist()
        workers = self._workers(ctx)
        if workers < 2 or len(texts) < STEP_PARALLEL_MIN_ROWS:
            return [check_steps_batch(texts)]
        # spawn: fresh interpreters, so no copy of this (large) process is forked.
        from mathpref.procs import pool_kwargs, spawning

        pool = ctx.resource(
            ("step-checks", workers),
            lambda: ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                **pool_kwargs(),  # workers die with the build (kill -9 included)
            ),
        )  # stage lifetime: its workers' step caches are released when the stage ends
        size = -(-len(texts) // workers)
        with spawning():  # workers start on submit
            return [
                pool.submit(check_steps_batch, texts[i : i + size])
                for i in range(0, len(texts), size)
            ]

    def finalize(self, ctx, tables):
        v = tables["verifications"]
        if self.config.canonical_keys and v.num_rows:
            v = tables["verifications"] = self._unify(ctx, v)
        counts = v.group_by("status").aggregate([([], "count_all")]).to_pylist()
        ctx.note(
            "status: "
            + ", ".join(
                f"{c['status']} {c['count_all']}" for c in sorted(counts, key=lambda c: c["status"])
            )
        )
        return tables

    def _unify(self, ctx, v: pa.Table) -> pa.Table:
        """Canonical answer keys (`mathpref.verify.keys`), for the problems that need it: those
        with a non-numeric key or an answer judged correct other than numerically (exact
        numbers are canonical already)."""
        from mathpref.verify import VerifyPool
        from mathpref.verify.keys import NUMERIC_KEY, unify_keys

        key = v["answer_key"]
        numeric = pc.fill_null(pc.match_substring_regex(key, NUMERIC_KEY.pattern), True)
        need = pc.or_(
            pc.and_(pc.is_valid(key), pc.invert(numeric)),
            pc.and_(pc.equal(v["status"], "correct"), pc.not_equal(v["decided_by"], "numeric")),
        )
        need = pc.fill_null(need, False)
        if not pc.any(need).as_py():
            return v
        rows = pc.is_in(v["problem_id"], value_set=pc.unique(v["problem_id"].filter(need)))
        sub = v.filter(rows)
        args = [sub[c].to_pylist() for c in ("problem_id", "gold_answer", "extracted_answer")]
        args += [sub["answer_key"].to_pylist(), sub["status"].to_pylist()]
        if self.config.workers:
            with VerifyPool(self.config.workers) as pool:
                keys, stats = unify_keys(*args, pool=pool, timeout=self.config.timeout)
        else:
            keys, stats = unify_keys(*args, timeout=self.config.timeout)
        if stats["merged"] or stats["skipped"]:
            skipped = stats["skipped"]
            ctx.note(
                f"answer keys: {stats['merged']} merge(s) of equivalent keys"
                + (f", {skipped} problem(s) with too many keys to compare" if skipped else "")
            )
        mask = pc.fill_null(rows, False)
        mask = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
        new = pc.replace_with_mask(key.combine_chunks(), mask, pa.array(keys, pa.string()))
        return v.set_column(v.schema.get_field_index("answer_key"), "answer_key", new)


STEP_PARALLEL_MIN_ROWS = 2_000  # smaller batches are checked in this process


def _collect_steps(pending: list) -> pa.Table:
    parts = [p.result() if isinstance(p, Future) else p for p in pending]
    return pa.concat_tables(parts) if len(parts) > 1 else parts[0]


def _gold_in_row_order(traj: pa.Table, problems: pa.Table) -> pa.Array:
    """Each trajectory's gold answer, in the trajectories' own row order.

    (A table join may reorder rows; the step checks run on `traj` in its order, so every column
    of a verifications row must come from the same position.)
    """
    at = pc.index_in(traj["problem_id"], value_set=problems["problem_id"])
    return problems["gold_answer"].combine_chunks().take(at)


def _full_text(joined: pa.Table) -> pa.ChunkedArray:
    """The whole solution: a continuation's prefix followed by its completion, less the echo of
    the prompt an imported completion begins with (`prompt_echo_end` characters)."""
    prefix = pc.fill_null(joined["prefix"], "")
    return pc.binary_join_element_wise(prefix, after_echo(joined), "")


def after_echo(table: pa.Table) -> pa.ChunkedArray | pa.Array:
    """Each completion without its leading prompt echo."""
    completion = table["completion"]
    if "prompt_echo_end" not in table.column_names:
        return completion
    cut = pc.fill_null(table["prompt_echo_end"], 0)
    if not pc.any(pc.greater(cut, 0)).as_py():
        return completion
    import polars as pl

    frame = pl.from_arrow(pa.table({"c": completion, "n": pc.cast(cut, pa.int64())}))
    out = frame.select(pl.col("c").str.slice(pl.col("n")))["c"]
    return out.to_arrow().cast(pa.string())


def _checker_libraries() -> dict[str, str]:
    """Versions of the libraries that decide symbolic verdicts (math-verify and what it uses)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("math-verify", "latex2sympy2_extended", "sympy", "antlr4-python3-runtime"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out
