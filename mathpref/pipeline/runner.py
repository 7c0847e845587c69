"""Run a pipeline spec against a store: plan, reuse cached stage versions, run the rest in shards.

A stage version id = hash(stage kind, code version, normalised config, library versions, input
fingerprints). A stage whose version id has a record in the store is reused. Otherwise its shards
run one by one; each finished shard is published in the stage's work dir with a completion marker,
so a killed build restarts where it stopped.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from mathpref.errors import AuditError, StageError
from mathpref.hashing import content_id, digest
from mathpref.pipeline.checks import check_not_empty
from mathpref.pipeline.executor import (
    Executor,
    InputReader,
    default_executor,
    read_shards,
    release_inputs,
    release_memory,
)
from mathpref.pipeline.labels import check_labels
from mathpref.pipeline.plan import PlanEntry, why
from mathpref.pipeline.spec import InputRef, PipelineSpec
from mathpref.pipeline.wiring import check_wiring
from mathpref.schemas import get_schema
from mathpref.stages.base import Stage, StageContext, stage_class
from mathpref.store import Store
from mathpref.store.store import utcnow


@dataclass
class StageResult:
    name: str
    kind: str
    version_id: str
    status: str  # computed | cached
    seconds: float
    outputs: dict[str, dict[str, Any]]
    entry: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class Reporter:
    """Receives progress events; the CLI renders them."""

    def stage_start(self, name: str, kind: str, n_shards: int, done: int) -> None: ...
    def shard_done(self, name: str) -> None: ...
    def stage_end(self, result: StageResult) -> None: ...

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr)


class Runner:
    def __init__(
        self,
        spec: PipelineSpec,
        store: Store,
        reporter: Reporter | None = None,
        executor: Executor | None = None,
        *,
        strict: bool = False,
    ):
        self.spec, self.store = spec, store
        self.reporter = reporter or Reporter()
        self.executor = executor or default_executor()
        self.strict = strict  # label agreement under the threshold fails the build
        self.warnings: list[str] = []
        self.stages: dict[str, Stage] = {}
        for name in spec.order():
            s = spec.stages[name]
            cls = stage_class(s.kind)
            self._check_inputs(cls, s)
            self.stages[name] = cls(name, dict(s.config), spec.base_dir)
        check_wiring(spec, self.stages)  # kinds and columns of every input, before any work

    def _check_inputs(self, cls: type[Stage], s) -> None:
        from mathpref.errors import SpecError

        unknown = sorted(set(s.inputs) - set(cls.inputs))
        if unknown:
            raise SpecError(
                f"stage '{s.name}' ({s.kind}): unknown input role(s) {unknown}; "
                f"valid: {sorted(cls.inputs)}"
            )
        missing = sorted(r for r, req in cls.inputs.items() if req and r not in s.inputs)
        if missing:
            raise SpecError(f"stage '{s.name}' ({s.kind}): missing input role(s) {missing}")
        for ups in s.inputs.values():
            for up in ups:
                up_cls = stage_class(self.spec.stages[up.stage].kind)
                if up.output is not None and up.output not in up_cls.outputs:
                    raise SpecError(
                        f"stage '{s.name}': '{up}' names no output of '{up.stage}'; "
                        f"outputs: {sorted(up_cls.outputs)}"
                    )

    # -- identities ----------------------------------------------------------------------
    def _upstream(self, ref: InputRef, results: dict[str, StageResult]) -> dict[str, Any] | None:
        res = results.get(ref.stage)
        if res is None:
            return None
        return res.outputs[ref.output or next(iter(self.stages[ref.stage].outputs))]

    def _identity(self, name: str, results: dict[str, StageResult]) -> dict[str, Any] | None:
        stage, s = self.stages[name], self.spec.stages[name]
        inputs = {}
        for role, ups in sorted(s.inputs.items()):
            outs = [self._upstream(u, results) for u in ups]
            if any(o is None for o in outs):
                return None
            inputs[role] = [o["fingerprint"] for o in outs]
        entry = {
            "kind": stage.kind,
            "code_version": stage.code_version,
            "config": stage.normalised_config(),
            "parts": stage.version_parts(),
            "inputs": inputs,
        }
        entry["version_id"] = digest(
            "stage",
            entry["kind"],
            entry["code_version"],
            entry["config"],
            entry["parts"],
            entry["inputs"],
        )
        return entry

    # -- plan ----------------------------------------------------------------------------
    def plan(self) -> list[PlanEntry]:
        try:
            last = self.store.read_ref(self.spec.name).stages
        except Exception:
            last = {}
        results: dict[str, StageResult] = {}
        plan: list[PlanEntry] = []
        rerun: set[str] = set()
        for name in self.stages:
            kind = self.stages[name].kind
            ident = self._identity(name, results)
            if ident is None:
                ups = sorted(set(self.spec.stages[name].upstream_stages()) & rerun)
                stage = self.stages[name]
                reasons = [
                    r
                    for r in why(
                        {
                            "code_version": stage.code_version,
                            "config": stage.normalised_config(),
                            "parts": stage.version_parts(),
                            "inputs": {},
                        },
                        last.get(name),
                    )
                    if not r.startswith(("input ", "output "))
                ]
                if ups:
                    names = ", ".join(f"'{u}'" for u in ups)
                    reasons.append(
                        f"input stage(s) {names} recomputed first (this stage is reused if "
                        "their rows come out the same)"
                    )
                plan.append(PlanEntry(name, kind, "run", reasons, None))
                rerun.add(name)
                continue
            rec = self.store.stage_record(ident["version_id"])
            if rec is not None:
                results[name] = StageResult(
                    name, kind, ident["version_id"], "cached", 0.0, rec["outputs"], ident
                )
                plan.append(
                    PlanEntry(name, kind, "cached", ["same version in store"], ident["version_id"])
                )
            else:
                plan.append(
                    PlanEntry(name, kind, "run", why(ident, last.get(name)), ident["version_id"])
                )
                rerun.add(name)
        return plan

    # -- build ---------------------------------------------------------------------------
    def build(self) -> list[StageResult]:
        results: dict[str, StageResult] = {}
        with self.store.lock():
            for name in self.stages:
                results[name] = self._run_or_reuse(name, results)
                self.reporter.stage_end(results[name])
            self._audit(results)
            labels = check_labels(self, results)
            self.store.write_ref(
                self.spec.name,
                {
                    "pipeline": self.spec.name,
                    **({"labels": labels} if labels else {}),
                    "spec_path": str(self.spec.path),
                    "built_at": utcnow(),
                    "stages": {
                        n: {
                            **r.entry,
                            "outputs": r.outputs,
                            "primary_output": next(iter(self.stages[n].outputs)),
                            "status": r.status,
                        }
                        for n, r in results.items()
                    },
                },
            )
        return list(results.values())

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        self.reporter.warn(message)

    def _audit(self, results: dict[str, StageResult]) -> None:
        """The audits the build's stages declare, over the whole build."""
        names = sorted({a for stage in self.stages.values() for a in stage.audits})
        if not names:
            return
        from mathpref.db import audit_build

        failures = audit_build(self.store, {n: r.outputs for n, r in results.items()}, names)
        if failures:
            lines = [
                f"audit '{name}' returned {rows.num_rows} row(s): {rows.slice(0, 3).to_pylist()}"
                for name, rows in failures
            ]
            raise AuditError("build failed its audits, nothing published: " + "; ".join(lines))

    def _run_or_reuse(self, name: str, results: dict[str, StageResult]) -> StageResult:
        stage = self.stages[name]
        ident = self._identity(name, results)
        assert ident is not None
        vid = ident["version_id"]
        rec = self.store.stage_record(vid)
        if rec is not None:
            return StageResult(name, stage.kind, vid, "cached", 0.0, rec["outputs"], ident)
        t0 = time.perf_counter()
        ctx = self._context(name, results, self.store.work_dir(vid))
        try:
            n_shards = self.executor.run_shards(stage, ctx, vid, self.reporter)
            release_inputs(ctx)  # not needed to finalize or write (re-read on demand)
            if type(stage).finalize is Stage.finalize:
                tables = None  # identity: each output is read back just before it is written
            else:
                tables = stage.finalize(ctx, self._read_outputs(stage, ctx, n_shards))
        except Exception as exc:
            if isinstance(exc, StageError | AuditError) or type(exc).__module__.startswith(
                "mathpref"
            ):
                raise
            raise StageError(
                f"stage '{name}' ({stage.kind}) failed: {type(exc).__name__}: {exc}"
            ) from exc
        outputs = {}
        for role, kind in stage.outputs.items():
            # The table is passed without a local reference here, so the store's sorted copy
            # replaces it instead of adding to it; written outputs are released one by one.
            man = self.store.write_dataset(
                kind,
                self._output(tables, stage, ctx, n_shards, role),
                dataset_id=content_id(vid, role),
                manifest={
                    "pipeline": self.spec.name,
                    "stage": name,
                    "role": role,
                    "stage_kind": stage.kind,
                    "stage_version_id": vid,
                    "code_version": stage.code_version,
                    "config": ident["config"],
                    "version_parts": ident["parts"],
                    "inputs": self._input_ids(name, results),
                },
            )
            release_memory()
            outputs[role] = {k: man[k] for k in ("kind", "dataset_id", "fingerprint", "rows")}
        check_not_empty(stage, outputs, self._input_rows(name, results), ctx.notes)
        self.store.write_stage_record(
            vid, {**ident, "outputs": outputs, "notes": ctx.notes, "created_at": utcnow()}
        )
        shutil.rmtree(self.store.work_dir(vid), ignore_errors=True)
        return StageResult(
            name, stage.kind, vid, "computed", time.perf_counter() - t0, outputs, ident, ctx.notes
        )

    def _input_rows(self, name: str, results: dict[str, StageResult]) -> int | None:
        ups = [u for us in self.spec.stages[name].inputs.values() for u in us]
        return sum(self._upstream(u, results)["rows"] for u in ups) if ups else None

    def _input_ids(self, name: str, results: dict[str, StageResult]) -> dict[str, list]:
        return {
            role: [{"stage": str(u), **self._upstream(u, results)} for u in ups]
            for role, ups in self.spec.stages[name].inputs.items()
        }

    def _context(self, name: str, results: dict[str, StageResult], work: Path) -> StageContext:
        ups = self.spec.stages[name].inputs
        paths = {
            role: [self._upstream(u, results)["dataset_id"] for u in ups[role]] for role in ups
        }
        return StageContext(
            name=name,
            base_dir=self.spec.base_dir,
            work_dir=work,
            read_input=InputReader(self.store, name, paths),
            input_roles=list(ups),
            cache_dir=self.store.root / "cache",
        )

    def _output(self, tables, stage: Stage, ctx: StageContext, n: int, role: str) -> pa.Table:
        kind = stage.outputs[role]
        if tables is None:
            return read_shards(ctx.work_dir, role, kind, n, ctx.kept_outputs)
        table = tables.pop(role, None)
        return get_schema(kind).empty() if table is None else table

    def _read_outputs(self, stage: Stage, ctx: StageContext, n: int) -> dict[str, pa.Table]:
        return {
            role: read_shards(ctx.work_dir, role, kind, n, ctx.kept_outputs)
            for role, kind in stage.outputs.items()
        }
