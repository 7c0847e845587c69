"""Rendering for the CLI: progress of a build, summaries, tables in table/csv/json form."""

from __future__ import annotations

import csv
import io
import json
import sys

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mathpref.pipeline.runner import PlanEntry, Reporter, StageResult

out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)


class RichReporter(Reporter):
    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def stage_start(self, name, kind, n_shards, done):
        self.tasks[name] = self.progress.add_task(
            f"{name} ({kind}) shards", total=n_shards, completed=done
        )
        if not err.is_terminal:
            err.print(
                f"[{name}] running {kind}: {n_shards - done} of {n_shards} shard(s) to do",
                markup=False,
                highlight=False,
            )

    def shard_done(self, name):
        self.progress.advance(self.tasks[name])

    def stage_end(self, result: StageResult):
        if result.name in self.tasks:
            self.progress.remove_task(self.tasks.pop(result.name))

    def warn(self, message: str):
        err.print(f"WARNING: {message}", style="bold yellow", markup=False, highlight=False)


def print_summary(pipeline: str, results: list[StageResult], seconds: float) -> None:
    t = Table(title=f"build {pipeline}")
    for col in ("stage", "kind", "status", "rows", "seconds", "version"):
        t.add_column(col, justify="right" if col in ("rows", "seconds") else "left")
    for r in results:
        rows = ", ".join(
            f"{role} {o['rows']:,}"
            for role, o in r.outputs.items()
            if o["rows"] or role != "quarantine"
        )
        t.add_row(r.name, r.kind, r.status, rows, f"{r.seconds:.1f}", r.version_id[:12])
    out.print(t)
    computed = sum(r.status == "computed" for r in results)
    out.print(
        f"{computed} stage(s) computed, {len(results) - computed} cached, {seconds:.1f} s in all"
    )
    for r in results:
        for note in r.notes:
            out.print(f"note [{r.name}]: {note}", markup=False, highlight=False)


def print_plan(pipeline: str, plan: list[PlanEntry]) -> None:
    t = Table(title=f"plan {pipeline}")
    for col in ("stage", "kind", "action", "why"):
        t.add_column(col)
    for e in plan:
        t.add_row(e.name, e.kind, e.action, "; ".join(e.reasons))
    out.print(t)
    n = sum(e.action == "run" for e in plan)
    out.print(f"{n} stage(s) would run, {len(plan) - n} cached")


def print_table(table: pa.Table, fmt: str = "table", title: str | None = None) -> None:
    rows = table.to_pylist()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str, indent=1) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(table.column_names)
        for r in rows:
            w.writerow([r[c] for c in table.column_names])
        sys.stdout.write(buf.getvalue())
    else:
        t = Table(title=title)
        for c in table.column_names:
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(*[_cell(r[c]) for c in table.column_names])
        out.print(t)


def _cell(v) -> str:
    if v is None:
        return "∅"
    if isinstance(v, float):
        return f"{v:.4g}"
    text = str(v)
    return text if len(text) <= 120 else text[:117] + "…"
