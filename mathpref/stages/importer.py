"""Import stage: trajectories from existing generation logs, joined to the problems."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from mathpref.errors import InputError
from mathpref.ids import trajectory_id
from mathpref.sources.adapters import ADAPTERS
from mathpref.sources.native import TABLE_ADAPTERS
from mathpref.sources.readers import FORMATS, read_records
from mathpref.sources.readers import quarantine_row as _q
from mathpref.stages.base import Stage, opt, register
from mathpref.stages.import_native import import_table
from mathpref.turns import import_turns


@dataclass
class ImportConfig:
    path: str = opt(None, "Generation log file (JSONL, JSON, Parquet).", path=True)
    format: str = opt("auto", f"Input format: {', '.join(FORMATS)}.")
    adapter: str = opt("generic", f"Log format: {', '.join([*ADAPTERS, *TABLE_ADAPTERS])}.")
    match: str = opt(
        "question",
        "Join to problems by 'question' text or by 'problem_id' (native: always problem_id).",
    )
    arms: list = opt([], "openai_gsm8k_solutions: model keys to import (default all four).")
    arm: str = opt("", "Arm name for adapters with one arm (qwen_math_samples, generic).")
    model_id: str = opt("", "Model id recorded on every trajectory (when the log has none).")
    question_field: str = opt("", "generic: field with the question text.")
    problem_id_field: str = opt("", "generic: field with the problem id (match = problem_id).")
    prompt_field: str = opt("", "generic: field with the prompt (default: the question).")
    completion_field: str = opt("completion", "generic: field with the completion text.")
    arm_field: str = opt("", "generic: field naming the arm.")
    sample_index_field: str = opt("", "generic: field with the sample index (default: order).")
    label_field: str = opt("", "generic: field with the log's own correctness label.")
    model_field: str = opt("", "generic: field with the model id.")
    finish_reason_field: str = opt("", "generic: field with the finish reason.")

    def __post_init__(self):
        if not self.path:
            raise ValueError("path is required")
        if self.adapter not in ADAPTERS and self.adapter not in TABLE_ADAPTERS:
            valid = sorted([*ADAPTERS, *TABLE_ADAPTERS])
            raise ValueError(f"adapter '{self.adapter}' unknown; valid: {valid}")
        if self.match not in ("question", "problem_id"):
            raise ValueError("match must be 'question' or 'problem_id'")
        if self.adapter == "generic" and not (self.question_field or self.problem_id_field):
            raise ValueError("generic adapter needs question_field or problem_id_field")


@register
class ImportStage(Stage):
    kind = "import"
    code_version = "import-2"  # 2: prompt_messages
    Config = ImportConfig
    inputs = {"problems": True}
    outputs = {"trajectories": "trajectories", "quarantine": "quarantine"}

    def run_shard(self, ctx, shard, n_shards):
        c = self.config
        path = str(self.resolve(c.path))
        if c.adapter in TABLE_ADAPTERS:
            table = TABLE_ADAPTERS[c.adapter](path, c.format)
            return import_table(table, ctx.input("problems")["problem_id"], self.name, path)
        problems = ctx.input("problems")
        by_question = dict(
            zip(
                (q.strip() for q in problems["question"].to_pylist()),
                problems["problem_id"].to_pylist(),
                strict=True,
            )
        )
        known_ids = set(problems["problem_id"].to_pylist())
        adapter = ADAPTERS[c.adapter]
        rows, bad = [], []
        counters: dict[tuple, int] = defaultdict(int)
        seen: dict[str, int] = {}
        for no, rec in read_records(path, c.format):

            def reject(reason: str, field: str | None = None, no=no, rec=rec) -> None:
                bad.append(_q(self.name, path, no, field, reason, rec))

            try:
                samples = list(adapter(rec, c))
            except KeyError as exc:
                field = str(exc.args[0])
                if not rows and not bad:
                    raise InputError(
                        f"field '{field}' missing",
                        path=path,
                        line=no,
                        hint=_hint(c.adapter, field, self.name, rec),
                    ) from None
                reject(f"field '{field}' missing", field)
                continue
            except InputError as exc:
                reject(str(exc))
                continue
            keyed: dict[str, str] = {}
            for s in samples:
                if s.problem_key is not None and c.match == "problem_id":
                    pid = s.problem_key if s.problem_key in known_ids else None
                else:
                    pid = by_question.get((s.question or "").strip())
                if pid is None:
                    reject(f"problem not among the problems input (matched by {c.match})")
                    continue
                if not isinstance(s.completion, str):
                    reject("completion is not a string")
                    continue
                index = s.sample_index
                if index is None:
                    index = counters[(pid, s.arm)]
                    counters[(pid, s.arm)] += 1
                parent = None
                if s.parent_key is not None:
                    parent = keyed.get(s.parent_key)
                    if parent is None:
                        reject(f"continuation of unknown sample '{s.parent_key}'")
                        continue
                tid = trajectory_id(pid, s.arm, index, s.model_id, parent, s.prefix)
                if tid in seen:
                    reject(f"duplicate (problem, arm, sample) of line {seen[tid]}")
                    continue
                seen[tid] = no
                if s.key is not None:
                    keyed[s.key] = tid
                rows.append(_row(tid, pid, s, index, f"{Path(path).name}:{no}", parent))
        return {
            "trajectories": pa.Table.from_pylist(rows) if rows else None,
            "quarantine": pa.Table.from_pylist(bad) if bad else None,
        }

    def finalize(self, ctx, tables):
        q = tables["quarantine"]
        if q.num_rows:
            ctx.note(f"{q.num_rows} log row(s) quarantined (see the quarantine view)")
        return tables


def _row(tid, pid, s, index, ref, parent=None):
    return {
        "trajectory_id": tid,
        "problem_id": pid,
        "arm": s.arm,
        "arm_family": "imported",
        "probe": None,
        "sample_index": index,
        "model_id": s.model_id,
        "model_revision": None,
        "backend": "import",
        "seed": None,
        "temperature": None,
        "top_p": None,
        "max_new_tokens": None,
        "sampling_params": json.dumps(s.sampling_params) if s.sampling_params else None,
        "prompt": s.prompt,
        "prompt_messages": import_turns(s.prompt, s.system),
        "completion": s.completion,
        "prompt_tokens": None,
        "completion_tokens": None,
        "finish_reason": s.finish_reason,
        "parent_trajectory_id": parent,
        "prefix": s.prefix,
        "source_ref": ref,
        "source_label": s.label,
        "source_error_step": s.error_step,
        "latency_s": None,
    }


def _hint(adapter: str, field: str, stage: str, rec: dict) -> str:
    if adapter == "generic":
        return (
            f"set the matching *_field option (e.g. completion_field) in stage '{stage}'; "
            f"fields here: {sorted(rec)}"
        )
    return (
        f"this log does not look like the '{adapter}' format (fields here: {sorted(rec)}); "
        f"set adapter = 'generic' with field mapping in stage '{stage}'"
    )
