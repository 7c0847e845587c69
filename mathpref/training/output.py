"""The output folder of `mathpref train`, and the base model it starts from.

```
OUT/
  adapter_model.safetensors, adapter_config.json   (or the full model with --no-lora)
  tokenizer files, chat template
  trl_config.yaml        the resolved recipe: runs as `trl <method> --config trl_config.yaml`
  mathpref_train.json    state (running | finished), fingerprint, release, base model, metrics
  README.md              the model card
  log_history.json       TRL's logged metrics, step by step
  checkpoints/checkpoint-N/   TRL checkpoints (`--resume` continues from the last one)
  merged/                with --merge: base + adapter merged, loadable by the generate stage
```
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathpref.errors import MathprefError
from mathpref.store.atomic import write_json_atomic

STATE_FILE = "mathpref_train.json"
CHECKPOINTS = "checkpoints"
MERGED = "merged"


class OutputError(MathprefError):
    """The output folder cannot be used as asked."""


@dataclass(frozen=True)
class BaseModel:
    path: str  # what TRL loads
    model_id: str  # recorded
    revision: str | None
    kind: str  # smollm2 | local | hub

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "model_id": self.model_id,
            "revision": self.revision,
            "kind": self.kind,
        }


def resolve_base(value: str, recipe_revision: str | None) -> BaseModel:
    """--model: a local folder, `smollm2`, `ORG/NAME@REVISION`, or a Hub id (recipe revision)."""
    from mathpref.generation.model_identity import SMOLLM2, content_revision, local_folder

    if value == SMOLLM2:
        from mathpref.generation import smollm2

        path = smollm2.smollm2_model_dir()
        return BaseModel(str(path), smollm2.RECORDED_ID, smollm2.revision(), "smollm2")
    folder = local_folder(value, None)
    if folder is not None:
        try:
            rev = content_revision(folder)
        except FileNotFoundError as exc:
            raise OutputError(f"--model {value}: {exc}") from None
        return BaseModel(str(folder), value, rev, "local")
    repo, at, rev = value.partition("@")
    if at:
        return BaseModel(repo, repo, rev, "hub")
    return BaseModel(value, value, recipe_revision or "main", "hub")


def read_state(out: Path) -> dict[str, Any] | None:
    p = out / STATE_FILE
    return json.loads(p.read_text()) if p.is_file() else None


def last_checkpoint(out: Path) -> str | None:
    """The newest *complete* checkpoint: the Trainer writes `trainer_state.json` last, so a
    folder without it was cut off mid-save (a kill) and is passed over."""
    ck = out / CHECKPOINTS
    if not ck.is_dir():
        return None
    found = []
    for p in ck.iterdir():
        name, _, step = p.name.partition("-")
        if p.is_dir() and name == "checkpoint" and step.isdigit():
            found.append((int(step), p))
    for _, p in sorted(found, reverse=True):
        if (p / "trainer_state.json").is_file():
            return str(p)
    return None


def prepare_output(out: Path, fingerprint: str, *, resume: bool, overwrite: bool) -> str | None:
    """Check the folder; returns the checkpoint to resume from (None: start fresh)."""
    state = read_state(out)
    if resume:
        if state is None:
            raise OutputError(f"--resume: {out} holds no mathpref training run")
        if state.get("fingerprint") != fingerprint:
            raise OutputError(
                f"--resume: {out} was started with other settings or data "
                f"(fingerprint {state.get('fingerprint')} != {fingerprint}); "
                "rerun with the same arguments, or use --overwrite"
            )
        ck = last_checkpoint(out)
        if ck is None:
            raise OutputError(f"--resume: no checkpoint in {out / CHECKPOINTS} yet (start again)")
        return ck
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            hint = " or --resume" if state is not None and state.get("state") == "running" else ""
            raise OutputError(f"{out} is not empty: pass --overwrite{hint}")
        if state is None:
            raise OutputError(
                f"--overwrite: {out} is not a mathpref training output; refusing to delete it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    return None


def write_state(out: Path, state: dict[str, Any]) -> None:
    write_json_atomic(out / STATE_FILE, state)


def write_trl_config(out: Path, values: dict[str, Any], extra: dict[str, Any]) -> None:
    import yaml

    resolved = {**values, **extra}
    text = (
        "# Resolved by mathpref train: the recipe, --set overrides and the CPU rules.\n"
        + yaml.safe_dump(resolved, sort_keys=True, default_flow_style=None)
    )
    (out / "trl_config.yaml").write_text(text)


def merge_adapter(out: Path, base: BaseModel, dtype: str = "float32") -> Path:
    """Base + adapter merged into OUT/merged (plain transformers folder)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(
        base.path,
        revision=base.revision if base.kind == "hub" else None,
        dtype=getattr(torch, dtype) if dtype != "auto" else "auto",
    )
    merged = PeftModel.from_pretrained(model, str(out)).merge_and_unload()
    target = out / MERGED
    tmp = out / f".{MERGED}.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    merged.save_pretrained(tmp)
    AutoTokenizer.from_pretrained(str(out)).save_pretrained(tmp)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target
