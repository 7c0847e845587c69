"""`release_build`: freeze a pipeline's last successful build into a release folder.

Order: read the build, decontaminate its problems (a flagged problem fails the release unless
dropped or allowed), build every config, write the shards, the plots, the lineage record and the
card into a staging folder, then swap it into place. Nothing here reads a clock or writes a path
of this machine, so the same build gives byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mathpref
from mathpref.release.assemble import PLOT_TITLES, build_configs, build_plots
from mathpref.release.card import build_card
from mathpref.release.contamination import decontaminate, drop_problems
from mathpref.release.labels import label_quality
from mathpref.release.layout import LINEAGE, publish, staging_dir, write_table
from mathpref.release.options import ReleaseOptions
from mathpref.release.source import BuildData, ReleaseError, load_build
from mathpref.release.sources import build_sources, card_license
from mathpref.release.summary import arms, build_record, lineage, rule_counts
from mathpref.store import Store


def release_build(
    store: Store | str | Path,
    pipeline: str,
    out: str | Path,
    opts: ReleaseOptions | None = None,
    progress: Callable[[str], None] = lambda text: None,
) -> dict[str, Any]:
    opts = opts or ReleaseOptions()
    st = store if isinstance(store, Store) else Store(store, create=False)
    progress(f"reading the last build of {pipeline}")
    data = load_build(st, pipeline)
    progress(
        f"decontaminating {data.table('problems').num_rows} problem(s) against "
        f"{', '.join(opts.decontam.eval_sets + [f['path'] for f in opts.decontam.files])}"
    )
    found, decontam = decontaminate(data, opts)
    if decontam["flagged_problems"]:
        if opts.drop_contaminated:
            decontam["action"] = "dropped"
            decontam["dropped_rows"] = drop_problems(data, set(found["problem_id"].to_pylist()))
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
    progress("building configs")
    p, built, skipped = build_configs(data, opts)
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
        progress("drawing plots, writing the card")
        pngs = build_plots(data, p, built)
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

    from mathpref.release.contamination import eval_files_record

    d = asdict(opts)
    d.pop("command", None)
    d["decontam"]["files"] = eval_files_record(opts.decontam.files)
    if d["chat_template"] and Path(d["chat_template"]).exists():
        d["chat_template"] = Path(d["chat_template"]).name  # a local folder: its name only
    return d
