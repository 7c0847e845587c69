"""Plan-time checks of how stages are wired: each input gets a dataset of the kind its role
expects, holding the columns the stage reads. A mistake fails before any work runs, naming the
stage, the role and the missing columns (not four stages later with a DuckDB binder error).

A stage may declare `input_kinds = {role: kind or (kinds...)}` and `input_columns = {role:
(columns...)}`. Without them, a role named after a dataset kind (`problems`, `trajectories`,
`verifications`, ...) expects that kind, and the stage is taken to read all of its columns.
"""

from __future__ import annotations

from mathpref.errors import SpecError
from mathpref.schemas import get_schema, known_kinds


def expected_kinds(cls, role: str) -> tuple[str, ...]:
    declared = getattr(cls, "input_kinds", {}).get(role)
    if declared is not None:
        return (declared,) if isinstance(declared, str) else tuple(declared)
    return (role,) if role in known_kinds() else ()


def needed_columns(cls, role: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    declared = getattr(cls, "input_columns", {}).get(role)
    if declared is not None:
        return tuple(declared)
    return tuple(get_schema(kinds[0]).names) if kinds else ()


def check_wiring(spec, stages: dict) -> None:
    """Raise SpecError for the first input of a wrong kind or lacking columns."""
    for name, stage in stages.items():
        cls = type(stage)
        for role, refs in spec.stages[name].inputs.items():
            kinds = expected_kinds(cls, role)
            need = needed_columns(cls, role, kinds)
            for ref in refs:
                up = stages[ref.stage]
                got = up.outputs[ref.output or next(iter(up.outputs))]
                have = set(get_schema(got).names)
                missing = [c for c in need if c not in have]
                if (kinds and got not in kinds) or missing:
                    wants = " or ".join(kinds) if kinds else "a dataset with those columns"
                    raise SpecError(
                        f"stage '{name}' ({cls.kind}): input '{role}' = '{ref}' is a {got} "
                        f"dataset, but '{role}' needs {wants}; it lacks column(s) {missing} "
                        f"that '{name}' reads (fix inputs.{role} in [stages.{name}])"
                    )
