"""Facts about a build for its card: arms and their prompts, pairing-rule counts, lineage."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa

from mathpref.release.source import BuildData


def _generate_arms(data: BuildData) -> dict[str, Any]:
    """Arms declared by the build's generate stages (their system prompt and user template)."""
    from mathpref.stages.base import build_config
    from mathpref.stages.generate import GenerateConfig

    out = {}
    for name, kind in data.stage_kinds.items():
        if kind != "generate":
            continue
        cfg = dict(data.ref.stages[name]["config"])
        try:
            arms = build_config(GenerateConfig, cfg, where=name).resolved_arms()
        except Exception:  # an older config layout: fall back to what the rows say
            continue
        for a in arms:
            out[a.name] = a
    return out


def arms(data: BuildData, prompts) -> list[dict[str, Any]]:
    t = data.table("trajectories")
    cols = t.select(
        [
            "trajectory_id",
            "arm",
            "model_id",
            "backend",
            "temperature",
            "top_p",
            "max_new_tokens",
            "parent_trajectory_id",
        ]
    ).to_pylist()
    declared = _generate_arms(data)
    by: dict[str, dict[str, Any]] = {}
    for r in cols:
        if r["parent_trajectory_id"] is not None:
            continue
        a = by.setdefault(
            r["arm"],
            {
                "arm": r["arm"],
                "n": 0,
                "models": set(),
                "backends": set(),
                "temperature": set(),
                "top_p": set(),
                "max": set(),
                "first": r["trajectory_id"],
            },
        )
        a["n"] += 1
        a["models"].add(r["model_id"] or "unknown")
        a["backends"].add(r["backend"])
        a["temperature"].add(r["temperature"])
        a["top_p"].add(r["top_p"])
        a["max"].add(r["max_new_tokens"])
    out = []
    for name in sorted(by):
        a = by[name]
        turns = prompts.turns[prompts.of(a["first"])]
        system = next((m["content"] for m in turns if m["role"] == "system"), "")
        if name in declared:
            user = declared[name].user_template
        elif "import" in a["backends"]:
            user = "the prompt as the log holds it (the question)"
        else:
            user = next((m["content"] for m in turns if m["role"] == "user"), "")
        out.append(
            {
                "arm": name,
                "n": a["n"],
                "model_id": ", ".join(sorted(a["models"])),
                "backend": ", ".join(sorted(a["backends"])),
                "temperature": _one(a["temperature"]),
                "top_p": _one(a["top_p"]),
                "max_new_tokens": _one(a["max"]),
                "system_prompt": system,
                "user_template": user,
            }
        )
    return out


def _one(values: set) -> str:
    vals = sorted((v for v in values if v is not None), key=float)
    if not vals:
        return "not recorded"
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in vals)


def rule_counts(tables: dict[str, dict[str, pa.Table]]) -> dict[tuple[str, str, str], int]:
    counts: Counter = Counter()
    for config, splits in tables.items():
        for t in splits.values():
            names = t.column_names
            if "pair_rule" not in names:
                continue
            types = t["pair_type"].to_pylist() if "pair_type" in names else None
            if types is None and config == "kto":
                types = ["unpaired:" + str(x).lower() for x in t["label"].to_pylist()]
            if types is None:
                types = ["step"] * t.num_rows
            for ty, rule in zip(types, t["pair_rule"].to_pylist(), strict=True):
                counts[(config, ty, rule)] += 1
    return dict(sorted(counts.items()))


def lineage(data: BuildData) -> list[dict[str, Any]]:
    out = []
    for name, entry in sorted(data.ref.stages.items()):
        for role, o in sorted(entry["outputs"].items()):
            out.append(
                {
                    "kind": o["kind"],
                    "stage": f"{name}.{role}",
                    "dataset_id": o["dataset_id"],
                    "fingerprint": o["fingerprint"],
                    "rows": o["rows"],
                }
            )
    return out


def build_record(data: BuildData) -> dict[str, Any]:
    """The spec as built: per stage its kind, code version, config, parts, inputs, outputs."""
    keep = ("kind", "code_version", "version_id", "config", "parts", "inputs", "outputs")
    return {name: {k: s[k] for k in keep if k in s} for name, s in sorted(data.ref.stages.items())}
