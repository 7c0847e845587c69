"""`mathpref` command line: build, plan, datasets, sql, report. Errors print as one line."""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Annotated

import typer

from mathpref import cli_train
from mathpref.cli_eval import register as register_eval
from mathpref.cli_release import register as register_release
from mathpref.errors import MathprefError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Build math preference datasets for DPO-style training.",
)
datasets_app = typer.Typer(no_args_is_help=True, help="Inspect and clean the dataset store.")
app.add_typer(datasets_app, name="datasets")
cli_train.register(app)

STATE = {"debug": False}
StoreOpt = Annotated[str, typer.Option("--store", envvar="MATHPREF_STORE", help="Store directory.")]
DEFAULT_STORE = ".mathpref"


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False):
    STATE["debug"] = debug


@app.command()
def build(
    spec: Annotated[str, typer.Argument(help="Pipeline spec: a .toml path or a pipeline name.")],
    store: StoreOpt = DEFAULT_STORE,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: stage.key=value.")
    ] = None,
    plan: Annotated[bool, typer.Option("--plan", help="Show what would run and why.")] = False,
):
    """Run a pipeline: reuse every stage version that exists, compute the rest."""
    from mathpref.cli_render import RichReporter, print_plan, print_summary
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec
    from mathpref.store import Store

    pipeline = load_spec(spec, set_ or [])
    st = Store(store)
    if plan:
        print_plan(pipeline.name, Runner(pipeline, st).plan())
        return
    t0 = time.perf_counter()
    with RichReporter() as reporter:
        results = Runner(pipeline, st, reporter).build()
    print_summary(pipeline.name, results, time.perf_counter() - t0)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL over the views (one per dataset kind).")],
    store: StoreOpt = DEFAULT_STORE,
    pipeline: Annotated[str | None, typer.Option(help="Pipeline whose last build to show.")] = None,
    format: Annotated[str, typer.Option("--format", help="table | csv | json")] = "table",
):
    """Query a build's datasets with DuckDB."""
    from mathpref.cli_render import print_table
    from mathpref.db import connect
    from mathpref.db import query as run_query
    from mathpref.store import open_store

    if format not in ("table", "csv", "json"):
        raise MathprefError(f"--format must be table, csv or json, not '{format}'")
    con = connect(open_store(store), pipeline)
    print_table(run_query(con, query), format)


@app.command()
def report(
    store: StoreOpt = DEFAULT_STORE,
    pipeline: Annotated[str | None, typer.Option(help="Pipeline to report on.")] = None,
    html: Annotated[
        str | None, typer.Option("--html", help="Write a self-contained HTML page with plots.")
    ] = None,
    compare: Annotated[
        list[str] | None, typer.Option(help="--html: evaluation runs to compare with.")
    ] = None,
):
    """Print the analyses of `sql/analyses/` for a build (or write them, with plots, as HTML)."""
    from mathpref.cli_render import print_table
    from mathpref.db import connect, run_analyses
    from mathpref.store import open_store

    if html:
        from mathpref.report.html import write_report

        n = write_report(open_store(store), pipeline, html, compare)
        return typer.echo(f"wrote {html} ({n} plot(s))")
    con = connect(open_store(store), pipeline)
    for name, table in run_analyses(con):
        print_table(table, "table", title=name)


@datasets_app.command("list")
def datasets_list(
    store: StoreOpt = DEFAULT_STORE,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
):
    """List every dataset version in the store."""
    import pyarrow as pa

    from mathpref.cli_render import print_table
    from mathpref.store import open_store

    st = open_store(store)
    current = {d: r.pipeline for r in st.list_refs() for d in r.dataset_ids()}
    rows = [
        {
            "dataset_id": m["dataset_id"],
            "kind": m["kind"],
            "stage": m.get("stage"),
            "rows": m["rows"],
            "fingerprint": m["fingerprint"][:15],
            "created_at": m["created_at"],
            "in_build": current.get(m["dataset_id"], ""),
        }
        for m in st.list_datasets()
        if kind is None or m["kind"] == kind
    ]
    print_table(pa.Table.from_pylist(rows) if rows else pa.table({"dataset_id": []}))


@datasets_app.command("show")
def datasets_show(dataset_id: str, store: StoreOpt = DEFAULT_STORE):
    """Show one dataset version's manifest."""
    import json

    from mathpref.store import open_store

    typer.echo(json.dumps(open_store(store).manifest(dataset_id), indent=2, sort_keys=True))


@datasets_app.command("diff")
def datasets_diff(a: str, b: str, store: StoreOpt = DEFAULT_STORE):
    """Compare two dataset versions: manifests and rows (by key)."""
    from mathpref.store import open_store
    from mathpref.store.diff import diff_datasets

    for line in diff_datasets(open_store(store), a, b):
        typer.echo(line)


@datasets_app.command("gc")
def datasets_gc(
    store: StoreOpt = DEFAULT_STORE,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    prune_history: Annotated[
        bool, typer.Option("--prune-history", help="Also drop versions only older builds used.")
    ] = False,
):
    """Remove unfinished work and datasets no build refers to."""
    from mathpref.store import open_store

    st = open_store(store)
    with st.lock():
        removed = st.gc(dry_run=dry_run, keep_history=not prune_history)
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb} {len(removed)} item(s)")
    for r in removed:
        typer.echo(f"  {r}")


@app.command()
def version():
    """Print the mathpref version."""
    import mathpref

    typer.echo(mathpref.__version__)


register_release(app)  # release, publish (mathpref/cli_release.py)
register_eval(app)  # eval, eval compare, eval examples (mathpref/cli_eval.py)


def main() -> None:
    debug = "--debug" in sys.argv or os.environ.get("MATHPREF_DEBUG") == "1"
    try:
        app(standalone_mode=False)
    except MathprefError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        if debug:
            traceback.print_exc()
        print(
            f"error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
