"""What every config builder shares: the `Built` result, `finish` (dedup identical training
rows, split train/test, type the columns), lookups, and raw build tables for --include.
The builders: `config_pairs` (dpo, kto, sft) and `config_steps` (step_dpo, step_dpo_trl, prm).

Row order is fixed (the source table's key order), so a release is byte-identical when rebuilt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.release.source import BuildData, ReleaseError

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
SPLITS = ("train", "test")


@dataclass
class Built:
    splits: dict[str, pa.Table]  # split -> rows (only splits with rows)
    dropped_duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.num_rows for t in self.splits.values())


def finish(rows: list[dict], schema: pa.Schema, key: Callable[[dict], object] | None) -> Built:
    """Drop later rows whose training content repeats an earlier one, then split."""
    seen, kept = set(), []
    for r in rows:
        if key is not None:
            k = key(r)
            if k in seen:
                continue
            seen.add(k)
        kept.append(r)
    out: dict[str, pa.Table] = {}
    for split in SPLITS:
        part = [{n: r[n] for n in schema.names} for r in kept if r["split"] == split]
        if part:
            out[split] = pa.Table.from_pylist(part, schema=schema)
    other = {r["split"] for r in kept} - set(SPLITS)
    if other:
        raise ReleaseError(f"rows with split(s) {sorted(other)}: only train and test are known")
    return Built(out, len(rows) - len(kept))


def _js(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def _status(data: BuildData) -> dict[str, str]:
    v = data.table("verifications").select(["trajectory_id", "status"]).to_pydict()
    return dict(zip(v["trajectory_id"], v["status"], strict=True))


def _split_of(data: BuildData) -> dict[str, str]:
    ps = data.table("problem_scores").select(["problem_id", "split"]).to_pydict()
    return dict(zip(ps["problem_id"], ps["split"], strict=True))


def raw(data: BuildData, kinds: Iterable[str]) -> Built:
    """A build table as it is (its problems' split decides the file), for --include."""
    split = _split_of(data)
    tables = [data.table(k) for k in kinds]
    t = tables[0] if len(tables) == 1 else None
    if t is None:
        raise ReleaseError("raw configs take one table each")
    key = pa.array([split.get(x) for x in t["problem_id"].to_pylist()], pa.string())
    out = {}
    for s in SPLITS:
        part = t.filter(pc.equal(key, s))
        if part.num_rows:
            out[s] = part.replace_schema_metadata(None)
    return Built(out)


def problems_by_id(data: BuildData) -> dict[str, dict]:
    q = data.table("problems").select(["problem_id", "question", "gold_answer", "source"])
    return {r["problem_id"]: r for r in q.to_pylist()}
