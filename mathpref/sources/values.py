"""Checks of single input values, so a bad one is quarantined with its field instead of
crashing a stage or being coerced silently (`int(1.7)` is 1, `str({...})` is a fine arm name).

- `find_bad_text(record)`: the dotted path of the first string holding a lone surrogate (a JSON
  `\\udc80` escape, or a byte that was not UTF-8), or None.
- `as_index(value, field)`: a sample index: a non-negative int, or a float with an integral value;
  never a bool, a string, NaN or 1.7.
- `as_name(value, field, what)`: a name such as an arm: a string (an int is written as digits).
- `sample_problem(sample, fields)`: (field, reason) for the first mistyped field of an imported
  sample, or None.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mathpref.errors import InputError

_SURROGATE = re.compile("[\ud800-\udfff]")


def find_bad_text(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return (path or "(record)") if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            sub = f"{path}.{key}" if path else key
            if _SURROGATE.search(key):
                return sub
            hit = find_bad_text(v, sub)
            if hit:
                return hit
    elif isinstance(value, list):
        for i, v in enumerate(value):
            hit = find_bad_text(v, f"{path}[{i}]")
            if hit:
                return hit
    return None


def _shown(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:80]
    except (TypeError, ValueError):
        return repr(value)[:80]


def as_index(value: Any, field: str | None) -> int | None:
    if value is None:
        return None
    bad = None
    if isinstance(value, bool):
        bad = "a boolean"
    elif isinstance(value, int):
        bad = "negative" if value < 0 else None
    elif isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and value >= 0:
            return int(value)
        bad = "not a whole number"
    else:
        bad = f"a {type(value).__name__}"
    if bad:
        raise InputError(
            f"sample index {_shown(value)} is {bad}, not a non-negative integer", field=field
        )
    return value


def as_name(value: Any, field: str | None, what: str = "arm") -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(
        f"{what} {_shown(value)} is a {type(value).__name__}, not a string", field=field
    )


_TYPES = {
    "question": (str, type(None)),
    "problem_key": (str, type(None)),
    "arm": (str,),
    "prompt": (str,),
    "model_id": (str, type(None)),
    "finish_reason": (str, type(None)),
    "prefix": (str, type(None)),
    "label": (bool, type(None)),
}


def sample_problem(sample, fields: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(field, reason) for the first field of an ImportedSample with the wrong type."""
    fields = fields or {}
    for attr, types in _TYPES.items():
        value = getattr(sample, attr)
        if not isinstance(value, types):
            name = fields.get(attr) or attr
            return name, f"{attr} {_shown(value)} is a {type(value).__name__}, not a string" if (
                str in types
            ) else f"{attr} {_shown(value)} is a {type(value).__name__}"
    for attr in ("sample_index", "error_step"):
        value = getattr(sample, attr)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return fields.get(attr) or attr, f"{attr} {_shown(value)} is not an integer"
    hit = find_bad_text([sample.question, sample.prompt, sample.completion, sample.prefix])
    if hit:
        which = ["question", "prompt", "completion", "prefix"][int(hit[1 : hit.index("]")])]
        return fields.get(which) or which, f"{which} holds invalid Unicode (a lone surrogate)"
    return None
