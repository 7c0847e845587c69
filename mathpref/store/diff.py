"""Compare two dataset versions: manifest fields and rows by key."""

from __future__ import annotations

import pyarrow.compute as pc

from mathpref.errors import StoreError
from mathpref.schemas import get_schema
from mathpref.store.store import Store

_FIELDS = (
    "kind",
    "schema_version",
    "rows",
    "fingerprint",
    "code_version",
    "stage",
    "stage_version_id",
)


def diff_datasets(store: Store, a: str, b: str) -> list[str]:
    ma, mb = store.manifest(a), store.manifest(b)
    lines = [f"{a} vs {b}"]
    for f in _FIELDS:
        if ma.get(f) != mb.get(f):
            lines.append(f"  {f}: {ma.get(f)!r} -> {mb.get(f)!r}")
    ca, cb = ma.get("config", {}), mb.get("config", {})
    for key in sorted(set(ca) | set(cb)):
        if ca.get(key) != cb.get(key):
            lines.append(f"  config.{key}: {ca.get(key)!r} -> {cb.get(key)!r}")
    if ma["kind"] != mb["kind"]:
        raise StoreError(f"cannot diff rows of different kinds ({ma['kind']} vs {mb['kind']})")
    schema = get_schema(ma["kind"])
    if ma["fingerprint"] == mb["fingerprint"]:
        lines.append("  rows: identical content")
        return lines
    key = list(schema.key)
    ta, tb = store.read(a), store.read(b)
    ka = ta.select(key).join(tb.select(key), key, join_type="left anti")
    kb = tb.select(key).join(ta.select(key), key, join_type="left anti")
    lines.append(f"  rows only in {a}: {ka.num_rows}; only in {b}: {kb.num_rows}")
    both = ta.join(tb, key, join_type="inner", right_suffix="__b")
    changed = {}
    for name in schema.names:
        if name in key or name in schema.volatile or f"{name}__b" not in both.column_names:
            continue
        x, y = both[name], both[f"{name}__b"]
        if x.type != y.type or pa_nested(x.type):
            continue
        neq = pc.sum(pc.invert(pc.fill_null(pc.equal(x, y), False))).as_py() or 0
        both_null = pc.sum(pc.and_(pc.is_null(x), pc.is_null(y))).as_py() or 0
        if neq - both_null:
            changed[name] = neq - both_null
    for name, n in changed.items():
        lines.append(f"  column {name}: {n} row(s) differ")
    return lines


def pa_nested(t) -> bool:
    import pyarrow as pa

    return pa.types.is_nested(t)
