"""The `generic` import adapter: any prompt/completion log, mapped field by field.

Field paths may index lists and fan out (see :mod:`.paths`): ``completion_field =
"responses[*]"`` makes one sample per element (best-of-N logs), and an optional field with
``[*]`` (``label_field = "scores[*]"``) gives each of them its own value. With
``messages_field`` (a chat log: a list of ``{role, content}``), the last assistant message is
the completion, the messages before it the prompt (rendered in the plain chat format) and,
unless ``question_field`` is set, the last user message the question.

An optional field that no record has is an error naming the fields that exist (`finish`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mathpref.errors import InputError
from mathpref.sources.adapters import ImportedSample
from mathpref.sources.paths import FieldTracker, fans_out, get_path
from mathpref.sources.values import as_index, as_name

OPTIONAL = (
    "prompt_field",
    "arm_field",
    "sample_index_field",
    "label_field",
    "model_field",
    "finish_reason_field",
)


def as_bool(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "correct", "+"):
        return True
    if text in ("false", "0", "no", "incorrect", "-"):
        return False
    raise InputError(f"label value {json.dumps(value)} is not a boolean")


def chat_parts(messages: Any) -> tuple[str, str, str | None, list[tuple[str, str]]]:
    """(completion, rendered prompt, last user message, prompt messages) of a chat log."""
    from mathpref.generation.backends.base import render_plain

    if not isinstance(messages, list) or not messages:
        raise InputError("messages is not a non-empty list")
    pairs = []
    for m in messages:
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            raise InputError("a message lacks 'role' or 'content'")
        pairs.append(
            (str(m["role"]), m["content"] if isinstance(m["content"], str) else str(m["content"]))
        )
    if pairs[-1][0] != "assistant":
        raise InputError(f"the last message is from '{pairs[-1][0]}', not the assistant")
    prompt = pairs[:-1]
    users = [c for r, c in prompt if r == "user" and isinstance(c, str)]
    rendered = render_plain([(r, str(c)) for r, c in prompt]) if prompt else ""
    return messages[-1]["content"], rendered, users[-1] if users else None, prompt


class GenericAdapter:
    def __init__(self, cfg):
        self.cfg = cfg
        self.tracker = FieldTracker({o: getattr(cfg, o) for o in OPTIONAL})
        self.fan = {o: fans_out(getattr(cfg, o)) for o in OPTIONAL}

    def __call__(self, rec: dict, cfg=None) -> Iterator[ImportedSample]:
        c, t = self.cfg, self.tracker
        t.record(rec)
        messages = None
        if c.messages_field:
            completion, chat_prompt, user, messages = chat_parts(get_path(rec, c.messages_field))
            completions = [completion]
        else:
            value = get_path(rec, c.completion_field)
            completions = value if fans_out(c.completion_field) else [value]
            chat_prompt = user = None
        question = get_path(rec, c.question_field) if c.question_field else user
        key = get_path(rec, c.problem_id_field) if c.problem_id_field else None
        values = {o: t.get(rec, o) for o in OPTIONAL}
        for o, fan in self.fan.items():
            v = values[o]
            if fan and v is not None and len(v) != len(completions):
                raise InputError(
                    f"{o} '{getattr(c, o)}' has {len(v)} values for {len(completions)} completions"
                )
        for i, completion in enumerate(completions):
            v = {
                o: (values[o][i] if self.fan[o] and values[o] is not None else values[o])
                for o in OPTIONAL
            }
            index = v["sample_index_field"]
            if index is None and len(completions) > 1:
                index = i
            prompt = v["prompt_field"] if v["prompt_field"] is not None else chat_prompt
            yield ImportedSample(
                question=question,
                problem_key=None if key is None else as_name(key, c.problem_id_field, "problem id"),
                arm=(
                    as_name(v["arm_field"], c.arm_field)
                    if v["arm_field"] is not None
                    else (c.arm or "imported")
                ),
                sample_index=as_index(index, c.sample_index_field),
                prompt=prompt if prompt is not None else (question or ""),
                completion=completion,
                model_id=v["model_field"] or c.model_id or None,
                label=as_bool(v["label_field"]),
                finish_reason=v["finish_reason_field"],
                messages=messages,
            )

    def finish(self, where: str, source: str) -> None:
        self.tracker.check(where, source)
