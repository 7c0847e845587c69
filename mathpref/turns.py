"""Prompt turns as stored in `trajectories.prompt_messages`: a JSON array of {role, content}.

Generated trajectories record the arm's turns (system prompt, then the rendered user message);
imported ones the log's own system prompt when it has one, then the prompt as the user turn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

ROLES = ("system", "user", "assistant")


def encode_turns(messages: Sequence[Sequence[str]]) -> str:
    """(role, content) pairs -> the stored JSON text (key order fixed, so fingerprints are)."""
    out = []
    for role, content in messages:
        if role not in ROLES:
            raise ValueError(f"unknown message role {role!r}; valid: {list(ROLES)}")
        out.append({"role": role, "content": content})
    return json.dumps(out, ensure_ascii=False)


def import_turns(prompt: str, system: str | None = None) -> str:
    return encode_turns(([("system", system)] if system else []) + [("user", prompt)])


def decode_turns(text: str | None) -> list[dict[str, str]] | None:
    """The stored JSON text -> a list of {"role", "content"} dicts (None stays None)."""
    if text is None:
        return None
    turns = json.loads(text)
    if not isinstance(turns, list) or not all(
        isinstance(t, dict) and t.get("role") in ROLES and isinstance(t.get("content"), str)
        for t in turns
    ):
        raise ValueError(f"prompt_messages is not a list of {{role, content}} turns: {text[:80]}")
    return [{"role": t["role"], "content": t["content"]} for t in turns]
