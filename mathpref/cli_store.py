"""`mathpref datasets verify [--full]` and `mathpref datasets repair ID`."""

from typing import Annotated

import typer

from mathpref.errors import MathprefError

StoreOpt = Annotated[str, typer.Option("--store", envvar="MATHPREF_STORE", help="Store directory.")]
DEFAULT_STORE = ".mathpref"


def register(datasets_app: typer.Typer) -> None:
    @datasets_app.command("verify")
    def datasets_verify(
        store: StoreOpt = DEFAULT_STORE,
        full: Annotated[
            bool, typer.Option("--full", help="Also recompute every fingerprint from the rows.")
        ] = False,
    ):
        """Check every dataset version against its manifest (sizes, hashes, rows)."""
        from mathpref.store import open_store
        from mathpref.store.check import verify_store

        findings = verify_store(open_store(store), full=full)
        for f in findings:
            if f.status != "ok":
                typer.echo(f.line())
        bad = [f for f in findings if f.bad]
        typer.echo(
            f"{len(findings)} dataset version(s) checked{' (full)' if full else ''}: "
            f"{len(findings) - len(bad)} good, {len(bad)} bad"
        )
        if bad:
            ids = " ".join(sorted({f.dataset_id for f in bad if f.status != "missing"}))
            hint = f"run `mathpref datasets repair ID` for each of: {ids}" if ids else "rebuild"
            raise MathprefError(f"{len(bad)} bad dataset version(s); {hint}")

    @datasets_app.command("repair")
    def datasets_repair(
        dataset_id: str,
        store: StoreOpt = DEFAULT_STORE,
        force: Annotated[bool, typer.Option("--force", help="Remove it even if clean.")] = False,
    ):
        """Remove a corrupt dataset version so the next build recomputes it."""
        from mathpref.store import open_store
        from mathpref.store.check import repair

        st = open_store(store)
        with st.lock():
            for line in repair(st, dataset_id, force=force):
                typer.echo(line)
