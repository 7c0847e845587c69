"""The stage contract: base class, context, config helpers and registry. A stage is a small
class with one job.

A stage declares its kind, an explicit code-version constant, a config dataclass (fields carry
`help` metadata; `metadata={"path": True}` marks an input file, which is content-hashed), its input
roles and its outputs (role -> dataset kind), and the SQL audits (`sql/audits/*.sql`) a build that
contains it must pass. Executors and the runner (`mathpref.pipeline`) do caching, sharding, resume
and writing; this module knows nothing of them, so stages never import the runner.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from mathpref.errors import SpecError, StageError
from mathpref.hashing import canonical_json, file_digest
from mathpref.stages.resources import Resources

REGISTRY: dict[str, type[Stage]] = {}


def register(cls: type[Stage]) -> type[Stage]:
    REGISTRY[cls.kind] = cls
    return cls


def stage_class(kind: str) -> type[Stage]:
    from mathpref import stages  # noqa: F401  (registers the built-in stages)

    if kind not in REGISTRY:
        raise SpecError(f"unknown stage kind '{kind}'; valid kinds: {sorted(REGISTRY)}")
    return REGISTRY[kind]


def opt(default: Any, help: str, **meta: Any) -> Any:
    """A config field with help text (and extra metadata such as path=True)."""
    if isinstance(default, list | dict):
        return field(
            default_factory=lambda: type(default)(default), metadata={"help": help, **meta}
        )
    return field(default=default, metadata={"help": help, **meta})


@dataclass
class StageContext:
    """What a running stage sees: its inputs, a work dir, and progress/notes sinks."""

    name: str
    base_dir: Path
    work_dir: Path
    read_input: Callable[..., pa.Table]  # (role) or (role, columns); may have .clear()
    input_roles: list[str]
    cache_dir: Path | None = None  # store-wide cache (e.g. the tiny test model)
    advance: Callable[[int], None] = lambda n: None
    notes: list[str] = field(default_factory=list)
    resources: Resources = field(default_factory=Resources)  # the worker's (see resources.py)
    kept_outputs: dict[str, pa.Table] = field(default_factory=dict)  # a lone shard's outputs

    def resource(self, key: Any, factory: Callable[[], Any], lifetime: str = "stage") -> Any:
        """A long-lived object of the worker running this shard (a loaded model; with
        lifetime="worker", one kept past the stage, e.g. a process pool)."""
        return self.resources.get(key, factory, lifetime)

    @property
    def cpus(self) -> int:
        """CPU cores this worker may use (size process pools by it)."""
        return self.resources.cpus

    def for_shard(self, tables: dict[str, pa.Table] | None) -> StageContext:
        """The context a shard runs in: `tables` (from `Stage.shard_inputs`) are all it can
        read; None keeps the stage's inputs (a single-shard stage reads them on demand)."""
        if tables is None:
            return self
        return dataclasses.replace(
            self, read_input=TableInputs(self.name, tables), input_roles=list(tables)
        )

    def input(self, role: str, columns: list[str] | None = None, keep: bool = True) -> pa.Table:
        """An input table; with `columns`, only those (read alone when the reader can).
        `keep=False`: the reader does not cache what it reads for this call (a wide column
        used once, e.g. texts that are hashed and dropped)."""
        if columns is None:
            return self.read_input(role)
        if not keep and hasattr(self.read_input, "uncached"):
            return self.read_input.uncached(role, columns)
        try:
            return self.read_input(role, columns)
        except TypeError:  # a reader that takes no column list
            return self.read_input(role).select(columns)

    def release_inputs(self) -> None:
        """Drop cached input tables (they are read again if asked for)."""
        clear = getattr(self.read_input, "clear", None)
        if clear is not None:
            clear()

    def has_input(self, role: str) -> bool:
        return role in self.input_roles

    def note(self, text: str) -> None:
        self.notes.append(text)


class TableInputs:
    """`read_input` over a shard's own tables (what `Stage.shard_inputs` returned)."""

    def __init__(self, stage: str, tables: dict[str, pa.Table]):
        self.stage, self.tables = stage, tables

    def __call__(self, role: str, columns: list[str] | None = None) -> pa.Table:
        if role not in self.tables:
            raise StageError(
                f"stage '{self.stage}': a shard read '{role}', which its shard_inputs did not "
                f"give (it has {sorted(self.tables)})"
            )
        table = self.tables[role]
        return table if columns is None else table.select(list(columns))

    def clear(self) -> None:
        """Nothing to drop: the shard's tables belong to the executor that cut them and live
        until the shard ends, so a read after `release_inputs()` still finds them."""


class Stage:
    kind: ClassVar[str]
    code_version: ClassVar[str]
    Config: ClassVar[type]
    inputs: ClassVar[dict[str, bool]] = {}  # role -> required
    outputs: ClassVar[dict[str, str]] = {}  # role -> dataset kind; the first is primary
    shard_rows: ClassVar[int] = 0  # rows of the sharding input per shard; 0 = not sharded
    shard_input: ClassVar[str | None] = None
    # Audits (file stems of `sql/audits/`) run over the whole build when it contains this stage;
    # a build whose audits return rows is not published.
    audits: ClassVar[tuple[str, ...]] = ()
    # Set-based stages over whole tables (DuckDB) run where the build runs, never on workers.
    runs_on_driver: ClassVar[bool] = False
    # Whether a stage of one shard writes it to a shard file (with its marker: a resumed build
    # reuses it) before its outputs go to the store. Stages that recompute in seconds from the
    # store (set-based scores and pairs) skip that copy: their outputs are checked and written
    # once, by the store (decision 0014).
    checkpoint_lone_shard: ClassVar[bool] = True
    # Output roles that may be empty although the stage's input is not (a quarantine, step pairs
    # from a log without continuations, a `continue` stage that finds nothing to continue). A
    # stage all of whose other outputs are empty from a non-empty input fails the build.
    empty_ok: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, config: dict[str, Any], base_dir: Path):
        self.name = name
        self.base_dir = base_dir
        self.config = build_config(self.Config, config, where=f"stage '{name}' ({self.kind})")

    # -- versioning ----------------------------------------------------------------------
    def version_parts(self) -> dict[str, Any]:
        """Extra things the output depends on (e.g. checking-library versions)."""
        return {}

    def resolve(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else (self.base_dir / p).resolve()

    def normalised_config(self) -> dict[str, Any]:
        """Config for the version id: input files replaced by their content digest."""
        out = {}
        for f in dataclasses.fields(self.Config):
            value = getattr(self.config, f.name)
            if f.metadata.get("volatile"):
                continue
            if f.metadata.get("path") and value is not None and not _is_remote(value):
                path = self.resolve(value)
                if not path.exists():
                    raise SpecError(
                        f"stage '{self.name}': {f.name} = {value!r} does not exist "
                        f"(resolved to {path})"
                    )
                value = file_digest(path)
            out[f.name] = value
        return json.loads(canonical_json(out))  # plain JSON values: tuples become lists

    # -- work ----------------------------------------------------------------------------
    def num_shards(self, ctx: StageContext) -> int:
        if not self.shard_rows or not self.shard_input:
            return 1
        rows = ctx.input(self.shard_input).num_rows
        return max(1, -(-rows // self.shard_rows))

    def shard_slice(self, ctx: StageContext, shard: int) -> pa.Table:
        return ctx.input(self.shard_input).slice(shard * self.shard_rows, self.shard_rows)

    def shard_inputs(self, ctx: StageContext, shard: int) -> dict[str, pa.Table] | None:
        """The tables shard `shard` reads, by name, cut from the stage's inputs where the build
        runs. `run_shard` then sees only these (`ctx.input(name)`), so a shard is a pure function
        of them and of the config, and any executor can run it anywhere. None (the default of a
        stage with one shard) means the stage's inputs themselves, read on demand."""
        if not self.shard_rows or not self.shard_input:
            return None
        tables = {role: ctx.input(role) for role in ctx.input_roles}
        tables[self.shard_input] = self.shard_slice(ctx, shard)
        return tables

    def worker_resources(self) -> dict[str, float]:
        """What one worker of this stage reserves on a cluster (Ray: num_cpus, num_gpus)."""
        return {"num_cpus": 1}

    def run_shard(self, ctx: StageContext, shard: int, n_shards: int) -> dict[str, pa.Table]:
        """Shard `shard`'s outputs (role -> table) from `ctx.input(...)` of its shard inputs
        only; keep nothing on `self` between shards (use `ctx.resource` for pools/models)."""
        raise NotImplementedError

    def finalize(self, ctx: StageContext, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
        return tables


def _is_remote(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("hf://", "hub:"))


def _is_a(value: Any, want: type) -> bool:
    """isinstance, except that a bool is not an int or a float (`limit = true` is not 1)."""
    if isinstance(value, bool) and want is not bool:
        return False
    return isinstance(value, want)


def build_config(cls: type, values: dict[str, Any], *, where: str) -> Any:
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(names)}")
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        want = hints.get(key)
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            values[key] = float(value)
        elif want in (int, float, str, bool, list, dict) and not _is_a(value, want):
            raise SpecError(
                f"{where}: {key} = {value!r} should be {want.__name__} "
                f"({names[key].metadata.get('help', '')})"
            )
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None
