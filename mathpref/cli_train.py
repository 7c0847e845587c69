"""`mathpref train {sft,dpo,kto,step-dpo}`: train from a release with TRL (mathpref.training)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

train_app = typer.Typer(
    no_args_is_help=True,
    help="Train from a release with TRL: sft, dpo, kto, step-dpo (LoRA by default).",
)

Data = Annotated[
    str | None,
    typer.Option("--data", help="Release folder, or a Hub id with a pinned ORG/NAME@REVISION."),
]
Subset = Annotated[
    str | None, typer.Option("--subset", help="Release config (default: the method's).")
]
Model = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Base model: local folder, 'smollm2', ORG/NAME or ORG/NAME@REVISION (default: the recipe's).",
    ),
]
Out = Annotated[Path, typer.Option("--out", help="Output folder (adapter, tokenizer, card).")]
Recipe = Annotated[
    str | None,
    typer.Option("--recipe", help="Recipe YAML, or a shipped name (default: METHOD-lora)."),
]
Sets = Annotated[
    list[str] | None, typer.Option("--set", help="Recipe override key=value (YAML value).")
]
Lora = Annotated[bool | None, typer.Option("--lora/--no-lora", help="Override use_peft.")]
Merge = Annotated[bool, typer.Option("--merge", help="Also write OUT/merged (base + adapter).")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue from the last checkpoint.")]
Overwrite = Annotated[
    bool, typer.Option("--overwrite", help="Replace an earlier training output in OUT.")
]


def _run(method: str, **kw) -> None:
    from mathpref.training.run import TrainRequest, train

    command = "mathpref train " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    req = TrainRequest(method=method, command=command, sets=kw.pop("sets") or [], **kw)
    res = train(req, progress=lambda line: typer.echo(line, err=True))
    m = res.state.get("metrics", {})
    shown = ", ".join(
        f"{k} {m[k]:.4g}"
        for k in ("train_loss", "eval_rewards/accuracies", "eval_rewards/margins", "eval_loss")
        if k in m
    )
    typer.echo(f"trained {method}: {m.get('global_step')} step(s) into {res.out} ({shown})")
    typer.echo(f"revision {res.state['content_revision']}")
    if res.merged:
        typer.echo(f"merged model: {res.merged} (revision {res.state['merged']})")


def _method_command(method: str):
    def command(
        out: Out,
        data: Data = None,
        subset: Subset = None,
        model: Model = None,
        recipe: Recipe = None,
        set_: Sets = None,
        lora: Lora = None,
        merge: Merge = False,
        resume: Resume = False,
        overwrite: Overwrite = False,
    ):
        _run(
            method,
            out=out,
            data=data,
            subset=subset,
            model=model,
            recipe=recipe,
            sets=set_,
            lora=lora,
            merge=merge,
            resume=resume,
            overwrite=overwrite,
        )

    command.__doc__ = f"{method.upper()} from a release (recipe training/{method}-lora.yaml)."
    return command


@train_app.command("sft")
def sft(
    out: Out,
    data: Data = None,
    subset: Subset = None,
    model: Model = None,
    recipe: Recipe = None,
    set_: Sets = None,
    lora: Lora = None,
    merge: Merge = False,
    resume: Resume = False,
    overwrite: Overwrite = False,
    problems: Annotated[
        str | None,
        typer.Option(
            "--problems",
            help="Train on gold solutions: a problems file or a pipeline spec (its last build).",
        ),
    ] = None,
    preset: Annotated[
        str, typer.Option("--problems-preset", help="Field preset for a problems file.")
    ] = "gsm8k",
    limit: Annotated[int, typer.Option("--problems-limit", help="First N problems (0 = all).")] = 0,
    notes: Annotated[
        str,
        typer.Option("--calculator-notes", help="GSM8K <<a*b=c>> notes: strip | keep."),
    ] = "strip",
    user_template: Annotated[
        str, typer.Option("--user-template", help="User turn; {question} is the problem.")
    ] = "{question}",
    system_prompt: Annotated[str, typer.Option("--system-prompt", help="System turn.")] = "",
    store: Annotated[
        str, typer.Option("--store", envvar="MATHPREF_STORE", help="Store of a spec's build.")
    ] = ".mathpref",
):
    """SFT from a release's sft config, or from a problems dataset's gold solutions."""
    _run(
        "sft",
        out=out,
        data=data,
        subset=subset,
        model=model,
        recipe=recipe,
        sets=set_,
        lora=lora,
        merge=merge,
        resume=resume,
        overwrite=overwrite,
        problems=problems,
        problems_preset=preset,
        problems_limit=limit,
        calculator_notes=notes,
        user_template=user_template,
        system_prompt=system_prompt,
        store=store,
    )


for _m in ("dpo", "kto", "step-dpo"):
    train_app.command(_m)(_method_command(_m))


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
