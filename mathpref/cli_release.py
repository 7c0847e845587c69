"""`mathpref release` and `mathpref publish`."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from mathpref.errors import MathprefError

StoreOpt = Annotated[str, typer.Option("--store", envvar="MATHPREF_STORE", help="Store directory.")]


def recorded_command(pipeline: str, flags: dict[str, object], defaults: dict[str, object]) -> str:
    """The command line in canonical form, without paths of this machine: DIR and STORE stand
    for the folders, a local --chat-template folder is named by its last part."""
    out = ["mathpref", "release", pipeline, "--out", "DIR"]
    for flag, value in flags.items():
        if value == defaults.get(flag) or value in (None, [], ""):
            continue
        if flag == "--store":
            out += [flag, "STORE"]
        elif isinstance(value, bool):
            out.append(flag if value else flag.replace("--", "--no-", 1))
        elif isinstance(value, list):
            for v in value:
                out += [flag, Path(str(v)).name]
        else:
            text = str(value)
            if flag == "--chat-template" and Path(text).exists():
                text = Path(text).name
            out += [flag, text]
    return shlex.join(out)


DEFAULTS = {
    "--store": ".mathpref",
    "--format": "conversational",
    "--sft-per-problem": 4,
    "--same-prompt-only": False,
    "--drop-contaminated": False,
    "--allow-contaminated": False,
    "--eval-sets": "gsm8k-test,gsm8k-platinum,math500",
    "--eval-source": "auto",
    "--threshold": 0.5,
}


def register(app: typer.Typer) -> None:
    """Add `release` and `publish` to the CLI."""

    @app.command()
    def release(
        pipeline: Annotated[str, typer.Argument(help="Pipeline whose last build to release.")],
        out: Annotated[str, typer.Option("--out", help="Release folder (replaced atomically).")],
        store: StoreOpt = ".mathpref",
        name: Annotated[str, typer.Option("--name", help="pretty_name of the card.")] = "",
        format: Annotated[
            str, typer.Option("--format", help="conversational | standard")
        ] = "conversational",
        chat_template: Annotated[
            str, typer.Option("--chat-template", help="Tokenizer that renders bare prompts.")
        ] = "",
        include: Annotated[
            str, typer.Option("--include", help="Raw configs: trajectories,verifications,scores")
        ] = "",
        sft_per_problem: Annotated[int, typer.Option(help="sft rows per problem (0 = all).")] = 4,
        same_prompt_only: Annotated[
            bool, typer.Option(help="Drop pairs whose sides saw different prompt turns.")
        ] = False,
        drop_contaminated: Annotated[bool, typer.Option(help="Drop flagged problems.")] = False,
        allow_contaminated: Annotated[bool, typer.Option(help="Release flagged problems.")] = False,
        eval_sets: Annotated[
            str, typer.Option(help="Eval sets to check (comma-separated registry names).")
        ] = "gsm8k-test,gsm8k-platinum,math500",
        eval_file: Annotated[
            list[str] | None, typer.Option(help="Extra eval file (JSONL/JSON/Parquet, 'question').")
        ] = None,
        threshold: Annotated[float, typer.Option(help="n-gram coverage that flags.")] = 0.5,
        eval_source: Annotated[
            str, typer.Option(help="Where eval sets are read: auto | local | hub (pinned).")
        ] = "auto",
        license: Annotated[str, typer.Option(help="Card licence (Hub id).")] = "",
    ):
        """Freeze a pipeline's last build into a Hub-ready dataset folder."""
        from mathpref.decontam.config import DecontamConfig
        from mathpref.release import ReleaseOptions, release_build
        from mathpref.store import Store

        flags = {
            "--store": store,
            "--name": name,
            "--format": format,
            "--chat-template": chat_template,
            "--include": include,
            "--sft-per-problem": sft_per_problem,
            "--same-prompt-only": same_prompt_only,
            "--drop-contaminated": drop_contaminated,
            "--allow-contaminated": allow_contaminated,
            "--eval-sets": eval_sets,
            "--eval-source": eval_source,
            "--eval-file": eval_file,
            "--threshold": threshold,
            "--license": license,
        }
        try:
            decontam = DecontamConfig(
                eval_sets=[s for s in eval_sets.split(",") if s],
                files=[{"path": str(Path(f).resolve())} for f in eval_file or []],
                threshold=threshold,
                source=eval_source,
            )
            opts = ReleaseOptions(
                name=name,
                format=format,
                chat_template=chat_template,
                include=[s for s in include.split(",") if s],
                sft_per_problem=sft_per_problem,
                same_prompt_only=same_prompt_only,
                drop_contaminated=drop_contaminated,
                allow_contaminated=allow_contaminated,
                license=license,
                decontam=decontam,
                command=recorded_command(pipeline, flags, DEFAULTS),
            )
        except ValueError as exc:
            raise MathprefError(str(exc)) from None
        res = release_build(
            Store(store, create=False),
            pipeline,
            out,
            opts,
            progress=lambda text: typer.echo(f"... {text}", err=True),
        )
        for config, splits in res["configs"].items():
            sizes = ", ".join(f"{s} {v['rows']}" for s, v in splits.items())
            typer.echo(f"{config}: {sizes}")
        for config, why in res["skipped"].items():
            typer.echo(f"{config}: not written ({why})")
        if res["flagged"]:
            typer.echo(f"decontamination: {res['flagged']} problem(s) flagged, {res['action']}")
        typer.echo(f"release written to {res['out']}")

    register_publish(app)


def register_publish(app: typer.Typer) -> None:
    @app.command()
    def publish(
        folder: Annotated[str, typer.Argument(help="A release folder (from `mathpref release`).")],
        repo: Annotated[str, typer.Option("--repo", help="Hub dataset repo ORG/NAME.")],
        tag: Annotated[
            str | None, typer.Option("--tag", help="Tag the commit (never moved).")
        ] = None,
        private: Annotated[bool, typer.Option(help="Create the repo private.")] = False,
    ):
        """Upload a release folder to the Hub in one commit (stale files deleted), then tag it."""
        from mathpref.release.publish import publish_release

        res = publish_release(folder, repo, tag=tag, private=private)
        what = "new commit" if res.new_commit else "unchanged, no new commit"
        typer.echo(
            f"{res.repo}: {what} {res.commit[:12]} ({res.uploaded} file(s) sent, "
            f"{res.deleted} stale file(s) deleted)" + (f", tag {res.tag}" if res.tag else "")
        )
