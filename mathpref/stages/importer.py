"""Import stage: trajectories from existing generation logs, joined to the problems."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from mathpref.errors import InputError
from mathpref.ids import trajectory_id
from mathpref.sources.adapters import ADAPTERS, make_adapter
from mathpref.sources.echo import MODES as ECHO_MODES
from mathpref.sources.native import TABLE_ADAPTERS
from mathpref.sources.readers import FORMATS, read_records
from mathpref.sources.readers import quarantine_row as _q
from mathpref.sources.values import sample_problem
from mathpref.stages.base import Stage, opt, register
from mathpref.stages.import_match import ProblemMatcher, find_prompt_echo
from mathpref.stages.import_native import import_table
from mathpref.stages.quarantine import check_fraction, check_quarantine, max_quarantine_option
from mathpref.turns import encode_turns, import_turns


@dataclass
class ImportConfig:
    path: str = opt(None, "Generation log file (JSONL, JSON, Parquet).", path=True)
    format: str = opt("auto", f"Input format: {', '.join(FORMATS)}.")
    adapter: str = opt("generic", f"Log format: {', '.join([*ADAPTERS, *TABLE_ADAPTERS])}.")
    match: str = opt(
        "question",
        "Join to problems by 'question' text, by 'problem_id', or by 'id' (the problems' own "
        "dataset id, from their id_field); native: always problem_id.",
    )
    arms: list = opt([], "openai_gsm8k_solutions: model keys to import (default all four).")
    arm: str = opt("", "Arm name for adapters with one arm (qwen_math_samples, generic).")
    model_id: str = opt("", "Model id recorded on every trajectory (when the log has none).")
    question_field: str = opt("", "generic: field with the question text.")
    problem_id_field: str = opt(
        "", "generic: field with the problem id (match = problem_id) or dataset id (match = id)."
    )
    prompt_field: str = opt("", "generic: field with the prompt (default: the question).")
    completion_field: str = opt(
        "completion", "generic: field with the completion ('responses[*]': one sample each)."
    )
    messages_field: str = opt(
        "",
        "generic: chat log field (list of {role, content}); the last assistant message is "
        "the completion, the ones before it the prompt.",
    )
    arm_field: str = opt("", "generic: field naming the arm.")
    sample_index_field: str = opt("", "generic: field with the sample index (default: order).")
    label_field: str = opt("", "generic: field with the log's own correctness label.")
    model_field: str = opt("", "generic: field with the model id.")
    finish_reason_field: str = opt("", "generic: field with the finish reason.")
    prompt_echo: str = opt(
        "auto",
        "Completions that begin by repeating their prompt: 'auto' grades the text after a "
        "detected echo, 'strip' expects one (rows without are quarantined), 'keep' never cuts.",
    )
    max_quarantine_fraction: float = max_quarantine_option()

    def __post_init__(self):
        if not self.path:
            raise ValueError("path is required")
        if self.adapter not in ADAPTERS and self.adapter not in TABLE_ADAPTERS:
            valid = sorted([*ADAPTERS, *TABLE_ADAPTERS])
            raise ValueError(f"adapter '{self.adapter}' unknown; valid: {valid}")
        if self.match not in MATCHES:
            raise ValueError(f"match must be one of {list(MATCHES)}, not '{self.match}'")
        if self.adapter == "generic" and not (
            self.question_field or self.problem_id_field or self.messages_field
        ):
            raise ValueError(
                "generic adapter needs question_field, problem_id_field or messages_field"
            )
        if self.prompt_echo not in ECHO_MODES:
            raise ValueError(f"prompt_echo must be one of {list(ECHO_MODES)}")
        check_fraction(self.max_quarantine_fraction)


MATCHES = ("question", "problem_id", "id")


@register
class ImportStage(Stage):
    kind = "import"
    code_version = "import-4"  # 2-3: prompt_messages, echo columns, prm800k answer labels
    Config = ImportConfig
    inputs = {"problems": True}
    outputs = {"trajectories": "trajectories", "quarantine": "quarantine"}
    empty_ok = frozenset({"quarantine"})

    def run_shard(self, ctx, shard, n_shards):
        c = self.config
        path = str(self.resolve(c.path))
        if c.adapter in TABLE_ADAPTERS:
            table = TABLE_ADAPTERS[c.adapter](path, c.format)
            out = import_table(table, ctx.input("problems")["problem_id"], self.name, path)
            kept = out["trajectories"].num_rows if out["trajectories"] is not None else 0
            bad = out["quarantine"].to_pylist() if out["quarantine"] is not None else []
            check_quarantine(self.name, bad, kept, c.max_quarantine_fraction)
            return out
        problems = ctx.input("problems")
        match = ProblemMatcher(problems, c.match)
        adapter = make_adapter(c.adapter, c)
        rows, bad = [], []
        counters: dict[tuple, int] = defaultdict(int)
        seen: dict[str, int] = {}

        def on_bad(no, field, reason, raw):  # bad bytes: quarantined with line and field
            bad.append(_q(self.name, path, no, field, reason, raw))

        for no, rec in read_records(path, c.format, on_bad=on_bad):

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
                reject(str(exc), exc.field)
                continue
            keyed: dict[str, str] = {}
            for s in samples:
                wrong = sample_problem(s, _fields(c))
                if wrong is not None:
                    reject(wrong[1], wrong[0])
                    continue
                pid, question = match(s)
                if pid is None:
                    reject(f"problem not among the problems input (matched by {c.match})")
                    continue
                if not isinstance(s.completion, str):
                    reject("completion is not a string")
                    continue
                echo = find_prompt_echo(s, question, c.prompt_echo)
                if echo is None:
                    reject("prompt_echo = 'strip': the completion does not begin with its prompt")
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
                rows.append(_row(tid, pid, s, index, f"{Path(path).name}:{no}", parent, echo))
        finish = getattr(adapter, "finish", None)
        if finish is not None:
            finish(f"stage '{self.name}'", Path(path).name)
        check_quarantine(self.name, bad, len(rows), c.max_quarantine_fraction)
        return {
            "trajectories": pa.Table.from_pylist(rows) if rows else None,
            "quarantine": pa.Table.from_pylist(bad) if bad else None,
        }

    def finalize(self, ctx, tables):
        q = tables["quarantine"]
        if q.num_rows:
            ctx.note(f"{q.num_rows} log row(s) quarantined (see the quarantine view)")
        t = tables["trajectories"]
        if t.num_rows and self.config.prompt_echo != "keep":
            rules = [r for r in t["prompt_echo_rule"].to_pylist() if r != "none"]
            if rules:
                ctx.note(
                    f"{len(rules)} of {t.num_rows} completion(s) begin by echoing their prompt; "
                    "verdicts read the text after the echo (prompt_echo_rule, prompt_echo_end)"
                )
        return tables


def _row(tid, pid, s, index, ref, parent=None, echo=None):
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
        "prompt_messages": (
            encode_turns(s.messages) if s.messages else import_turns(s.prompt, s.system)
        ),
        "completion": s.completion,
        "prompt_tokens": None,
        "completion_tokens": None,
        "finish_reason": s.finish_reason,
        "parent_trajectory_id": parent,
        "prefix": s.prefix,
        "source_ref": ref,
        "source_label": s.label,
        "source_error_step": s.error_step,
        "prompt_echo_rule": echo.rule if echo is not None else None,
        "prompt_echo_end": echo.end if echo is not None else None,
        "latency_s": None,
    }


def _fields(c) -> dict[str, str]:
    """Imported-sample attributes -> the generic adapter's source field names (for messages)."""
    if c.adapter != "generic":
        return {}
    return {
        "question": c.question_field,
        "problem_key": c.problem_id_field,
        "prompt": c.prompt_field or c.question_field,
        "completion": c.completion_field,
        "arm": c.arm_field,
        "sample_index": c.sample_index_field,
        "label": c.label_field,
        "model_id": c.model_field,
        "finish_reason": c.finish_reason_field,
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
