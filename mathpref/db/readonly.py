"""Read-only SQL for users (`mathpref sql`): statements are classified before any of them runs.

Refused: `COPY ... TO` and `EXPORT DATABASE` whose target, resolved like the OS resolves it
(relative to the working directory, `~` expanded, symlinks followed), lies inside the store;
a COPY whose target is not a quoted path; `COPY FROM DATABASE`; `ATTACH`; `INSTALL` / `LOAD`;
`SET` / `RESET` / `PRAGMA` of the settings that govern file access and extensions. The same checks
apply to the statement inside `EXPLAIN [ANALYZE]` and `PREPARE ... AS`. Then extension auto-loading
is switched off and the configuration locked (`lock_configuration`), so no later statement can
change a setting. DuckDB's allowed-directories setting is deliberately not used: it would grant
writes inside the store as well as the reads the views need.

A `COPY ... TO` anywhere outside the store works as usual.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from mathpref.errors import StoreError

ST = duckdb.StatementType
ACCESS_SETTINGS = {
    "enable_external_access",
    "allowed_directories",
    "allowed_paths",
    "lock_configuration",
    "autoload_known_extensions",
    "autoinstall_known_extensions",
    "allow_community_extensions",
    "allow_unsigned_extensions",
    "allow_unredacted_secrets",
    "extension_directory",
    "custom_extension_repository",
    "autoinstall_extension_repository",
    "temp_directory",
    "secret_directory",
    "home_directory",
    "profiling_output",
    "log_query_path",
    "enable_profiling",
    "profile_output",
    "enable_logging",
    "logging_storage",
}

_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/
    |(?P<str>[Ee]?'(?:[^']|'')*')
    |(?P<dollar>\$(?P<tag>[A-Za-z_]*)\$.*?\$(?P=tag)\$)
    |(?P<qid>"(?:[^"]|"")*")
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    |(?P<punct>.)""",
    re.S | re.X,
)


class ReadOnlyError(StoreError):
    """A `mathpref sql` statement would write into the store or change access settings."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup if m.lastgroup != "tag" else "dollar"
        if kind is None:
            continue  # whitespace or a comment
        out.append((kind, m.group(kind)))
    return out


def _literal(token: tuple[str, str]) -> str | None:
    kind, value = token
    if kind == "str":
        body = value[1:] if value[0] in "Ee" else value
        return body[1:-1].replace("''", "'")
    if kind == "dollar":
        return re.sub(r"^\$[A-Za-z_]*\$|\$[A-Za-z_]*\$$", "", value)
    return None


def _inside(target: str, root: Path) -> Path | None:
    """The resolved path if `target` lies inside `root`, else None."""
    if "://" in target and not target.startswith("file://"):
        return None  # a remote URL is never inside a local store
    path = os.path.expanduser(target.removeprefix("file://"))
    resolved = Path(os.path.realpath(os.path.join(os.getcwd(), path)))
    return resolved if resolved == root or root in resolved.parents else None


def _skip_source(toks: list[tuple[str, str]], i: int) -> int:
    """Index after a COPY source: `(query)` or `name[.name][(columns)]`."""
    depth = 0
    while i < len(toks):
        kind, value = toks[i]
        if value == "(":
            depth += 1
        elif value == ")":
            depth -= 1
        elif depth == 0 and kind == "word" and value.upper() in ("TO", "FROM"):
            return i
        i += 1
    return i


def _check_target(toks, i: int, verb: str, root: Path) -> None:
    target = _literal(toks[i]) if i < len(toks) else None
    if target is None:
        raise ReadOnlyError(
            f"{verb}: give the target as a quoted file path (mathpref sql checks it lies "
            "outside the store)"
        )
    hit = _inside(target, root)
    if hit is not None:
        raise ReadOnlyError(
            f"{verb} into the store is refused ({hit} is inside {root}); the store is "
            "read-only here, write somewhere else"
        )


def check_statement(text: str, kind, root: Path) -> None:
    """Raise ReadOnlyError if one statement could write into the store or loosen access."""
    toks = _tokens(text)
    words = [v.upper() for k, v in toks if k == "word"]
    if not words:
        return
    first = words[0]
    if first == "EXPLAIN" or first == "PREPARE":
        at = 1
        if first == "PREPARE":  # PREPARE name AS statement
            at = next((j + 1 for j, t in enumerate(toks) if t[1].upper() == "AS"), len(toks))
        elif len(toks) > 1 and toks[1][1].upper() == "ANALYZE":
            at = 2
        rest = text[_offset(text, toks, at) :]
        for inner in duckdb.extract_statements(rest) if rest.strip() else []:
            check_statement(inner.query, inner.type, root)
        return
    if kind == ST.ATTACH or first == "ATTACH":
        raise ReadOnlyError("ATTACH is refused in mathpref sql (the views are all there is)")
    extension = first in ("INSTALL", "LOAD", "FORCE") or words[:2] == ["UPDATE", "EXTENSIONS"]
    if kind in (ST.LOAD, ST.EXTENSION) or extension:
        raise ReadOnlyError(f"{first} of extensions is refused in mathpref sql")
    if kind == ST.COPY_DATABASE or (first == "COPY" and words[1:3] == ["FROM", "DATABASE"]):
        raise ReadOnlyError("COPY FROM DATABASE is refused in mathpref sql")
    if first == "COPY":
        i = _skip_source(toks, 1)
        if i < len(toks) and toks[i][1].upper() == "TO":
            _check_target(toks, i + 1, "COPY ... TO", root)
        return
    if kind == ST.EXPORT or first == "EXPORT":
        i = next((j for j, t in enumerate(toks) if _literal(t) is not None), len(toks))
        _check_target(toks, i, "EXPORT DATABASE", root)
        return
    if kind == ST.SET or first in ("SET", "RESET", "PRAGMA"):
        names = {w.lower() for w in words[1:3]}
        hit = sorted(names & ACCESS_SETTINGS)
        if hit:
            raise ReadOnlyError(f"{first} {hit[0]} is refused in mathpref sql (access setting)")


def _offset(text: str, toks, index: int) -> int:
    """Character offset of token `index` in `text` (tokens are in order)."""
    matches = [m for m in _TOKEN.finditer(text) if m.lastgroup is not None]
    return matches[index].start() if index < len(matches) else len(text)


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """No extension auto-install or auto-load, then no further setting changes at all."""
    for setting in ("autoinstall_known_extensions", "autoload_known_extensions"):
        con.execute(f"SET {setting} = false")
    con.execute("SET lock_configuration = true")


def readonly_query(con: duckdb.DuckDBPyConnection, sql: str, store_root: Path) -> pa.Table:
    """Check every statement of `sql`, lock the connection, run them; the last one's rows."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"SQL error: {str(exc).splitlines()[0]}") from None
    root = Path(os.path.realpath(store_root))
    for st in statements:
        check_statement(st.query, st.type, root)
    lock_down(con)
    result = pa.table({})
    try:
        for st in statements:
            rel = con.sql(st.query)
            result = rel.to_arrow_table() if rel is not None else pa.table({})
    except duckdb.Error as exc:
        raise StoreError(f"SQL error: {str(exc).splitlines()[0]}") from None
    return result
