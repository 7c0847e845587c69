"""Field paths into log records: ``a.b.c``, list indexes ``messages[-1].content`` and one fan-out
``responses[*]`` (a list of completions becomes one sample each), plus the bookkeeping that makes
a misspelled optional field an error instead of silent nulls.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from mathpref.errors import SpecError

STAR = "*"
_PART = re.compile(r"([^.\[\]]+)|\[(-?\d+|\*)\]")


def parse_path(path: str) -> list[str | int]:
    """``messages[-1].content`` -> ["messages", -1, "content"]; ``responses[*]`` uses STAR."""
    return list(_parsed(path))


@lru_cache(maxsize=256)  # a reader looks the same few paths up in every record
def _parsed(path: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and parts:
            pos += 1
        m = _PART.match(path, pos)
        if m is None:
            raise SpecError(f"bad field path '{path}' at character {pos + 1}")
        if m.group(1) is not None:
            parts.append(m.group(1))
        else:
            parts.append(STAR if m.group(2) == STAR else int(m.group(2)))
        pos = m.end()
    if not parts or parts.count(STAR) > 1:
        raise SpecError(f"bad field path '{path}' (at most one [*] allowed)")
    return tuple(parts)


def fans_out(path: str) -> bool:
    return bool(path) and STAR in parse_path(path)


def _walk(cur: Any, parts: list, path: str) -> Any:
    for i, part in enumerate(parts):
        if part == STAR:
            if not isinstance(cur, list):
                raise KeyError(path)
            return [_walk(item, parts[i + 1 :], path) for item in cur]
        if isinstance(part, int):
            if not isinstance(cur, list) or not -len(cur) <= part < len(cur):
                raise KeyError(path)
        elif not isinstance(cur, dict) or part not in cur:
            raise KeyError(path)
        cur = cur[part]
    return cur


def get_path(rec: dict[str, Any], path: str) -> Any:
    """The value at `path`; a list for a path with ``[*]``. KeyError(path) when absent."""
    return _walk(rec, _parsed(path), path)


class FieldTracker:
    """Counts, per optional field path, the records that have it; `check` then fails for a path
    that no record had, naming the fields that exist."""

    def __init__(self, fields: dict[str, str]):
        self.fields = {opt: path for opt, path in fields.items() if path}
        self.hits = dict.fromkeys(self.fields, 0)
        self.seen: dict[str, None] = {}
        self.records = 0

    def record(self, rec: dict[str, Any]) -> None:
        self.records += 1
        if len(self.seen) < 200:
            self.seen.update(dict.fromkeys(rec))

    def get(self, rec: dict[str, Any], option: str) -> Any:
        """The value of option's path in `rec`, or None when absent."""
        path = self.fields.get(option)
        if not path:
            return None
        try:
            value = get_path(rec, path)
        except KeyError:
            return None
        self.hits[option] += 1
        return value

    def unused(self) -> list[tuple[str, str]]:
        return [(o, self.fields[o]) for o, n in self.hits.items() if n == 0]

    def check(self, where: str, source: str) -> None:
        if not self.records:
            return
        bad = self.unused()
        if bad:
            named = ", ".join(f"{o} = '{p}'" for o, p in bad)
            raise SpecError(
                f"{where}: {named}: no record of {source} has this field "
                f"({self.records} records read); fields that exist: {sorted(self.seen)}"
            )


def field_names(records: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for rec in records:
        seen.update(dict.fromkeys(rec))
    return sorted(seen)
