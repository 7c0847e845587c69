"""`${VAR}` expansion in spec values: `${A}`, `${A:-default}` (the default may itself hold
`${B}` or `${B:-...}`), and `$$` for a literal `$`. A `$` before anything else stays as it is
(`$18` in a prompt). Anything else that starts with `${` is an error, never passed through."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from mathpref.errors import SpecError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def expand_vars(text: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    out, i = [], 0
    while i < len(text):
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        nxt = text[j + 1 : j + 2]
        if nxt == "$":
            out.append("$")
            i = j + 2
        elif nxt == "{":
            value, i = _braced(text, j, env)
            out.append(value)
        else:
            out.append("$")
            i = j + 1
    return "".join(out)


def _braced(text: str, start: int, env: Mapping[str, str]) -> tuple[str, int]:
    """Expand the `${...}` at `start`; returns (value, index after its closing brace)."""
    shown = text[start : start + 40]
    m = _NAME.match(text, start + 2)
    if m is None:
        raise SpecError(
            f"bad variable reference {shown!r}: write ${{NAME}} or ${{NAME:-default}} "
            "(and $$ for a literal $)"
        )
    name, j = m.group(), m.end()
    if text.startswith("}", j):
        value = env.get(name)
        if value is None:
            raise SpecError(
                f"environment variable {name} is not set (write ${{{name}:-default}} to give a "
                "default)"
            )
        return value, j + 1
    if not text.startswith(":-", j):
        raise SpecError(
            f"unsupported variable reference {shown!r}: only ${{NAME}} and ${{NAME:-default}} "
            "are expanded (write $$ for a literal $)"
        )
    k, depth = j + 2, 0
    while k < len(text):
        if text.startswith("$$", k):
            k += 2
            continue
        if text.startswith("${", k):
            depth, k = depth + 1, k + 2
            continue
        if text[k] == "}":
            if depth == 0:
                break
            depth -= 1
        k += 1
    else:
        raise SpecError(f"unterminated variable reference {shown!r} (no closing '}}')")
    value = env.get(name)
    return (expand_vars(text[j + 2 : k], env) if value is None else value), k + 1
