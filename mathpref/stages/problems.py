"""Problems stage: read a problem source (JSONL, JSON, Parquet, dataset) with field mapping."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.errors import InputError, SpecError
from mathpref.ids import problem_id
from mathpref.sources.gold import GOLD_FORMATS, extract_gold
from mathpref.sources.paths import FieldTracker
from mathpref.sources.readers import FORMATS, get_field, read_records
from mathpref.sources.readers import quarantine_row as _q
from mathpref.stages.base import Stage, opt, register
from mathpref.stages.quarantine import check_fraction, check_quarantine, max_quarantine_option

# preset -> (question field, answer field, solution field, gold format)
PRESETS = {
    "gsm8k": ("question", "answer", "answer", "gsm8k"),
    "math": ("problem", "answer", "solution", "plain"),
    "qwen-math-samples": ("question", "answer", "solution", "plain"),
    "custom": (None, None, None, "auto"),
}


@dataclass
class ProblemsConfig:
    path: str = opt(
        None, "File or folder of problems, or a Hub dataset as hf://OWNER/NAME.", path=True
    )
    benchmark: str = opt(
        "",
        "Eval set: gsm8k | gsm8k-platinum | math500 (fixes the file, fields and source name, "
        "so every run of a benchmark shares problem ids).",
    )
    benchmark_source: str = opt(
        "local", "Where a benchmark is read: local (pinned copy) | hub (pinned revision)."
    )
    format: str = opt("auto", f"Input format: {', '.join(FORMATS)}.")
    preset: str = opt("custom", f"Field preset: {', '.join(PRESETS)}.")
    source: str = opt("", "Source name stored on each problem (default: preset-filestem).")
    question_field: str = opt("", "Field with the question text (dotted path allowed).")
    answer_field: str = opt("", "Field with the gold answer (or a solution to extract it from).")
    solution_field: str = opt("", "Field with the reference solution (optional).")
    gold_format: str = opt("", f"How to read the gold answer: {', '.join(GOLD_FORMATS)}.")
    metadata_fields: list = opt([], "Extra fields kept as JSON in `metadata`.")
    id_field: str = opt(
        "", "Field with the dataset's own problem id (kept as source_id; import match = 'id')."
    )
    hf_config: str = opt("", "Dataset config name, for format = hf.")
    split: str = opt("", "Dataset split, for format = hf (default train).")
    revision: str = opt("", "Dataset revision, for format = hf.")
    limit: int = opt(0, "Read only the first N problems (0 = all).")
    max_quarantine_fraction: float = max_quarantine_option()

    def __post_init__(self):
        if self.benchmark:
            from mathpref.evaluation.benchmarks import apply_benchmark

            apply_benchmark(self)
        if not self.path:
            raise ValueError("path is required")
        # Optional fields the spec names (not preset defaults): each must occur in some record.
        self._named_optional = {
            k: v
            for k, v in (("solution_field", self.solution_field), ("id_field", self.id_field))
            if v
        }
        for f in self.metadata_fields:
            if not isinstance(f, str) or not f:
                raise ValueError(f"metadata_fields must be field names, got {f!r}")
            self._named_optional[f"metadata_fields '{f}'"] = f
        check_fraction(self.max_quarantine_fraction)
        if self.preset not in PRESETS:
            raise ValueError(f"preset '{self.preset}' unknown; valid: {sorted(PRESETS)}")
        q, a, s, g = PRESETS[self.preset]
        self.question_field = self.question_field or q or "question"
        self.answer_field = self.answer_field or a or "answer"
        self.solution_field = self.solution_field or (s or "")
        self.gold_format = self.gold_format or g
        if self.gold_format not in GOLD_FORMATS:
            raise ValueError(f"gold_format '{self.gold_format}' unknown; valid: {GOLD_FORMATS}")
        if self.limit < 0:
            raise ValueError("limit must be >= 0")


@register
class ProblemsStage(Stage):
    kind = "problems"
    code_version = "problems-2"
    Config = ProblemsConfig
    outputs = {"problems": "problems", "quarantine": "quarantine"}
    empty_ok = frozenset({"quarantine"})

    def source_name(self) -> str:
        c = self.config
        return c.source or f"{c.preset}-{Path(c.path).stem}"

    def run_shard(self, ctx, shard, n_shards):
        c, source = self.config, self.source_name()
        if c.path.startswith(("hf://", "hub:")):  # a Hub dataset id
            path = c.path.split("://", 1)[-1].removeprefix("hub:")
        else:
            path = str(self.resolve(c.path))
        rows, bad, seen = [], [], {}

        def on_bad(no, field, reason, raw):  # bad bytes: quarantined with line and field
            bad.append(_q(self.name, path, no, field, reason, raw))

        tracker = FieldTracker(c._named_optional)
        for no, rec in read_records(
            path,
            c.format,
            config=c.hf_config or None,
            split=c.split or None,
            revision=c.revision or None,
            on_bad=on_bad,
        ):
            if c.limit and len(rows) >= c.limit:
                break
            tracker.record(rec)
            for option in tracker.fields:
                tracker.get(rec, option)
            try:
                question = get_field(rec, c.question_field)
            except KeyError:
                if not rows and not bad:
                    raise InputError(
                        f"field '{c.question_field}' missing",
                        path=path,
                        line=no,
                        hint=f"set question_field in stage '{self.name}'; "
                        f"fields here: {sorted(rec)}",
                    ) from None
                bad.append(_q(self.name, path, no, c.question_field, "question missing", rec))
                continue
            if not isinstance(question, str) or not question.strip():
                bad.append(_q(self.name, path, no, c.question_field, "empty question", rec))
                continue
            pid = problem_id(source, question)
            if pid in seen:
                bad.append(
                    _q(
                        self.name,
                        path,
                        no,
                        c.question_field,
                        f"duplicate question (first at line {seen[pid]})",
                        rec,
                    )
                )
                continue
            seen[pid] = no
            answer = _maybe(rec, c.answer_field)
            if answer is None and c.answer_field not in rec and not rows and not bad:
                raise SpecError(
                    f"{path}:{no}: field '{c.answer_field}' missing; set "
                    f"answer_field in stage '{self.name}'; fields: {sorted(rec)}"
                )
            gold = extract_gold(answer, c.gold_format)
            status = "ok" if gold else ("missing" if answer in (None, "") else "unparseable")
            solution = _maybe(rec, c.solution_field) if c.solution_field else None
            meta = {k: _maybe(rec, k) for k in c.metadata_fields}
            source_id = _maybe(rec, c.id_field) if c.id_field else None
            rows.append(
                {
                    "problem_id": pid,
                    "source": source,
                    "source_index": len(rows),
                    "question": question,
                    "gold_answer": gold,
                    "gold_status": status,
                    "gold_solution": None if solution is None else str(solution),
                    "metadata": json.dumps(meta, ensure_ascii=False, default=str) if meta else None,
                    "source_id": None if source_id is None else str(source_id),
                }
            )
        tracker.check(f"stage '{self.name}'", Path(path).name)
        check_quarantine(self.name, bad, len(rows), c.max_quarantine_fraction)
        return {
            "problems": pa.Table.from_pylist(rows) if rows else None,
            "quarantine": pa.Table.from_pylist(bad) if bad else None,
        }

    def finalize(self, ctx, tables):
        probs = tables["problems"]
        for status in ("unparseable", "missing"):
            n = probs.filter(pc.equal(probs["gold_status"], status)).num_rows
            if n:
                ctx.note(f"{n} problem(s) with {status} gold answer (gold_status = '{status}')")
        if tables["quarantine"].num_rows:
            ctx.note(f"{tables['quarantine'].num_rows} row(s) quarantined")
        return tables


def _maybe(rec, field):
    try:
        return get_field(rec, field)
    except KeyError:
        return None
