"""`mathpref eval`: evaluate a model on a benchmark, compare runs, export per-example results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from mathpref.errors import MathprefError

StoreOpt = Annotated[str, typer.Option("--store", envvar="MATHPREF_STORE", help="Store directory.")]

eval_app = typer.Typer(
    invoke_without_command=True,
    help="Evaluate a model on GSM8K, GSM8K-Platinum or MATH-500 (greedy, maj@k, pass@k with "
    "95 % intervals); `compare` runs; export per-example results.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


@eval_app.callback()
def evaluate(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Option(help="Hub id, local model folder, or 'tiny' (test model).")
    ] = None,
    benchmark: Annotated[str, typer.Option(help="gsm8k | gsm8k-platinum | math500")] = "gsm8k",
    backend: Annotated[str, typer.Option(help="transformers | vllm | openai")] = "transformers",
    samples: Annotated[
        int, typer.Option(help="Sampled completions per problem (0: greedy only).")
    ] = 4,
    temperature: Annotated[float, typer.Option(help="Temperature of the samples.")] = 0.7,
    top_p: Annotated[float, typer.Option(help="top_p of the samples.")] = 1.0,
    limit: Annotated[int, typer.Option(help="First N problems only (0: all).")] = 0,
    prompt: Annotated[str, typer.Option(help="zero-shot-cot | few-shot-8")] = "zero-shot-cot",
    max_new_tokens: Annotated[int, typer.Option(help="Tokens per completion.")] = 512,
    seed: Annotated[int, typer.Option(help="Base seed of the sampled arm.")] = 0,
    revision: Annotated[str, typer.Option(help="Model revision (commit).")] = "",
    store: StoreOpt = ".mathpref",
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override: stage.key=value.")
    ] = None,
    jsonl: Annotated[
        str | None, typer.Option(help="Also write per-example results to this JSONL file.")
    ] = None,
    plan: Annotated[bool, typer.Option(help="Show what would run and why.")] = False,
):
    """Build (or reuse) the evaluation run of a model on a benchmark and print its metrics."""
    if ctx.invoked_subcommand is not None:
        return
    if model is None:
        raise MathprefError("mathpref eval needs --model M (a Hub id, a local folder, or 'tiny')")
    from mathpref.cli_render import RichReporter, print_plan, print_summary
    from mathpref.evaluation.runspec import EvalSettings
    from mathpref.pipeline.runner import Runner
    from mathpref.store import Store

    try:
        settings = EvalSettings(
            model=model,
            benchmark=benchmark,
            backend=backend,
            samples=samples,
            temperature=temperature,
            top_p=top_p,
            limit=limit,
            prompt=prompt,
            max_new_tokens=max_new_tokens,
            seed=seed,
            revision=revision,
            overrides=list(set_ or []),
        )
    except ValueError as exc:
        raise MathprefError(str(exc)) from None
    st = Store(store)
    spec_path = write_run_spec(settings, st.root)
    from mathpref.pipeline.spec import load_spec

    pipeline = load_spec(str(spec_path))
    if plan:
        print_plan(pipeline.name, Runner(pipeline, st).plan())
        return
    t0 = time.perf_counter()
    with RichReporter() as reporter:
        results = Runner(pipeline, st, reporter).build()
    print_summary(pipeline.name, results, time.perf_counter() - t0)
    print_metrics(st, pipeline.name)
    if jsonl:
        n = export_examples(st, pipeline.name, Path(jsonl))
        typer.echo(f"wrote {n} per-example row(s) to {jsonl}")
    typer.echo(f"run {pipeline.name}; spec {spec_path}")


def write_run_spec(settings, store_root: Path) -> Path:
    """Fill the template, apply --set overrides, write `<store>/evals/<run>.toml`."""
    from mathpref.evaluation.runspec import spec_dict, to_toml
    from mathpref.pipeline.spec import parse_override

    try:
        raw = spec_dict(settings)
    except ValueError as exc:
        raise MathprefError(str(exc)) from None
    for text in settings.overrides:
        stage, key, value = parse_override(text)
        if stage not in raw["stages"]:
            raise MathprefError(
                f"--set {text}: no stage '{stage}'; stages: {sorted(raw['stages'])}"
            )
        raw["stages"][stage][key] = value
    path = store_root / "evals" / f"{settings.run_name()}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = to_toml(raw)
    if not path.is_file() or path.read_text() != text:
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return path


def print_metrics(st, pipeline: str) -> None:
    import pyarrow as pa

    from mathpref.cli_render import print_table
    from mathpref.evaluation.runs import run_dataset

    rows = run_dataset(st, pipeline, "eval_metrics").to_pylist()
    order = {"accuracy": 0, "pass1_avg": 1, "maj": 2, "pass": 3}
    rows.sort(key=lambda r: (r["benchmark"], r["arm"], order[r["metric"]], r["k"]))
    table = [
        {
            "benchmark": r["benchmark"],
            "arm": r["arm"],
            "decoding": r["decoding"],
            "metric": r["metric"]
            if r["metric"] in ("accuracy", "pass1_avg")
            else f"{r['metric']}@{r['k']}",
            "value %": f"{100 * r['value']:.2f}",
            "95 % CI": f"[{100 * r['ci_low']:.2f}, {100 * r['ci_high']:.2f}]",
            "method": r["ci_method"],
            "problems": r["n_problems"],
        }
        for r in rows
    ]
    print_table(pa.Table.from_pylist(table), title=f"eval_metrics {pipeline}")


def export_examples(st, pipeline: str, out: Path) -> int:
    """Write the per-example JSONL of a build; returns the number of rows."""
    from mathpref.evaluation.examples import example_jsonl_record
    from mathpref.evaluation.runs import run_dataset

    table = run_dataset(st, pipeline)
    rows = sorted(table.to_pylist(), key=lambda r: (r["arm"], r["source_index"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(example_jsonl_record(row) + "\n")
    tmp.replace(out)
    return len(rows)


@eval_app.command("examples")
def examples(
    pipeline: Annotated[
        str, typer.Argument(help="Pipeline (run) whose per-example results to write.")
    ],
    out: Annotated[str, typer.Option("--out", help="JSONL file to write.")],
    store: StoreOpt = ".mathpref",
):
    """Write a build's per-example results as JSONL (one line per arm and problem)."""
    from mathpref.store import open_store

    n = export_examples(open_store(store), pipeline, Path(out))
    typer.echo(f"wrote {n} row(s) to {out}")


@eval_app.command("compare")
def compare(
    runs: Annotated[
        list[str],
        typer.Argument(help="Two or more runs (pipeline names); the first is the baseline."),
    ],
    store: StoreOpt = ".mathpref",
    k: Annotated[
        int | None,
        typer.Option(help="k of maj@k and pass@k (default: the most samples every run has)."),
    ] = None,
    alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
):
    """Paired comparison on the problems all runs share: exact McNemar on greedy correctness,
    paired bootstrap for maj@k and pass@k."""
    import json

    from mathpref.cli_render import print_table
    from mathpref.evaluation.compare import RunData, compare_runs, verdicts
    from mathpref.evaluation.compare_table import comparison_json, comparison_table
    from mathpref.evaluation.runs import run_dataset
    from mathpref.store import open_store

    if format not in ("table", "json"):
        raise MathprefError(f"--format must be table or json, not '{format}'")
    if not 0 < alpha < 1:
        raise MathprefError("--alpha must be in (0, 1)")
    st = open_store(store)
    data = [RunData(r, run_dataset(st, r)) for r in runs]
    comp = compare_runs(data, k=k, alpha=alpha, resamples=resamples, seed=seed)
    if format == "json":
        typer.echo(json.dumps(comparison_json(comp), indent=1))
        return
    print_table(
        comparison_table(comp),
        title=f"paired comparison on {comp.n_problems} shared problem(s) of {', '.join(comp.benchmarks)}",
    )
    for line in comp.notes + verdicts(comp):
        typer.echo(line)
