"""Step-labels stage: the first wrong step of selected trajectories by one step source.

`method` picks the source module (`METHODS`, imported lazily); each exposes
`label(items, config, generate) -> list[StepLabel]` (mathpref/steplabels/base.py). Items are built
here from trajectories + verifications + problems: by default the incorrect original
(non-continuation) trajectories, in id order. A source that generates gets the stage's backend as
`generate`; continuation requests it makes (requests with a parent and a prefix) are also written
as the `trajectories` output, so a verify stage can check them and the pairs stage take them as
step-pair continuations (`completions`: the continuations from every probed prefix).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.stages.base import opt, register
from mathpref.stages.generate import BackendConfig, BackendStage

METHODS = {
    "completions": "mathpref.steplabels.completions",
    "critic": "mathpref.steplabels.critic",
    "prm": "mathpref.steplabels.prm",
}
GENERATING = ("completions", "critic")  # methods that need `backend`
STATUSES = ("correct", "incorrect", "unverifiable", "error")


@dataclass
class StepLabelsConfig(BackendConfig):
    method: str = opt("completions", f"Step source: {' | '.join(METHODS)}.")
    statuses: list = opt(["incorrect"], f"Verdicts whose trajectories are labelled ({STATUSES}).")
    max_items: int = opt(0, "Label at most this many trajectories (0 = all), in id order.")
    # completions
    k: int = opt(4, "completions: continuations sampled per probed prefix.")
    temperature: float = opt(0.7, "completions: sampling temperature of the continuations.")
    top_p: float = opt(1.0, "completions: top_p of the continuations.")
    max_new_tokens: int = opt(512, "completions: length limit of a continuation.")
    seed: int = opt(0, "completions: base seed of the continuation requests.")
    confirm: bool = opt(
        True, "completions: confirm a boundary by asking the next prefix (see decision 0011)."
    )
    # critic
    critic_samples: int = opt(1, "critic: judge replies per solution, combined by plurality vote.")
    critic_temperature: float = opt(0.0, "critic: sampling temperature of the judge.")
    critic_max_new_tokens: int = opt(1024, "critic: length limit of a judge reply.")
    critic_seed: int = opt(0, "critic: base seed of the judge requests.")
    # prm
    prm_threshold: float = opt(0.5, "prm: a step scoring below this is wrong (first one counts).")
    prm_step_token: str = opt("<extra_0>", "prm: the step-separator special token of the model.")
    prm_system_prompt: str = opt(
        "Please reason step by step, and put your final answer within \\boxed{}.",
        "prm: system turn of the PRM's input ('' = none).",
    )
    prm_max_tokens: int = opt(4096, "prm: longer inputs are unverifiable (never truncated).")

    def _check_judges(self):
        if self.critic_samples < 1 or self.critic_max_new_tokens < 1 or self.critic_temperature < 0:
            raise ValueError("critic_samples, critic_max_new_tokens >= 1; critic_temperature >= 0")
        if not 0.0 < self.prm_threshold < 1.0 or not self.prm_step_token or self.prm_max_tokens < 8:
            raise ValueError("prm_threshold in (0, 1), prm_step_token set, prm_max_tokens >= 8")
        if self.method == "prm" and (
            self.backend not in ("transformers", "vllm") or not self.model
        ):
            raise ValueError("method 'prm' needs backend = transformers | vllm and model = ...")

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {sorted(METHODS)}, not {self.method!r}")
        if self.method in GENERATING:
            self._check_backend()
        bad = sorted(set(self.statuses) - set(STATUSES))
        if bad or not self.statuses:
            raise ValueError(f"statuses must be a non-empty subset of {STATUSES}, not {bad}")
        if self.max_items < 0 or self.k < 1 or self.max_new_tokens < 1:
            raise ValueError("max_items must be >= 0, k >= 1 and max_new_tokens >= 1")
        if not 0.0 <= self.temperature or not 0.0 < self.top_p <= 1.0:
            raise ValueError("temperature must be >= 0 and top_p in (0, 1]")
        self._check_judges()


ITEM_COLUMNS = ("trajectory_id", "problem_id", "question", "gold_answer", "completion")
OPTIONAL_COLUMNS = ("prompt_messages", "prompt", "backend", "prompt_echo_end")


def select_items(trajectories: pa.Table, verifications: pa.Table, problems: pa.Table, config):
    """The rows to label: original trajectories whose verdict is in `config.statuses`."""
    v = verifications.filter(pc.is_in(verifications["status"], pa.array(config.statuses)))
    t = trajectories.filter(pc.is_null(trajectories["parent_trajectory_id"]))
    names = ["trajectory_id", "problem_id", "completion"]
    names += [n for n in OPTIONAL_COLUMNS if n in t.column_names]
    t = t.select(names).join(v.select(["trajectory_id"]), "trajectory_id", join_type="inner")
    probs = problems.select(["problem_id", "question", "gold_answer"])
    t = t.join(probs, "problem_id", join_type="inner").sort_by("trajectory_id")
    return t.slice(0, config.max_items) if config.max_items else t


def build_items(rows: list[dict]) -> list:
    """StepItems from selected rows (steps split after the prompt echo, as verify does)."""
    from mathpref.stages.continuations import parent_messages
    from mathpref.steplabels.base import StepItem
    from mathpref.verify.steps import split_steps

    items = []
    for r in rows:
        text = (r["completion"] or "")[r.get("prompt_echo_end") or 0 :]
        items.append(
            StepItem(
                trajectory_id=r["trajectory_id"],
                problem_id=r["problem_id"],
                question=r["question"],
                gold=r["gold_answer"] or "",
                steps=tuple(split_steps(text)),
                messages=parent_messages(r) or (),
                text=text,
            )
        )
    return items


@register
class StepLabelsStage(BackendStage):
    kind = "step_labels"
    code_version = "step-labels-1"
    Config = StepLabelsConfig
    inputs = {"trajectories": True, "verifications": True, "problems": True}
    outputs = {"step_labels": "step_labels", "trajectories": "trajectories"}
    empty_ok = frozenset({"step_labels", "trajectories"})  # nothing selected: nothing labelled

    def _rows(self, ctx) -> pa.Table:
        return select_items(
            ctx.input("trajectories"),
            ctx.input("verifications"),
            ctx.input("problems"),
            self.config,
        )

    def num_shards(self, ctx) -> int:
        return max(1, -(-self._rows(ctx).num_rows // (self.config.shard_problems * 4)))

    def shard_inputs(self, ctx, shard):
        size = self.config.shard_problems * 4
        return {"items": self._rows(ctx).slice(shard * size, size)}

    def model_label(self) -> str:
        return self.model_id() if self.config.method in GENERATING else self.config.model

    def run_shard(self, ctx, shard, n_shards):
        items = build_items(ctx.input("items").to_pylist())
        source = importlib.import_module(METHODS[self.config.method])
        continuations: list[dict] = []

        def generate(requests):
            rows = self.generate(ctx, shard, list(requests)) if requests else []
            continuations.extend(r for r in rows if r["parent_trajectory_id"] is not None)
            return [r["completion"] for r in rows]

        gen = generate if self.config.method in GENERATING else None
        labels = source.label(items, self.config, gen) if items else []
        model = self.model_label()
        out = [
            {
                "trajectory_id": it.trajectory_id,
                "problem_id": it.problem_id,
                "source": self.config.method,
                "model": model,
                "status": lab.status,
                "first_wrong_step": lab.first_wrong_step,
                "n_steps": len(it.steps),
                "step_scores": list(lab.step_scores) if lab.step_scores is not None else None,
                "requests": lab.requests,
                "detail": lab.detail,
            }
            for it, lab in zip(items, labels, strict=True)
        ]
        return {
            "step_labels": pa.Table.from_pylist(out) if out else None,
            "trajectories": pa.Table.from_pylist(continuations) if continuations else None,
        }

    def finalize(self, ctx, tables):
        t = tables["step_labels"]
        if t.num_rows == 0:
            ctx.note(f"no trajectory with status in {self.config.statuses}: nothing labelled")
            return tables
        req = pc.mean(t["requests"]).as_py()
        found = pc.sum(pc.is_valid(t["first_wrong_step"])).as_py()
        bad = pc.sum(pc.equal(t["status"], "unverifiable")).as_py()
        ctx.note(
            f"{self.config.method}: {t.num_rows} labelled, {found} with a first wrong step, "
            f"{bad} unverifiable; mean requests per labelled solution {req:.2f}"
        )
        return tables
