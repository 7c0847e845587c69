"""The dpo, kto and sft configs (see `configs` for the shared parts)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.release.configs import MESSAGES, Built, _js, _split_of, _status, finish
from mathpref.release.prompts import Prompts, assistant
from mathpref.release.source import BuildData


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
