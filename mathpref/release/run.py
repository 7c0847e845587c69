"""`release_build`: freeze a pipeline's last successful build into a release folder.

Order: read the build, decontaminate its problems (a flagged problem fails the release unless
dropped or allowed), build every config, write the shards, the plots, the lineage record and the
card into a staging folder, then swap it into place. Nothing here reads a clock or writes a path
of this machine, so the same build gives byte-identical files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import mathpref
from mathpref import plots
from mathpref.decontam.config import eval_tables
from mathpref.decontam.match import find_contamination, flagged_summary
from mathpref.release import configs as C
from mathpref.release.card import build_card
from mathpref.release.labels import label_quality
from mathpref.release.layout import LINEAGE, publish, staging_dir, write_table
from mathpref.release.options import ReleaseOptions
from mathpref.release.prompts import build_prompts
from mathpref.release.source import BuildData, ReleaseError, load_build
from mathpref.release.sources import build_sources, card_license
from mathpref.release.summary import arms, build_record, lineage, rule_counts
from mathpref.store import Store

EMPTY = {
    "dpo": "the build has no correctness or coherence pairs",
    "kto": "the build has no KTO rows",
    "sft": "the build has no verified-correct, eligible trajectory",
    "step_dpo": "the build has no step pairs (no verified-correct continuation of a wrong step)",
    "step_dpo_trl": "the build has no step pairs",
    "prm": "no trajectory carries the log's own step ratings (the arithmetic checker's "
    "'no error found' is never used as a label)",
}


def _decontaminate(data: BuildData, opts: ReleaseOptions) -> tuple[pa.Table | None, dict]:
    problems = data.table("problems").select(["problem_id", "source", "question"])
    tables = eval_tables(opts.decontam)
    c = opts.decontam
    found = find_contamination(problems, tables, n=c.n, threshold=c.threshold)
    summary = flagged_summary(found)
    flagged = (
        []
        if found is None
        else sorted(
            found.select(["problem_id", "eval_set", "eval_item_id", "match", "score"]).to_pylist(),
            key=lambda r: (r["problem_id"], r["eval_set"], r["eval_item_id"]),
        )
    )
    record = {
        "eval_sets": [{"name": t["eval_set"][0].as_py(), "rows": t.num_rows} for t in tables],
        "files": list(c.files),
        "n": c.n,
        "threshold": c.threshold,
        "problems": problems.num_rows,
        **summary,
        "flagged": flagged,
        "action": "none",
        "dropped_rows": 0,
    }
    return found, record


def _drop(data: BuildData, ids: set[str]) -> int:
    dropped = 0
    value_set = pa.array(sorted(ids), pa.string())
    for kind in ("pairs", "kto_rows", "step_pairs", "trajectory_scores", "trajectories"):
        t = data.tables[kind]
        keep = pc.invert(pc.is_in(t["problem_id"], value_set=value_set))
        if kind in ("pairs", "kto_rows", "step_pairs"):
            dropped += t.num_rows - pc.sum(keep).as_py() if t.num_rows else 0
        data.tables[kind] = t.filter(keep)
    return dropped


def _build_configs(data: BuildData, opts: ReleaseOptions):
    p = build_prompts(data.table("trajectories"), opts.chat_template)
    std = opts.format == "standard"
    built, skipped = {}, {}
    builders = {
        "dpo": lambda: C.dpo(data, p, std, opts.same_prompt_only),
        "kto": lambda: C.kto(data, p, std),
        "sft": lambda: C.sft(data, p, std, opts.sft_per_problem),
        "step_dpo": lambda: C.step_dpo(data, p),
        "step_dpo_trl": lambda: C.step_dpo_trl(data, p),
        "prm": lambda: C.prm(data),
    }
    for name, make in builders.items():
        try:
            b = make()
        except ReleaseError as exc:
            if name != "step_dpo_trl":
                raise
            skipped[name] = (
                (
                    "needs a chat-rendered prompt, and the log holds the bare question: "
                    "release again with --chat-template TOKENIZER"
                )
                if "chat-rendered" in str(exc)
                else str(exc)
            )
            continue
        if b.rows:
            built[name] = b
        else:
            skipped[name] = EMPTY[name]
    raw = {
        "trajectories": ["trajectories"],
        "verifications": ["verifications"],
        "scores": ["trajectory_scores", "problem_scores"],
    }
    for inc in opts.include:
        for kind in raw[inc]:
            b = C.raw(data, [kind])
            if b.rows:
                built[kind] = b
            else:
                skipped[kind] = f"the build's {kind} table has no rows"
    return p, built, skipped


def _plots(data: BuildData, p, built) -> dict[str, bytes]:
    counts = {
        f"{c}/{t}": n
        for (c, t, _), n in rule_counts({k: b.splits for k, b in built.items()}).items()
    }
    chosen, rejected = [], []
    if "dpo" in built:
        for t in built["dpo"].splits.values():
            chosen += [p.completion[p.of(x)] for x in t["chosen_trajectory_id"].to_pylist()]
            rejected += [p.completion[p.of(x)] for x in t["rejected_trajectory_id"].to_pylist()]
    return {
        "plots/arm_accuracy.png": plots.arm_accuracy(
            data.table("trajectories"), data.table("verifications")
        ),
        "plots/pass_rate.png": plots.pass_rate_histogram(data.table("problem_scores")),
        "plots/pair_types.png": plots.pair_types(counts),
        "plots/lengths.png": plots.length_comparison(chosen, rejected),
    }


PLOT_TITLES = {
    "plots/arm_accuracy.png": "Accuracy per arm",
    "plots/pass_rate.png": "Pass-rate histogram",
    "plots/pair_types.png": "Rows per config and pair type",
    "plots/lengths.png": "Chosen vs rejected length",
}


def release_build(
    store: Store | str | Path, pipeline: str, out: str | Path, opts: ReleaseOptions | None = None
) -> dict[str, Any]:
    opts = opts or ReleaseOptions()
    st = store if isinstance(store, Store) else Store(store, create=False)
    data = load_build(st, pipeline)
    found, decontam = _decontaminate(data, opts)
    if decontam["flagged_problems"]:
        if opts.drop_contaminated:
            decontam["action"] = "dropped"
            decontam["dropped_rows"] = _drop(data, set(found["problem_id"].to_pylist()))
        elif opts.allow_contaminated:
            decontam["action"] = "allowed"
        else:
            r = decontam["flagged"][0]
            raise ReleaseError(
                f"{decontam['flagged_problems']} of {decontam['problems']} problem(s) match eval "
                f"items (e.g. {r['problem_id']} ~ {r['eval_item_id']}, {r['match']} "
                f"{r['score']:.2f}): pass --drop-contaminated to leave them out or "
                "--allow-contaminated to release them (the card says so)"
            )
    p, built, skipped = _build_configs(data, opts)
    if not built:
        raise ReleaseError(f"build of '{pipeline}' gives no rows in any config: {skipped}")
    final = Path(out).resolve()
    tmp = staging_dir(final)
    try:
        cfg_info = {}
        for name, b in built.items():
            files, splits = [], {}
            for split, table in b.splits.items():
                files += write_table(tmp, name, split, table)
                splits[split] = {"rows": table.num_rows, "num_bytes": table.nbytes}
            schema = next(iter(b.splits.values())).schema
            cfg_info[name] = {
                "rows": b.rows,
                "splits": splits,
                "files": files,
                "schema": schema,
                "notes": b.notes,
                "duplicates": b.dropped_duplicates,
            }
        pngs = _plots(data, p, built)
        for rel, png in pngs.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(png)
        sources = build_sources(data.ref)
        quality = label_quality(data.table("trajectories"), data.table("verifications"))
        info = {
            "name": opts.name or pipeline,
            "pipeline": pipeline,
            "format": opts.format,
            "description": _description(data),
            "configs": cfg_info,
            "skipped": skipped,
            "rule_counts": rule_counts({k: b.splits for k, b in built.items()}),
            "sources": sources,
            "license": card_license(sources, opts.license),
            "arms": arms(data, p),
            "label_quality": quality,
            "decontamination": decontam,
            "lineage": lineage(data),
            "mathpref_version": mathpref.__version__,
            "reproduce": f"mathpref build {pipeline} && {opts.command or 'mathpref release ' + pipeline}",
            "plots": [{"file": k, "title": PLOT_TITLES[k]} for k in pngs],
        }
        record = {
            "format": 1,
            "name": info["name"],
            "pipeline": pipeline,
            "mathpref_version": mathpref.__version__,
            "command": opts.command,
            "options": _options(opts),
            "grader_versions": quality["grader_versions"],
            "build": build_record(data),
            "datasets": info["lineage"],
            "configs": {
                k: {"rows": v["rows"], "splits": v["splits"], "files": v["files"]}
                for k, v in cfg_info.items()
            },
            "skipped": skipped,
            "sources": sources,
            "decontamination": decontam,
            "label_quality": quality,
        }
        (tmp / LINEAGE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        build_card(info).save(tmp / "README.md")
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    publish(tmp, final)
    return {
        "out": str(final),
        "configs": {k: v["splits"] for k, v in cfg_info.items()},
        "skipped": skipped,
        "flagged": decontam["flagged_problems"],
        "action": decontam["action"],
    }


def _description(data: BuildData) -> str:
    try:
        from mathpref.pipeline.spec import load_spec

        return load_spec(data.ref["spec_path"]).description
    except Exception:
        return ""


def _options(opts: ReleaseOptions) -> dict[str, Any]:
    from dataclasses import asdict

    d = asdict(opts)
    d.pop("command", None)
    return d
