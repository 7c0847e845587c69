"""Declarative pipeline specs (`pipelines/*.toml`): named stage instances forming a DAG.

    [pipeline]
    name = "gsm8k-openai-solutions"

    [stages.problems]
    kind = "problems"
    path = "${MATHPREF_DATA_DIR:-../../shared/data}/gsm8k/test.jsonl"

    [stages.verify]
    kind = "verify"
    inputs = { problems = "problems", trajectories = ["trajectories", "continuations"] }

Relative paths in a spec resolve against the directory of the spec file. `${VAR}` and
`${VAR:-default}` (nested defaults allowed) are expanded from the environment first; `$$` is a
literal `$` (see `mathpref.pipeline.expand`). The pipeline name becomes a file name in the store:
letters, digits, '.', '_' and '-' only; stage names: letters, digits, '_' and '-'. `inputs` maps each input role of a stage
to one upstream stage name (or a list, whose tables are concatenated); `stage.output` picks a
non-primary output of a stage.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathpref.errors import SpecError
from mathpref.pipeline.expand import expand_vars
from mathpref.resources import resource_dir

__all__ = ["InputRef", "PipelineSpec", "StageSpec", "expand_vars", "find_spec", "load_spec"]

_PIPELINE_KEYS = {"name", "description"}
_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class InputRef:
    """One upstream reference of a stage input: `stage` (its primary output) or `stage.output`."""

    stage: str
    output: str | None = None

    @classmethod
    def parse(cls, text: str) -> InputRef:
        if not isinstance(text, str) or not text:
            raise SpecError(f"an input must name a stage ('stage' or 'stage.output'), not {text!r}")
        stage, _, output = text.partition(".")
        return cls(stage, output or None)

    def __str__(self) -> str:
        return self.stage if self.output is None else f"{self.stage}.{self.output}"


@dataclass
class StageSpec:
    name: str
    kind: str
    inputs: dict[str, list[InputRef]]
    config: dict[str, Any]

    def upstream_stages(self) -> list[str]:
        """The stages this one reads, in the order the spec names them."""
        return list(dict.fromkeys(ref.stage for refs in self.inputs.values() for ref in refs))


@dataclass
class PipelineSpec:
    name: str
    path: Path
    base_dir: Path
    description: str = ""
    stages: dict[str, StageSpec] = field(default_factory=dict)

    def order(self) -> list[str]:
        """Stage names in a topological order (spec order among independent stages)."""
        done: list[str] = []
        visiting: set[str] = set()

        def visit(name: str, chain: list[str]) -> None:
            if name in done:
                return
            if name in visiting:
                raise SpecError(f"{self.path}: stages form a cycle: {' -> '.join(chain + [name])}")
            visiting.add(name)
            for up in self.stages[name].upstream_stages():
                visit(up, chain + [name])
            visiting.discard(name)
            done.append(name)

        for name in self.stages:
            visit(name, [])
        return done


def find_spec(spec: str) -> Path:
    """A spec given as a path, or by name: ./pipelines/NAME.toml, then the packaged copy."""
    p = Path(spec)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise SpecError(f"pipeline spec {spec} does not exist")
        return p.resolve()
    for candidate in (
        Path("pipelines") / f"{spec}.toml",
        resource_dir("pipelines") / f"{spec}.toml",
    ):
        if candidate.is_file():
            return candidate.resolve()
    known = sorted(q.stem for q in resource_dir("pipelines").glob("*.toml"))
    raise SpecError(f"no pipeline spec named '{spec}'; known: {known}")


def parse_override(text: str) -> tuple[str, str, Any]:
    """`stage.key=value` -> (stage, key, value); the value is read as TOML, else as a string."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise SpecError(f"--set expects stage.key=value, got '{text}'")
    lhs, raw = text.split("=", 1)
    stage, key = lhs.strip().split(".", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return stage, key, value


def _expand(value: Any) -> Any:
    if isinstance(value, str):
        return expand_vars(value)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def load_spec(spec: str, overrides: list[str] = ()) -> PipelineSpec:
    path = find_spec(spec)
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    unknown = set(raw) - {"pipeline", "stages"}
    if unknown:
        raise SpecError(
            f"{path}: unknown top-level table(s) {sorted(unknown)}; valid: ['pipeline', 'stages']"
        )
    meta = raw.get("pipeline", {})
    bad = set(meta) - _PIPELINE_KEYS
    if bad:
        raise SpecError(
            f"{path}: unknown key(s) {sorted(bad)} in [pipeline]; valid: {sorted(_PIPELINE_KEYS)}"
        )
    name = meta.get("name", path.stem)
    from mathpref.errors import StoreError
    from mathpref.store.store import check_name

    try:
        check_name(name)
    except StoreError as exc:
        where = "[pipeline] name" if "name" in meta else f"the file name {path.name!r}"
        raise SpecError(f"{path}: {where}: {exc}") from None
    if not isinstance(meta.get("description", ""), str):
        raise SpecError(f"{path}: [pipeline] description must be a string")
    out = PipelineSpec(
        name=name,
        path=path,
        base_dir=path.parent,
        description=meta.get("description", ""),
    )
    stages = raw.get("stages") or {}
    if not stages:
        raise SpecError(f"{path}: no [stages.NAME] tables")
    if not isinstance(stages, dict):
        raise SpecError(f"{path}: 'stages' must be tables [stages.NAME]")
    for name, body in stages.items():
        if not _STAGE_NAME.fullmatch(name):
            raise SpecError(
                f"{path}: stage name {name!r} is not allowed: use letters, digits, '_' and '-'"
            )
        if not isinstance(body, dict) or "kind" not in body:
            raise SpecError(f"{path}: stage '{name}' needs a 'kind'")
        body = dict(body)
        kind = body.pop("kind")
        if not isinstance(kind, str):
            raise SpecError(f"{path}: stage '{name}': kind must be a string, not {kind!r}")
        inputs = body.pop("inputs", {})
        if not isinstance(inputs, dict):
            raise SpecError(f"{path}: stage '{name}': inputs must be a table of role = stage")
        norm = {}
        for role, ups in inputs.items():
            if not isinstance(ups, str | list):
                raise SpecError(
                    f"{path}: stage '{name}' input '{role}' must be a stage name or a list of "
                    f"them, not {ups!r}"
                )
            norm[role] = [InputRef.parse(u) for u in ([ups] if isinstance(ups, str) else ups)]
        try:
            config = _expand(body)
        except SpecError as exc:
            raise SpecError(f"{path}: stage '{name}': {exc}") from None
        out.stages[name] = StageSpec(name=name, kind=kind, inputs=norm, config=config)
    for text in overrides:
        stage, key, value = parse_override(text)
        if stage not in out.stages:
            raise SpecError(f"--set {text}: no stage '{stage}'; stages: {sorted(out.stages)}")
        out.stages[stage].config[key] = value
    for s in out.stages.values():
        for role, ups in s.inputs.items():
            for up in ups:
                if up.stage not in out.stages:
                    raise SpecError(
                        f"{path}: stage '{s.name}' input '{role}' names unknown "
                        f"stage '{up}'; stages: {sorted(out.stages)}"
                    )
    out.order()
    return out
