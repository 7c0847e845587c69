"""The markdown body of a release card (see `card.build_card`)."""

from __future__ import annotations

from typing import Any

from mathpref.release.labels import label_quality_markdown

WHAT = {
    "dpo": "Preference pairs (correctness and coherence). `messages` = the prompt turns the model "
    "saw; `chosen`/`rejected` = the full conversations (those turns + the answer).",
    "dpo_standard": "Preference pairs in standard form: `prompt` is the exact rendered prompt "
    "string, `chosen`/`rejected` the completions, so prompt + completion is the real sequence.",
    "kto": "Unpaired rows: `prompt`, `completion`, `label` (true = verified correct).",
    "sft": "Verified-correct trajectories as `prompt`/`completion` (rejection-sampling "
    "fine-tuning).",
    "step_dpo": "Step-DPO's published fields: `prompt` = the question, `initial_reason_steps` = "
    "the steps before the first wrong one, `chosen`/`rejected` = the next step, `full_chosen`, "
    "`full_rejected`, `answer`, `dataset`.",
    "step_dpo_trl": "The step pairs for TRL, standard (string) form only: `prompt` = the rendered "
    "chat prompt followed by `initial_reason_steps`; `chosen`/`rejected` = the next step (TRL "
    "appends EOS to them in this form, so the step is trained as ending the answer).",
    "prm": "Stepwise supervision from the log's own step ratings: `prompt`, `completions` (steps), "
    "`labels` (true until the first step rated wrong, which is false; later steps dropped).",
}
TRAINERS = {
    "dpo": "TRL `DPOTrainer` (and `trl dpo`), Axolotl `type: chat_template.default`",
    "kto": "TRL `KTOTrainer`",
    "sft": "TRL `SFTTrainer`",
    "step_dpo": "Step-DPO's training code (dvlab-research/Step-DPO)",
    "step_dpo_trl": "TRL `DPOTrainer` (standard form)",
    "prm": "no TRL 1.x trainer (TRL removed its PRMTrainer); OpenRLHF's PRM trainer and "
    "custom token-classification code read this layout",
}


def _configs_table(info: dict[str, Any]) -> list[str]:
    lines = ["| config | rows (train / test) | what it is | read by |", "|---|---|---|---|"]
    for name, c in info["configs"].items():
        what = (
            WHAT["dpo_standard"]
            if name == "dpo" and info["format"] == "standard"
            else WHAT.get(name, f"the build's `{name}` table as it is")
        )
        tr, te = (c["splits"].get(s, {}).get("rows", 0) for s in ("train", "test"))
        lines.append(f"| `{name}` | {tr} / {te} | {what} | {TRAINERS.get(name, '-')} |")
    if info["skipped"]:
        lines += ["", "Not in this release:", ""]
        lines += [f"- `{k}`: {v}" for k, v in info["skipped"].items()]
    notes = [(n, x) for n, c in info["configs"].items() for x in c["notes"]]
    dups = [(n, c["duplicates"]) for n, c in info["configs"].items() if c["duplicates"]]
    if notes or dups:
        lines += ["", "Notes:", ""]
        lines += [f"- `{n}`: {x}" for n, x in notes]
        lines += [f"- `{n}`: {d} identical row(s) collapsed to one" for n, d in dups]
    return lines


def _snippets(info: dict[str, Any]) -> list[str]:
    first = "dpo" if "dpo" in info["configs"] else next(iter(info["configs"]), "dpo")
    lines = [
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'repo = "ORG/NAME"  # this dataset on the Hub, or the path of the release folder',
        f'ds = load_dataset(repo, "{first}")  # DatasetDict with train and test',
        "```",
        "",
        "TRL 1.16 reads the configs with no column mapping:",
        "",
        "```python",
        "from datasets import load_dataset",
        "from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer, SFTConfig, SFTTrainer",
        "",
        'repo, model = "ORG/NAME", "Qwen/Qwen2.5-0.5B-Instruct"',
    ]
    for name, cls in (("dpo", "DPO"), ("kto", "KTO"), ("sft", "SFT")):
        if name in info["configs"]:
            lines += [
                f'ds = load_dataset(repo, "{name}")',
                f'{cls}Trainer(model=model, args={cls}Config(output_dir="out-{name}"),',
                f'{" " * (len(cls) + 8)}train_dataset=ds["train"], eval_dataset=ds.get("test")).train()',
            ]
    lines += [
        "```",
        "",
        "Command line: `trl dpo --model_name_or_path MODEL --dataset_name ORG/NAME "
        "--dataset_config dpo --output_dir out` (TRL's scripts take no dataset revision).",
        "",
    ]
    if "dpo" in info["configs"] and info["format"] == "conversational":
        lines += [
            "Axolotl (the `chat_template.default` DPO strategy's default field names: "
            "`messages`, `chosen`, `rejected`, with `role`/`content` messages):",
            "",
            "```yaml",
            "rl: dpo",
            "datasets:",
            "  - path: ORG/NAME",
            "    name: dpo",
            "    split: train",
            "    type: chat_template.default",
            "```",
            "",
        ]
    return lines


def _arms(info: dict[str, Any]) -> list[str]:
    lines = [
        "## Generation",
        "",
        "| arm | model | backend | trajectories | temperature | top_p | max new tokens |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in info["arms"]:
        lines.append(
            f"| `{a['arm']}` | `{a['model_id']}` | {a['backend']} | {a['n']} | "
            f"{a['temperature']} | {a['top_p']} | {a['max_new_tokens']} |"
        )
    lines.append("")
    for a in info["arms"]:
        lines.append(
            f"- `{a['arm']}`: system prompt: {_quote(a['system_prompt'])}; user turn: "
            f"{_quote(a['user_template'])}"
        )
    return lines + [""]


def _quote(text: str | None) -> str:
    if not text:
        return "none"
    flat = " ".join(text.split())
    return "`" + (flat if len(flat) <= 300 else flat[:297] + "...") + "`"


def _decontam(info: dict[str, Any]) -> list[str]:
    d = info["decontamination"]
    sets = ", ".join(f"{e['name']} ({e['rows']} items)" for e in d["eval_sets"])
    lines = [
        "## Decontamination",
        "",
        f"Every problem was checked against {sets}: normalised exact match, and word "
        f"{d['n']}-gram coverage (the share of an eval item's {d['n']}-grams found in one "
        f"problem; shorter items use their length), flagged at >= {d['threshold']}.",
        "",
        f"**{d['flagged_problems']} of {d['problems']} problems flagged.**",
    ]
    for name, kinds in d["by_eval_set"].items():
        lines.append(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    if d["flagged_problems"]:
        action = {
            "dropped": f"Flagged problems were dropped (--drop-contaminated): {d['dropped_rows']} "
            "row(s) removed.",
            "allowed": "**Flagged problems were released as they are (--allow-contaminated).** "
            "Do not evaluate a model trained on them on the eval sets they match.",
        }[d["action"]]
        lines += ["", action, "", "| problem | eval item | match | score |", "|---|---|---|---|"]
        for r in d["flagged"][:20]:
            lines.append(
                f"| `{r['problem_id']}` | `{r['eval_item_id']}` | {r['match']} | {r['score']:.3f} |"
            )
        if len(d["flagged"]) > 20:
            lines.append(
                f"\n({len(d['flagged']) - 20} more: all are listed in "
                "`mathpref_release.json` under `decontamination.flagged`.)"
            )
    return lines + [""]


def body(info: dict[str, Any]) -> str:
    lines = [
        f"# {info['name']}",
        "",
        f"Math preference data released by mathpref from the build of "
        f"pipeline `{info['pipeline']}`"
        + (f": {info['description']}" if info["description"] else ".")
        + f" Prompt form: {info['format']}.",
        "",
        "## Configs",
        "",
        *_configs_table(info),
        "",
        *_snippets(info),
    ]
    lines += ["## Pairing rules", "", "| config | pair type | rule | rows |", "|---|---|---|---|"]
    lines += [f"| `{c}` | {t} | `{r}` | {n} |" for (c, t, r), n in info["rule_counts"].items()]
    lines += ["", "Train and test are problem-level splits (no problem is in both).", ""]
    lines += ["## Sources and licences", ""]
    lines += [
        f"- {s['title']} (stage `{s['stage']}`, sha256 `{s['sha256'][:12] if s['sha256'] else '-'}`): "
        f"{s['credit']}; licence `{s['license']}`"
        for s in info["sources"]
    ]
    lines += [f"\nCard licence: `{info['license']}`.", "", *_arms(info)]
    lines += ["## Label quality", "", label_quality_markdown(info["label_quality"]), ""]
    lines += _decontam(info)
    lines += [
        "## Lineage",
        "",
        f"mathpref {info['mathpref_version']}. Every dataset of the "
        "build this release was made from (full record: `mathpref_release.json`):",
        "",
        "| kind | stage | dataset id | fingerprint | rows |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {d['kind']} | `{d['stage']}` | `{d['dataset_id']}` | `{d['fingerprint']}` | "
        f"{d['rows']} |"
        for d in info["lineage"]
    ]
    lines += ["", "## Reproduce", "", "```bash", info["reproduce"], "```", "", "## Plots", ""]
    lines += [f"![{p['title']}]({p['file']})" for p in info["plots"]]
    return "\n".join(lines) + "\n"
