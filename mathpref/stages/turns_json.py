"""`trajectories.prompt_messages`: the prompt turns as a JSON array of {role, content} (the same
column and format as issue 8's `mathpref.turns`; one of the two helpers goes when they merge)."""

from __future__ import annotations

import json
from collections.abc import Sequence


def encode(messages: Sequence[Sequence[str]]) -> str:
    """(role, content) pairs -> the stored JSON text (fixed key order: stable fingerprints)."""
    return json.dumps([{"role": r, "content": c} for r, c in messages], ensure_ascii=False)


def for_import(prompt: str, system: str | None = None) -> str:
    """An imported row's turns: the log's system prompt when it has one, then the prompt."""
    return encode(([("system", system)] if system else []) + [("user", prompt)])


def decode(text: str | None) -> tuple[tuple[str, str], ...] | None:
    """The stored JSON text -> (role, content) pairs; None stays None."""
    if not text:
        return None
    turns = json.loads(text)
    return tuple(
        (str(t["role"]), str(t["content"])) if isinstance(t, dict) else (str(t[0]), str(t[1]))
        for t in turns
    )
