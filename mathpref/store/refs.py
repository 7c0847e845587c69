"""A build reference: what `refs/<pipeline>.json` (and each `refs/history/` entry) holds.

One type for the store (gc, history), the CLI (`datasets list`) and the SQL views, so no caller
walks the JSON by hand. It reads like the JSON mapping it wraps (`ref["stages"]`), plus helpers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BuildRef(Mapping):
    data: Mapping[str, Any]

    # -- the mapping view of the JSON ----------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    # -- typed access ----------------------------------------------------------------------
    @property
    def pipeline(self) -> str:
        return self.data["pipeline"]

    @property
    def built_at(self) -> str:
        return self.data["built_at"]

    @property
    def stages(self) -> dict[str, dict[str, Any]]:
        return self.data["stages"]

    def outputs(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{stage: {role: {kind, dataset_id, fingerprint, rows}}}."""
        return {name: s["outputs"] for name, s in self.stages.items()}

    def output(self, stage: str, role: str | None = None) -> dict[str, Any]:
        """One stage output: `role`, or the stage's primary output when `role` is None.

        (The JSON file does not keep the order of `outputs`, so the primary role is recorded
        apart; a ref written before that names it only when the stage has one output.)
        """
        entry = self.stages[stage]
        outs = entry["outputs"]
        role = role or entry.get("primary_output")
        if role is None:
            if len(outs) != 1:
                raise KeyError(f"stage '{stage}' has outputs {sorted(outs)}; name the one you want")
            return next(iter(outs.values()))
        return outs[role]

    def dataset_ids(self) -> set[str]:
        return {o["dataset_id"] for outs in self.outputs().values() for o in outs.values()}

    def to_json(self) -> dict[str, Any]:
        return dict(self.data)
