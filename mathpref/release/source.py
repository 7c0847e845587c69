"""What a release reads from the store: the tables behind a pipeline's last successful build.

The pairs stage's output manifests name the exact datasets it read (problems, trajectories,
verifications, scores), so a release takes the same versions the pairs were built from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from mathpref.errors import MathprefError
from mathpref.schemas import get_schema
from mathpref.store import Store
from mathpref.store.refs import BuildRef


class ReleaseError(MathprefError):
    """A release cannot be made from this build (or with these options)."""


@dataclass
class BuildData:
    ref: BuildRef
    pairs_stage: str
    tables: dict[str, pa.Table]  # kind -> table (trajectories and verifications concatenated)
    datasets: dict[str, list[dict[str, Any]]]  # kind -> [{stage, dataset_id, fingerprint, rows}]
    stage_kinds: dict[str, str] = field(default_factory=dict)

    def table(self, kind: str) -> pa.Table:
        return self.tables[kind]


def _concat(store: Store, kind: str, ids: list[str]) -> pa.Table:
    tables = [store.read(i) for i in ids]
    if kind == "trajectories":
        missing = [
            i for i, t in zip(ids, tables, strict=True) if "prompt_messages" not in t.column_names
        ]
        if missing:
            raise ReleaseError(
                f"trajectories {missing[0]} were built before prompt_messages existed "
                "(trajectories schema v1): rebuild the pipeline with this mathpref version, "
                "then release"
            )
    schema = get_schema(kind).arrow
    tables = [t.select(schema.names).cast(schema) for t in tables]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def load_build(store: Store, pipeline: str) -> BuildData:
    ref = store.read_ref(pipeline)
    kinds = {name: s["kind"] for name, s in ref.stages.items()}
    pairs = [name for name, kind in kinds.items() if kind == "pairs"]
    if not pairs:
        raise ReleaseError(f"build of '{pipeline}' has no pairs stage: nothing to release")
    if len(pairs) > 1:
        raise ReleaseError(f"build of '{pipeline}' has several pairs stages {pairs}")
    name = pairs[0]
    outs = ref.stages[name]["outputs"]
    datasets: dict[str, list[dict]] = {}
    for role, out in outs.items():
        datasets[out["kind"]] = [{"stage": f"{name}.{role}", **out}]
    manifest = store.manifest(outs["pairs"]["dataset_id"])
    for role, ups in manifest["inputs"].items():
        datasets[role] = [dict(u) for u in ups]
    contamination = [
        {"stage": f"{n}.{r}", **o}
        for n, kind in kinds.items()
        if kind == "decontaminate"
        for r, o in ref.stages[n]["outputs"].items()
    ]
    if contamination:
        datasets["contamination"] = contamination
    tables = {
        kind: _concat(store, kind, [d["dataset_id"] for d in ds]) for kind, ds in datasets.items()
    }
    return BuildData(ref=ref, pairs_stage=name, tables=tables, datasets=datasets, stage_kinds=kinds)
