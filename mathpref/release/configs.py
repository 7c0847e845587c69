"""The configs of a release, built from a build's tables: dpo, kto, sft, step_dpo, step_dpo_trl,
prm (and raw tables on request). Each builder returns rows with a `split` key; `finish` dedups
identical training rows, splits train/test and types the columns.

Row order is fixed (the source table's key order), so a release is byte-identical when rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.release.prompts import Prompts, assistant
from mathpref.release.source import BuildData, ReleaseError

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
SPLITS = ("train", "test")


@dataclass
class Built:
    splits: dict[str, pa.Table]  # split -> rows (only splits with rows)
    dropped_duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.splits.values())


def finish(rows: list[dict], schema: pa.Schema, key: Callable[[dict], object] | None) -> Built:
    """Drop later rows whose training content repeats an earlier one, then split."""
    seen, kept = set(), []
    for r in rows:
        if key is not None:
            k = key(r)
            if k in seen:
                continue
            seen.add(k)
        kept.append(r)
    out: dict[str, pa.Table] = {}
    for split in SPLITS:
        part = [{n: r[n] for n in schema.names} for r in kept if r["split"] == split]
        if part:
            out[split] = pa.Table.from_pylist(part, schema=schema)
    other = {r["split"] for r in kept} - set(SPLITS)
    if other:
        raise ReleaseError(f"rows with split(s) {sorted(other)}: only train and test are known")
    return Built(out, len(rows) - len(kept))


def _js(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def _status(data: BuildData) -> dict[str, str]:
    v = data.table("verifications").select(["trajectory_id", "status"]).to_pydict()
    return dict(zip(v["trajectory_id"], v["status"], strict=True))


def _split_of(data: BuildData) -> dict[str, str]:
    ps = data.table("problem_scores").select(["problem_id", "split"]).to_pydict()
    return dict(zip(ps["problem_id"], ps["split"], strict=True))


def dpo(data: BuildData, p: Prompts, standard: bool, same_prompt_only: bool) -> Built:
    t = data.table("pairs").sort_by("pair_id").to_pydict()
    status = _status(data)
    rows, cross = [], 0
    for i in range(len(t["pair_id"])):
        c, r = p.of(t["chosen_trajectory_id"][i]), p.of(t["rejected_trajectory_id"][i])
        same = p.turns_json[c] == p.turns_json[r]
        if not same:
            cross += 1
            if same_prompt_only:
                continue
        row = {
            "split": t["split"][i],
            "problem_id": t["problem_id"][i],
            "pair_id": t["pair_id"][i],
            "pair_type": t["pair_type"][i],
            "pair_rule": t["pair_rule"][i],
            "margin": t["margin"][i],
            "chosen_arm": t["chosen_arm"][i],
            "rejected_arm": t["rejected_arm"][i],
            "chosen_status": status.get(t["chosen_trajectory_id"][i]),
            "rejected_status": status.get(t["rejected_trajectory_id"][i]),
            "chosen_reward": t["chosen_reward"][i],
            "rejected_reward": t["rejected_reward"][i],
            "same_prompt": same,
            "chosen_trajectory_id": t["chosen_trajectory_id"][i],
            "rejected_trajectory_id": t["rejected_trajectory_id"][i],
        }
        if standard:
            row["prompt"] = p.rendered_or_fail(c, "dpo (standard)")
            row["chosen"], row["rejected"] = p.completion[c], p.completion[r]
        else:
            turns = p.turns[c]
            row["messages"] = turns
            row["chosen"] = [*turns, assistant(p.completion[c])]
            row["rejected"] = [*turns, assistant(p.completion[r])]
        rows.append(row)
    head = ["prompt", "chosen", "rejected"] if standard else ["messages", "chosen", "rejected"]
    text = pa.string() if standard else MESSAGES
    first = pa.string() if standard else MESSAGES
    schema = pa.schema(
        [(head[0], first), (head[1], text), (head[2], text)]
        + [
            ("problem_id", pa.string()),
            ("pair_id", pa.string()),
            ("pair_type", pa.string()),
            ("pair_rule", pa.string()),
            ("margin", pa.float64()),
            ("chosen_arm", pa.string()),
            ("rejected_arm", pa.string()),
            ("chosen_status", pa.string()),
            ("rejected_status", pa.string()),
            ("chosen_reward", pa.float64()),
            ("rejected_reward", pa.float64()),
            ("same_prompt", pa.bool_()),
            ("chosen_trajectory_id", pa.string()),
            ("rejected_trajectory_id", pa.string()),
        ]
    )
    built = finish(rows, schema, lambda r: _js([r[head[0]], r[head[1]], r[head[2]]]))
    if cross:
        verb = "dropped (--same-prompt-only)" if same_prompt_only else "kept, prompt = chosen's"
        built.notes.append(f"{cross} pair(s) whose two sides saw different prompt turns: {verb}")
    return built


def kto(data: BuildData, p: Prompts, standard: bool) -> Built:
    t = data.table("kto_rows").sort_by("kto_id").to_pydict()
    rows = []
    for i in range(len(t["kto_id"])):
        j = p.of(t["trajectory_id"][i])
        row = {
            "split": t["split"][i],
            "problem_id": t["problem_id"][i],
            "label": t["label"][i],
            "arm": t["arm"][i],
            "reward": t["reward"][i],
            "pair_rule": t["pair_rule"][i],
            "trajectory_id": t["trajectory_id"][i],
        }
        if standard:
            row["prompt"] = p.rendered_or_fail(j, "kto (standard)")
            row["completion"] = p.completion[j]
        else:
            row["prompt"], row["completion"] = p.turns[j], [assistant(p.completion[j])]
        rows.append(row)
    text = pa.string() if standard else MESSAGES
    schema = pa.schema(
        [
            ("prompt", text),
            ("completion", text),
            ("label", pa.bool_()),
            ("problem_id", pa.string()),
            ("arm", pa.string()),
            ("reward", pa.float64()),
            ("pair_rule", pa.string()),
            ("trajectory_id", pa.string()),
        ]
    )
    return finish(rows, schema, lambda r: _js([r["prompt"], r["completion"], r["label"]]))


def sft(data: BuildData, p: Prompts, standard: bool, per_problem: int) -> Built:
    s = data.table("trajectory_scores")
    s = s.filter(
        pc.and_(
            pc.and_(s["eligible"], pc.invert(s["is_continuation"])),
            pc.equal(s["status"], "correct"),
        )
    )
    s = s.sort_by(
        [("problem_id", "ascending"), ("reward", "descending"), ("trajectory_id", "ascending")]
    ).to_pydict()
    split = _split_of(data)
    rows, taken, seen = [], {}, set()
    for i in range(len(s["trajectory_id"])):
        pid = s["problem_id"][i]
        if per_problem and taken.get(pid, 0) >= per_problem:
            continue
        j = p.of(s["trajectory_id"][i])
        prompt = p.rendered_or_fail(j, "sft (standard)") if standard else p.turns[j]
        completion = p.completion[j] if standard else [assistant(p.completion[j])]
        k = _js([prompt, completion])
        if k in seen:  # identical rows do not count against the cap
            continue
        seen.add(k)
        taken[pid] = taken.get(pid, 0) + 1
        rows.append(
            {
                "split": split[pid],
                "prompt": prompt,
                "completion": completion,
                "problem_id": pid,
                "arm": s["arm"][i],
                "reward": s["reward"][i],
                "trajectory_id": s["trajectory_id"][i],
            }
        )
    text = pa.string() if standard else MESSAGES
    schema = pa.schema(
        [
            ("prompt", text),
            ("completion", text),
            ("problem_id", pa.string()),
            ("arm", pa.string()),
            ("reward", pa.float64()),
            ("trajectory_id", pa.string()),
        ]
    )
    built = finish(rows, schema, None)
    built.notes.append(
        f"verified-correct, eligible trajectories, best reward first, at most "
        f"{per_problem or 'all'} distinct per problem"
    )
    return built


def _problems(data: BuildData) -> dict[str, dict]:
    q = data.table("problems").select(["problem_id", "question", "gold_answer", "source"])
    return {r["problem_id"]: r for r in q.to_pylist()}


def step_dpo(data: BuildData, p: Prompts) -> Built:
    t = data.table("step_pairs").sort_by("step_pair_id").to_pylist()
    probs = _problems(data)
    rows = []
    for r in t:
        prob = probs[r["problem_id"]]
        rows.append(
            {
                **{
                    k: r[k]
                    for k in (
                        "split",
                        "initial_reason_steps",
                        "chosen",
                        "rejected",
                        "full_chosen",
                        "full_rejected",
                        "problem_id",
                        "step_pair_id",
                        "pair_rule",
                        "error_step",
                        "chosen_trajectory_id",
                        "rejected_trajectory_id",
                    )
                },
                "prompt": prob["question"],
                "answer": prob["gold_answer"],
                "dataset": prob["source"],
            }
        )
    s = pa.string()
    schema = pa.schema(
        [
            ("dataset", s),
            ("prompt", s),
            ("initial_reason_steps", s),
            ("chosen", s),
            ("rejected", s),
            ("full_chosen", s),
            ("full_rejected", s),
            ("answer", s),
            ("problem_id", s),
            ("step_pair_id", s),
            ("pair_rule", s),
            ("error_step", pa.int32()),
            ("chosen_trajectory_id", s),
            ("rejected_trajectory_id", s),
        ]
    )
    return finish(
        rows,
        schema,
        lambda r: _js([r["prompt"], r["initial_reason_steps"], r["chosen"], r["rejected"]]),
    )


def step_dpo_trl(data: BuildData, p: Prompts) -> Built:
    """Standard (string) form only: rendered prompt + initial_reason_steps, then the next step."""
    t = data.table("step_pairs").sort_by("step_pair_id").to_pylist()
    rows = []
    for r in t:
        j = p.of(r["rejected_trajectory_id"])
        prompt = p.rendered_or_fail(j, "step_dpo_trl") + r["initial_reason_steps"]
        rows.append(
            {
                "split": r["split"],
                "prompt": prompt,
                "chosen": r["chosen"],
                "rejected": r["rejected"],
                "problem_id": r["problem_id"],
                "step_pair_id": r["step_pair_id"],
                "error_step": r["error_step"],
            }
        )
    s = pa.string()
    schema = pa.schema(
        [
            ("prompt", s),
            ("chosen", s),
            ("rejected", s),
            ("problem_id", s),
            ("step_pair_id", s),
            ("error_step", pa.int32()),
        ]
    )
    return finish(rows, schema, lambda r: _js([r["prompt"], r["chosen"], r["rejected"]]))


def prm(data: BuildData) -> Built:
    """Stepwise rows from the log's own step ratings only (never the arithmetic checker):
    the steps before the first step rated wrong are labelled True, that step False, and the
    steps after it are dropped."""
    from mathpref.scoring.steps import split_steps

    t = data.table("trajectories")
    t = t.filter(
        pc.and_(pc.is_valid(t["source_error_step"]), pc.is_null(t["parent_trajectory_id"]))
    )
    t = t.select(["trajectory_id", "problem_id", "completion", "source_error_step"])
    t = t.sort_by("trajectory_id").to_pylist()
    probs, split = _problems(data), _split_of(data)
    rows, short = [], 0
    for r in t:
        steps, k = split_steps(r["completion"]), r["source_error_step"]
        if k >= len(steps):
            short += 1
            continue
        rows.append(
            {
                "split": split[r["problem_id"]],
                "prompt": probs[r["problem_id"]]["question"],
                "completions": steps[: k + 1],
                "labels": [True] * k + [False],
                "problem_id": r["problem_id"],
                "trajectory_id": r["trajectory_id"],
            }
        )
    schema = pa.schema(
        [
            ("prompt", pa.string()),
            ("completions", pa.list_(pa.string())),
            ("labels", pa.list_(pa.bool_())),
            ("problem_id", pa.string()),
            ("trajectory_id", pa.string()),
        ]
    )
    built = finish(rows, schema, lambda r: _js([r["prompt"], r["completions"], r["labels"]]))
    if short:
        built.notes.append(
            f"{short} rated trajectory(ies) with fewer steps than the rating: left out"
        )
    return built


def raw(data: BuildData, kinds: Iterable[str]) -> Built:
    """A build table as it is (its problems' split decides the file), for --include."""
    split = _split_of(data)
    tables = [data.table(k) for k in kinds]
    t = tables[0] if len(tables) == 1 else None
    if t is None:
        raise ReleaseError("raw configs take one table each")
    key = pa.array([split.get(x) for x in t["problem_id"].to_pylist()], pa.string())
    out = {}
    for s in SPLITS:
        part = t.filter(pc.equal(key, s))
        if part.num_rows:
            out[s] = part.replace_schema_metadata(None)
    return Built(out)
