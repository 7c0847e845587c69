"""Dataset-kind schemas: `schemas/<kind>.json` is the single source of truth.

Each file declares the kind, a schema version, the key columns (rows are stored sorted by them and,
when `unique_key` is true, must be unique), and per field: name, type, nullability, a one-line
description and whether it is volatile (timings, timestamps: left out of fingerprints).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.errors import SchemaError
from mathpref.resources import resource_dir

_SCALARS = {
    "string": pa.string(),
    "int64": pa.int64(),
    "int32": pa.int32(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def parse_type(text: str) -> pa.DataType:
    """Parse a schema type name: a scalar name or `list<...>`."""
    text = text.strip()
    if text.startswith("list<") and text.endswith(">"):
        return pa.list_(parse_type(text[5:-1]))
    try:
        return _SCALARS[text]
    except KeyError:
        raise SchemaError(
            f"unknown schema type '{text}'; valid: {sorted(_SCALARS)} or list<T>"
        ) from None


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    nullable: bool
    description: str
    volatile: bool = False


@dataclass(frozen=True)
class DatasetSchema:
    kind: str
    version: int
    description: str
    key: tuple[str, ...]
    unique_key: bool
    fields: tuple[FieldSpec, ...]

    @property
    def arrow(self) -> pa.Schema:
        return pa.schema(
            [pa.field(f.name, parse_type(f.type), nullable=f.nullable) for f in self.fields],
            metadata={"mathpref.kind": self.kind, "mathpref.schema_version": str(self.version)},
        )

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def volatile(self) -> list[str]:
        return [f.name for f in self.fields if f.volatile]

    def conform(self, table: pa.Table, *, what: str = "") -> pa.Table:
        """Return `table` with exactly this schema's columns, order and types, or raise."""
        label = what or self.kind
        missing = [n for n in self.names if n not in table.column_names]
        extra = [n for n in table.column_names if n not in self.names]
        if missing or extra:
            raise SchemaError(
                f"{label}: columns do not match schema '{self.kind}' v{self.version}: "
                f"missing {missing}, unexpected {extra}"
            )
        columns = []
        for f, target in zip(self.fields, self.arrow, strict=True):
            col = table.column(f.name)
            if col.type != target.type:
                try:
                    col = col.cast(target.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise SchemaError(
                        f"{label}: field '{f.name}' has type {col.type}, schema wants {f.type}"
                    ) from exc
            if not f.nullable and col.null_count:
                raise SchemaError(
                    f"{label}: field '{f.name}' has {col.null_count} null(s) but is not nullable"
                )
            columns.append(col)
        out = pa.Table.from_arrays(columns, schema=self.arrow)
        if self.unique_key and out.num_rows > 1 and not _distinct(out, self.key):
            keys = out.group_by(list(self.key)).aggregate([([], "count_all")])
            dup = keys.filter(pc.greater(keys["count_all"], 1))
            if dup.num_rows:
                sample = dup.slice(0, 3).drop_columns(["count_all"]).to_pylist()
                raise SchemaError(
                    f"{label}: {dup.num_rows} duplicate key(s) {list(self.key)}, e.g. {sample}"
                )
        return out

    def empty(self) -> pa.Table:
        return self.arrow.empty_table()


def _distinct(table: pa.Table, key) -> bool:
    """Whether no two rows share a key (polars' multi-threaded hash count; nulls count as one
    value, as in the group_by that then names the duplicates)."""
    import polars as pl

    frame = pl.from_arrow(table.select(list(key)), rechunk=False)
    return frame.n_unique() == table.num_rows


def _load(kind: str) -> DatasetSchema:
    path = resource_dir("schemas") / f"{kind}.json"
    if not path.is_file():
        raise SchemaError(f"no schema for dataset kind '{kind}'; known kinds: {known_kinds()}")
    raw = json.loads(path.read_text())
    fields = tuple(FieldSpec(**f) for f in raw["fields"])
    for f in fields:
        parse_type(f.type)
    return DatasetSchema(
        kind=raw["kind"],
        version=int(raw["version"]),
        description=raw["description"],
        key=tuple(raw["key"]),
        unique_key=bool(raw.get("unique_key", True)),
        fields=fields,
    )


@cache
def get_schema(kind: str) -> DatasetSchema:
    return _load(kind)


def known_kinds() -> list[str]:
    return sorted(p.stem for p in resource_dir("schemas").glob("*.json"))
