"""A deterministic backend that looks completions up in a JSONL file (tests and demos).

File format: one JSON object per line (blank lines and lines starting with `#` are skipped)::

    {"problem_id": "gsm8k-0001", "arm": "precise-t0.2", "sample_index": 0,
     "completion": "48 / 2 = 24. 48 + 24 = 72. The answer is 72."}
    {"question": "What is 2 + 3?", "completion": "2 + 3 = 5. The answer is 5."}
    {"parent_trajectory_id": "t-42", "prefix": "First, 48 / 2 = 24.", "sample_index": 1,
     "completion": " Then 48 + 24 = 72. The answer is 72."}

Keys:
- `completion` (required): the text returned (for a continuation: the text after the prefix).
- Who it answers, one of: `problem_id`, `question` (the problem text; whitespace-insensitive,
  for hand-written demo files), or for continuations `parent_trajectory_id`.
- `arm`, `sample_index` (optional): omitted means "any arm" / "any sample".
- `prefix`: present exactly for continuation lines; must equal the request's prefix.
- `finish_reason` ("stop" | "length" | "error", default "stop"), `prompt_tokens`,
  `completion_tokens` (optional; the default counts are whitespace-separated words).

A request is matched by, in order: parent_trajectory_id (continuations only), problem_id, then
question; for each, the exact arm before any arm and the exact sample index before any sample.
The request's stop strings are applied to the completion. No match raises `BackendError` naming
the request key and the file. Two lines with the same key are an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mathpref.errors import BackendError
from mathpref.generation.backends.base import Backend, truncate_at_stop
from mathpref.generation.requests import FINISH_REASONS, GenerationRequest, GenerationResult

_KNOWN = {
    "problem_id",
    "question",
    "parent_trajectory_id",
    "arm",
    "sample_index",
    "prefix",
    "completion",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
}

Key = tuple[str, str, str | None, str | None, int | None]


def _norm(question: str) -> str:
    return " ".join(question.split())


class ScriptedBackend(Backend):
    name = "scripted"

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        records: list[dict] | None = None,
        model: str = "scripted",
        revision: str | None = None,
        tokenizer: Any = None,
    ):
        if (path is None) == (records is None):
            raise ValueError("give exactly one of `path` (a JSONL file) or `records`")
        self.model_id, self.model_revision = model, revision
        if isinstance(tokenizer, str):
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(tokenizer)
        self.tokenizer = tokenizer
        self.source = str(path) if path is not None else "<records>"
        if path is not None:
            records = list(self._read(Path(path)))
        else:
            records = [(i + 1, r) for i, r in enumerate(records or [])]
        self.index: dict[Key, tuple[int, dict]] = {}
        for line, rec in records:
            self._add(line, rec)

    def _read(self, path: Path) -> Iterator[tuple[int, dict]]:
        if not path.is_file():
            raise BackendError(f"scripted backend: file not found: {path}")
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BackendError(f"{path}:{n}: invalid JSON: {exc}") from None
                yield n, rec

    def _add(self, line: int, rec: Any) -> None:
        where = f"{self.source}:{line}"
        if not isinstance(rec, dict):
            raise BackendError(f"{where}: each line must be a JSON object")
        unknown = sorted(set(rec) - _KNOWN)
        if unknown:
            raise BackendError(f"{where}: unknown key(s) {unknown}; valid: {sorted(_KNOWN)}")
        if not isinstance(rec.get("completion"), str):
            raise BackendError(f"{where}: 'completion' (a string) is required")
        if rec.get("finish_reason", "stop") not in FINISH_REASONS:
            raise BackendError(f"{where}: finish_reason must be one of {FINISH_REASONS}")
        for kind in ("parent_trajectory_id", "problem_id", "question"):
            if rec.get(kind) is not None:
                ident = _norm(rec[kind]) if kind == "question" else str(rec[kind])
                break
        else:
            raise BackendError(
                f"{where}: one of 'problem_id', 'question' or 'parent_trajectory_id' is required"
            )
        if kind == "parent_trajectory_id" and rec.get("prefix") is None:
            raise BackendError(f"{where}: a 'parent_trajectory_id' line needs 'prefix'")
        k = rec.get("sample_index")
        key: Key = (kind, ident, rec.get("arm"), rec.get("prefix"), None if k is None else int(k))
        if key in self.index:
            raise BackendError(f"{where}: duplicate key (same as line {self.index[key][0]})")
        self.index[key] = (line, rec)

    def lookup(self, req: GenerationRequest) -> dict:
        idents = [("problem_id", req.problem_id), ("question", _norm(req.question))]
        if req.parent_trajectory_id is not None:
            idents.insert(0, ("parent_trajectory_id", req.parent_trajectory_id))
        for kind, ident in idents:
            for arm in (req.arm, None):
                for k in (req.sample_index, None):
                    hit = self.index.get((kind, ident, arm, req.prefix, k))
                    if hit is not None:
                        return hit[1]
        what = f"problem_id={req.problem_id!r} arm={req.arm!r} sample_index={req.sample_index}"
        if req.is_continuation:
            what = (
                f"parent_trajectory_id={req.parent_trajectory_id!r} {what} "
                f"prefix={req.prefix[:60]!r}"
            )
        raise BackendError(
            f"scripted backend: no completion for {what} "
            f"(question {req.question[:60]!r}) in {self.source}"
        )

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for req in requests:
            rec = self.lookup(req)
            text, hit = truncate_at_stop(rec["completion"], req.stop)
            reason = "stop" if hit else rec.get("finish_reason", "stop")
            yield GenerationResult(
                request_id=req.request_id,
                completion=text,
                prompt_tokens=rec.get(
                    "prompt_tokens", sum(len(c.split()) for _, c in req.messages)
                ),
                completion_tokens=rec.get("completion_tokens", len(text.split())),
                finish_reason=reason,
                latency_s=0.0,
                rendered_prompt=self.render_prompt(req),
            )
