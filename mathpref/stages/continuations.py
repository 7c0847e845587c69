"""Continuations stage: continue the prefix before a trajectory's first wrong arithmetic step.

For each eligible parent (a verified trajectory with `first_arith_error_step` = k), the prefix is
the solution text before step k; the backend continues it `n` times. Rows carry
`parent_trajectory_id` and `prefix`, and are verified like any trajectory, so the step-level pair
strategy can pick a verified-correct continuation as the chosen next step (as Step-DPO does).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.stages.base import opt, register
from mathpref.stages.generate import BackendConfig, BackendStage
from mathpref.turns import decode_turns


@dataclass
class ContinueConfig(BackendConfig):
    n: int = opt(4, "Continuations per prefix.")
    statuses: list = opt(["correct", "incorrect"], "Verdicts whose trajectories are continued.")
    max_parents: int = opt(0, "Continue at most this many parents (0 = all), in id order.")
    preset: str = opt(
        "", "Arm preset whose arms replace the parent's prompt (default: the parent's own)."
    )
    arms: list = opt([], "Arms (tables) whose prompts replace the parent's, by arm name.")
    temperature: float = opt(0.7, "Sampling temperature of the continuations.")
    top_p: float = opt(1.0, "top_p of the continuations.")
    max_new_tokens: int = opt(512, "Length limit of a continuation.")

    def __post_init__(self):
        self._check_backend()
        if self.n < 1 or self.max_parents < 0:
            raise ValueError("n must be >= 1 and max_parents >= 0")
        bad = set(self.statuses) - {"correct", "incorrect"}
        if bad:
            raise ValueError(f"statuses may only hold 'correct' and 'incorrect', not {sorted(bad)}")


@register
class ContinueStage(BackendStage):
    kind = "continue"
    code_version = (
        "continue-4"  # 2-3: prompt_messages; the parent's own prompt turns; 4: they reach the shard
    )
    Config = ContinueConfig
    inputs = {"trajectories": True, "verifications": True, "problems": True}
    outputs = {"trajectories": "trajectories"}
    empty_ok = frozenset({"trajectories"})  # there may be nothing to continue

    def _parents(self, ctx) -> pa.Table:
        v = ctx.input("verifications")
        v = v.filter(
            pc.and_(
                pc.is_valid(v["first_arith_error_step"]),
                pc.is_in(v["status"], pa.array(self.config.statuses)),
            )
        )
        t = ctx.input("trajectories")
        t = t.filter(pc.is_null(t["parent_trajectory_id"]))  # continue originals only
        joined = t.join(
            v.select(["trajectory_id", "first_arith_error_step"]),
            "trajectory_id",
            join_type="inner",
        ).sort_by("trajectory_id")
        probs = ctx.input("problems").select(["problem_id", "question"])
        joined = joined.join(probs, "problem_id", join_type="inner").sort_by("trajectory_id")
        if self.config.max_parents:
            joined = joined.slice(0, self.config.max_parents)
        return joined

    def num_shards(self, ctx) -> int:
        return max(1, -(-self._parents(ctx).num_rows // (self.config.shard_problems * 4)))

    def _arms(self):
        from mathpref.generation.arms import Arm
        from mathpref.generation.presets import get_preset

        arms = get_preset(self.config.preset) if self.config.preset else []
        arms += [Arm.from_dict(dict(a)) for a in self.config.arms]
        return {a.name: a for a in arms}

    PARENT_COLUMNS = (
        "trajectory_id",
        "problem_id",
        "question",
        "arm",
        "arm_family",
        "completion",
        "first_arith_error_step",
    )
    # What `parent_messages` and the echo offset read, where the parents' dataset has them.
    OPTIONAL_PARENT_COLUMNS = ("prompt_messages", "prompt", "backend", "prompt_echo_end")

    def shard_inputs(self, ctx, shard):
        size = self.config.shard_problems * 4
        parents = self._parents(ctx).slice(shard * size, size)
        names = list(self.PARENT_COLUMNS)
        names += [n for n in self.OPTIONAL_PARENT_COLUMNS if n in parents.column_names]
        return {"parents": parents.select(names)}

    def run_shard(self, ctx, shard, n_shards):
        from mathpref.generation.arms import Arm
        from mathpref.generation.requests import build_continuation_requests
        from mathpref.verify.steps import prefix_before_step

        parents = ctx.input("parents").to_pylist()
        arms, c = self._arms(), self.config
        items, own = [], {}
        used: dict[str, set] = {"spec": set(), "parent": set(), "question": set()}
        for p in parents:
            arm = arms.get(p["arm"])
            messages = None if arm is not None else parent_messages(p)
            if arm is None:
                arm = Arm(name=p["arm"], family=p["arm_family"] or "imported")
            used["spec" if p["arm"] in arms else "parent" if messages else "question"].add(p["arm"])
            text = p["completion"][p.get("prompt_echo_end") or 0 :]
            try:
                prefix = prefix_before_step(text, p["first_arith_error_step"])
            except IndexError:
                ctx.note(f"parent {p['trajectory_id']}: step index out of range, skipped")
                continue
            items.append((p["trajectory_id"], p["problem_id"], p["question"], arm, prefix))
            if messages:
                own[p["trajectory_id"]] = messages
        requests = build_continuation_requests(
            items, c.n, temperature=c.temperature, top_p=c.top_p, max_new_tokens=c.max_new_tokens
        )
        # Unless the spec gives the arm, a continuation is asked exactly as its parent was.
        requests = [
            dataclasses.replace(r, messages=own[r.parent_trajectory_id])
            if r.parent_trajectory_id in own
            else r
            for r in requests
        ]
        for how, names in used.items():
            note = f"continuations of arm(s) {sorted(names)}: prompt from {_HOW[how]}"
            if names and note not in ctx.notes:
                ctx.note(note)
        rows = self.generate(ctx, shard, requests) if requests else []
        return {"trajectories": pa.Table.from_pylist(rows) if rows else None}

    def finalize(self, ctx, tables):
        t = tables["trajectories"]
        if t.num_rows == 0:
            ctx.note("no trajectory with a first wrong arithmetic step: no continuations")
        return tables


_HOW = {
    "spec": "the arms of this stage's spec (override)",
    "parent": "the parent's own prompt messages",
    "question": "the bare question (the parent recorded no prompt messages)",
}


def parent_messages(p: dict) -> tuple[tuple[str, str], ...] | None:
    """The turns the parent's prompt was rendered from (`prompt_messages`), or for an imported
    parent of an older store its prompt text as the user turn."""
    if p.get("prompt_messages"):
        return tuple((t["role"], t["content"]) for t in decode_turns(p["prompt_messages"]))
    if p.get("backend") == "import" and p.get("prompt"):
        return (("user", p["prompt"]),)
    return None
