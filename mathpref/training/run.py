"""`mathpref train`: recipe → data → TRL trainer → output folder (see `output` for its layout).

Order matters: the recipe is checked (one-line errors) and the data is opened before any model is
loaded. TRL does the training; this module only wires the pieces and records what was done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathpref.errors import MathprefError
from mathpref.hashing import digest
from mathpref.training import output as outmod
from mathpref.training.recipes import get_method, resolve_recipe

VOLATILE_KEYS = {
    "logging_steps",
    "report_to",
    "save_steps",
    "save_strategy",
    "save_total_limit",
    "eval_steps",
    "disable_tqdm",
    "dataloader_num_workers",
}


@dataclass
class TrainRequest:
    method: str
    out: Path
    model: str | None = None
    data: str | None = None
    subset: str | None = None
    problems: str | None = None
    problems_preset: str = "gsm8k"
    problems_limit: int = 0
    calculator_notes: str = "strip"
    user_template: str = "{question}"
    system_prompt: str = ""
    store: str = ".mathpref"
    recipe: str | None = None
    sets: list[str] = field(default_factory=list)
    lora: bool | None = None
    merge: bool = False
    resume: bool = False
    overwrite: bool = False
    command: str = ""


@dataclass
class TrainResult:
    out: Path
    state: dict[str, Any]
    merged: Path | None


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers
    import trl

    import mathpref

    return {
        "mathpref": mathpref.__version__,
        "trl": trl.__version__,
        "peft": peft.__version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }


def _load_data(req: TrainRequest, resolved) -> tuple[Any, Any, dict[str, Any]]:
    """(train, test, release info for the card) from --data or --problems."""
    from mathpref.training import data as rdata

    s = resolved.script
    if req.problems:
        if req.data:
            raise MathprefError("give --data or --problems, not both")
        if req.method != "sft":
            raise MathprefError("--problems trains on gold solutions: only with `train sft`")
        from mathpref.training.gold import gold_sft_dataset, load_problems

        probs = load_problems(req.problems, preset=req.problems_preset, store=req.store)
        train, rows = gold_sft_dataset(
            probs,
            user_template=req.user_template,
            system_prompt=req.system_prompt,
            notes=req.calculator_notes,
            limit=req.problems_limit,
        )
        info = {
            "kind": "problems",
            "location": req.problems,
            "revision": None,
            "subset": f"gold solutions (calculator notes: {req.calculator_notes})",
            "train_split": "all",
            "train_rows": train.num_rows,
            "data_fingerprint": "blake2b:" + digest(rows),
            "lineage": None,
        }
        return train, None, info
    value = req.data or s.dataset_name
    if not value:
        raise MathprefError("give --data RELEASE (a release folder or ORG/NAME@REVISION)")
    release = rdata.open_release(value)
    subset = rdata.pick_subset(
        release, req.method, req.subset, preferred=resolved.values.get("dataset_config")
    )
    train, test = rdata.load_splits(
        release, subset, req.method, s.dataset_train_split, s.dataset_test_split
    )
    info = {
        "kind": release.kind,
        "location": value if release.kind == "local" else release.location,
        "revision": release.revision,
        "name": release.name,
        "subset": subset,
        "train_split": s.dataset_train_split,
        "train_rows": train.num_rows,
        "test_rows": 0 if test is None else test.num_rows,
        "data_fingerprint": rdata.data_fingerprint(release, subset),
        "lineage": release.lineage,
    }
    return train, test, info


def _fingerprint(method, values, release, base, versions) -> str:
    config = {k: v for k, v in sorted(values.items()) if k not in VOLATILE_KEYS}
    rel = {
        k: release.get(k) for k in ("kind", "location", "revision", "subset", "data_fingerprint")
    }
    if rel["kind"] == "local":
        rel.pop("location")  # the content decides, not where the folder is
    return digest("train", method, config, rel, base.model_id, base.revision, versions)


def train(req: TrainRequest, progress: Callable[[str], None] = print) -> TrainResult:
    method = get_method(req.method)
    out = Path(req.out).resolve()
    resolved = resolve_recipe(
        method, req.recipe, req.sets, output_dir=str(out / outmod.CHECKPOINTS), lora=req.lora
    )
    for note in resolved.notes:
        progress(note)
    train_ds, test_ds, release = _load_data(req, resolved)
    wants_eval = getattr(resolved.training.eval_strategy, "value", "no") != "no"
    if wants_eval and test_ds is None:
        raise MathprefError(
            f"eval_strategy = {resolved.values.get('eval_strategy')} but the data has no "
            f"'{resolved.script.dataset_test_split}' split: set eval_strategy=no"
        )
    base = outmod.resolve_base(
        req.model or resolved.model.model_name_or_path or "", resolved.model.model_revision
    )
    versions = _versions()
    fp = _fingerprint(method.name, resolved.values, release, base, versions)
    resume_from = outmod.prepare_output(out, fp, resume=req.resume, overwrite=req.overwrite)
    state: dict[str, Any] = {
        "state": "running",
        "method": method.name,
        "fingerprint": fp,
        "release": release,
        "base_model": base.as_dict(),
        "recipe": resolved.source,
        "versions": versions,
        "command": req.command,
    }
    outmod.write_state(out, state)
    os.environ.update(resolved.env)

    import trl
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(
        base.path, revision=base.revision if base.kind == "hub" else None
    )
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    args = resolved.training
    args.model_init_kwargs = {
        "revision": base.revision if base.kind == "hub" else None,
        "dtype": resolved.model.dtype,
        "attn_implementation": resolved.model.attn_implementation,
        **(args.model_init_kwargs or {}),
    }
    eval_ds = test_ds if wants_eval else None
    trainer_cls = getattr(trl, method.trainer_class)
    trainer = trainer_cls(
        model=base.path,
        args=args,
        train_dataset=train_ds,
        eval_dataset=eval_ds,
        processing_class=tok,
        peft_config=trl.get_peft_config(resolved.model),
    )
    if resume_from:
        progress(f"resuming from {Path(resume_from).name}")
    result = trainer.train(resume_from_checkpoint=resume_from)
    trainer.save_model(str(out))
    tok.save_pretrained(str(out))
    metrics = dict(result.metrics)
    logs = [h for h in trainer.state.log_history if "loss" in h]
    if logs:
        metrics.update({k: v for k, v in logs[-1].items() if isinstance(v, int | float)})
    if test_ds is not None and test_ds.num_rows:
        metrics.update(trainer.evaluate(test_ds))
    metrics["global_step"] = trainer.state.global_step
    (out / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=1) + "\n")
    if hasattr(trainer, "end"):
        trainer.end()
    del trainer
    lora = bool(resolved.model.use_peft)
    merged = None
    if req.merge:
        if lora:
            progress("merging the adapter into the base model")
            merged = outmod.merge_adapter(out, base, resolved.model.dtype or "float32")
        else:
            progress("--merge: no adapter (--no-lora), the output folder is the full model")
    from mathpref.generation.model_identity import content_revision
    from mathpref.training.card import render_card

    outmod.write_trl_config(
        out,
        resolved.values,
        {
            "model_name_or_path": base.path,
            **({"model_revision": base.revision} if base.kind == "hub" else {}),
            "dataset_name": release["location"],
            "dataset_config": release["subset"] if release["kind"] != "problems" else None,
            "output_dir": str(out),
        },
    )
    state.update(
        state="finished",
        metrics=metrics,
        lora=lora,
        content_revision=content_revision(out),
        merged=content_revision(merged) if merged else None,
    )
    card = {
        **state,
        "name": out.name,
        "trainer": method.trainer_class,
        "trl_command": method.trl_command,
    }
    (out / "README.md").write_text(render_card(card))
    outmod.write_state(out, state)
    return TrainResult(out, state, merged)
