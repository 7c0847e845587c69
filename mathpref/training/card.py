"""The model card of a training output (README.md), built with huggingface_hub's card classes.

It names the release (location, revision, config, data fingerprint and the release's own lineage
fingerprints when it has `mathpref_release.json`), the base model and its revision, the method
and recipe, the training fingerprint, final metrics, and the TRL / peft / transformers / torch /
mathpref versions. No times and no machine paths beyond what the user passed.
"""

from __future__ import annotations

import json
from typing import Any

METRIC_KEYS = (
    "train_loss",
    "loss",
    "rewards/accuracies",
    "rewards/margins",
    "eval_loss",
    "eval_rewards/accuracies",
    "eval_rewards/margins",
)


def _lineage_lines(lineage: dict[str, Any] | None) -> list[str]:
    if not lineage:
        return ["- release lineage: none (`mathpref_release.json` missing)"]
    out = []
    for key in ("name", "pipeline", "build_id", "fingerprint", "mathpref_version"):
        if key in lineage:
            out.append(f"- release {key}: `{lineage[key]}`")
    datasets = lineage.get("datasets")
    items = datasets if isinstance(datasets, list) else []
    if isinstance(datasets, dict):
        items = [{"kind": k, **d} for k, ds in sorted(datasets.items()) for d in ds]
    for d in items:
        if isinstance(d, dict) and "fingerprint" in d:
            what = d.get("stage") or d.get("kind", "")
            out.append(
                f"- release dataset {what}: `{d.get('dataset_id', '')}` "
                f"fingerprint `{d['fingerprint']}`"
            )
    return out or ["- release lineage: present, no fingerprints found"]


def render_card(info: dict[str, Any]) -> str:
    from huggingface_hub import ModelCard, ModelCardData

    base = info["base_model"]
    method = info["method"]
    data = ModelCardData(
        base_model=base["model_id"] if base["kind"] == "hub" else None,
        datasets=[info["release"]["location"]] if info["release"]["kind"] == "hub" else None,
        library_name="peft" if info["lora"] else "transformers",
        pipeline_tag="text-generation",
        tags=["mathpref", "trl", method.replace("-", "_"), *(["lora"] if info["lora"] else [])],
    )
    rel = info["release"]
    v = info["versions"]
    metrics = info.get("metrics") or {}
    metric_lines = [f"| {k} | {metrics[k]:.4g} |" for k in METRIC_KEYS if k in metrics]
    merged = info.get("merged")
    body = "\n".join(
        [
            f"# {info['name']}",
            "",
            f"{method.upper()} of `{base['model_id']}` with TRL's {info['trainer']}"
            + (" and a LoRA adapter" if info["lora"] else " (full model)")
            + f", trained by `mathpref train {method}`.",
            "",
            "## Data",
            "",
            f"- release: `{rel['location']}`"
            + (f" at revision `{rel['revision']}`" if rel.get("revision") else ""),
            f"- config: `{rel['subset']}` (train split `{rel['train_split']}`: "
            f"{rel['train_rows']} rows; test split: {rel.get('test_rows', 0)} rows)",
            f"- data fingerprint: `{rel['data_fingerprint']}`",
            *_lineage_lines(rel.get("lineage")),
            "",
            "## Model",
            "",
            f"- base model: `{base['model_id']}`, revision `{base['revision']}`",
            f"- output: {'LoRA adapter' if info['lora'] else 'full model'} in this folder"
            + (f"; merged model in `merged/` (revision `{merged}`)" if merged else ""),
            f"- content revision of this folder: `{info.get('content_revision')}`",
            f"- training fingerprint: `{info['fingerprint']}`",
            "",
            "## Training",
            "",
            f"- method: {method}; recipe `{info['recipe']}`; resolved config in `trl_config.yaml`"
            f" (runs with `trl {info['trl_command']} --config trl_config.yaml`)",
            f"- steps: {metrics.get('global_step', '?')}",
            "",
            "| metric | value |",
            "|---|---|",
            *(metric_lines or ["| (none logged) | |"]),
            "",
            "## Versions",
            "",
            ", ".join(f"{k} {v[k]}" for k in sorted(v)),
            "",
            "## Reproduce",
            "",
            "```bash",
            info.get("command") or f"mathpref train {method} ...",
            "```",
            "",
        ]
    )
    template = "---\n{{ card_data }}\n---\n\n{{ body }}"  # body as a value: never a template
    return str(ModelCard.from_template(data, template_str=template, body=body))


def card_info_json(info: dict[str, Any]) -> str:
    return json.dumps(info, indent=2, sort_keys=True, default=str) + "\n"
