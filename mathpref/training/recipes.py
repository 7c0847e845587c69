"""Training recipes: YAML files whose keys are those of `trl <method> --config`.

A recipe is one flat YAML mapping over the fields of TRL's `ScriptArguments`, the method's
config class (`SFTConfig`, `DPOConfig`, `KTOConfig`) and `ModelConfig` (plus TRL's optional
`env:` mapping), so the same file runs with TRL's own CLI. `resolve_recipe` merges `--set
key=value` overrides (values parsed as YAML), checks every key and value, applies the CPU rules
and builds the three config objects, all before any model is loaded. Every problem is one line
that names the recipe and the key.

The shipped recipes live in `training/` at the repo root (in the wheel: `mathpref/_data/training`).
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathpref.errors import MathprefError, MissingDependencyError


class RecipeError(MathprefError):
    """A recipe (or a --set override) is invalid."""


@dataclass(frozen=True)
class Method:
    name: str  # CLI name
    trl_command: str  # `trl <command> --config RECIPE` runs the same file
    config_class: str  # TRL config class name
    trainer_class: str
    subset: str  # default release config
    recipe: str  # shipped recipe stem


METHODS = {
    "sft": Method("sft", "sft", "SFTConfig", "SFTTrainer", "sft", "sft-lora"),
    "dpo": Method("dpo", "dpo", "DPOConfig", "DPOTrainer", "dpo", "dpo-lora"),
    "kto": Method("kto", "kto", "KTOConfig", "KTOTrainer", "kto", "kto-lora"),
    "step-dpo": Method("step-dpo", "dpo", "DPOConfig", "DPOTrainer", "step_dpo", "step-dpo-lora"),
}

# Keys mathpref sets itself: a recipe may hold them (TRL's CLI reads them), but they are replaced.
MANAGED = ("output_dir", "dataset_name", "resume_from_checkpoint")


@dataclass
class Resolved:
    """A checked recipe: the three TRL config objects and the flat values they came from."""

    method: Method
    source: str  # recipe path or shipped name
    values: dict[str, Any]  # every key given (recipe + --set), after the CPU rules
    script: Any  # trl.ScriptArguments
    training: Any  # SFTConfig | DPOConfig | KTOConfig
    model: Any  # trl.ModelConfig
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise RecipeError(f"unknown training method '{name}'; methods: {', '.join(METHODS)}")
    return METHODS[name]


def recipe_dir() -> Path:
    from mathpref.resources import resource_dir

    return resource_dir("training")


def shipped_recipes() -> list[str]:
    return sorted(p.stem for p in recipe_dir().glob("*.yaml"))


def find_recipe(value: str | None, method: Method) -> Path:
    """A recipe path, or the stem of a shipped recipe; None = the method's shipped recipe."""
    if value is None:
        value = method.recipe
    p = Path(value)
    if p.is_file():
        return p
    shipped = recipe_dir() / f"{value.removesuffix('.yaml')}.yaml"
    if shipped.is_file() and p.parent == Path("."):
        return shipped
    raise RecipeError(
        f"recipe '{value}' not found (a YAML file, or one of: {', '.join(shipped_recipes())})"
    )


def _trl_classes(method: Method) -> tuple[Any, Any, Any, Any]:
    try:
        import trl
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "trl", "train") from exc
    return (
        trl.ScriptArguments,
        getattr(trl, method.config_class),
        trl.ModelConfig,
        trl.DatasetMixtureConfig,
    )


_YAML11_WORDS = {"yes", "no", "on", "off", "y", "n"}


def parse_sets(sets: list[str]) -> dict[str, Any]:
    import yaml

    out = {}
    for item in sets:
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise RecipeError(f"--set '{item}': expected key=value")
        if raw.strip().lower() in _YAML11_WORDS:  # `save_strategy=no` means the string "no"
            out[key.strip()] = raw.strip()
            continue
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise RecipeError(f"--set '{item}': value is not valid YAML ({exc})") from None
    return out


def load_recipe_file(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise RecipeError(f"{path}{where}: not valid YAML ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a YAML mapping of key: value")
    return data


def _fields(cls: Any) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _type_ok(value: Any, tp: Any) -> bool:
    """A light check of YAML values against dataclass annotations (unknown forms pass)."""
    if tp is Any or tp is None:
        return True
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if tp is type(None):
        return value is None
    if origin in (list, tuple):
        (arg, *_) = typing.get_args(tp) or (Any,)
        return isinstance(value, list) and all(_type_ok(v, arg) for v in value)
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return isinstance(value, str) and value in {m.value for m in tp}
    return True


def _coerce(value: Any, tp: Any) -> Any:
    """A string where a number or bool is expected converts as TRL's argparse would convert it
    (PyYAML reads `1e-3` as a string)."""
    if isinstance(value, bool) and not _type_ok(value, tp) and _type_ok("no", tp):
        return "yes" if value else "no"  # an unquoted YAML `no` where a string is expected
    if not isinstance(value, str) or _type_ok(value, tp):
        return value
    args = (
        typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    )
    for target in (int, float):
        if target in args:
            try:
                return target(value)
            except ValueError:
                continue
    if bool in args and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _hints(cls: Any) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if dataclasses.is_dataclass(klass):
            try:
                hints.update(typing.get_type_hints(klass))
            except Exception:  # unresolvable forward references: those keys are not type-checked
                continue
    return hints


def resolve_recipe(
    method: Method,
    recipe: str | None = None,
    sets: list[str] | None = None,
    *,
    output_dir: str,
    cuda: bool | None = None,
    lora: bool | None = None,
) -> Resolved:
    """Check a recipe plus overrides and build TRL's configs (no model is loaded)."""
    path = find_recipe(recipe, method)
    values = load_recipe_file(path)
    values.update(parse_sets(sets or []))
    where = f"recipe {path}" if recipe else f"recipe {path.stem}"
    script_cls, train_cls, model_cls, mix_cls = _trl_classes(method)
    groups = {
        "ScriptArguments": _fields(script_cls),
        method.config_class: _fields(train_cls),
        "ModelConfig": _fields(model_cls),
        "DatasetMixtureConfig": _fields(mix_cls),
    }
    env = values.pop("env", None) or {}
    if not isinstance(env, dict):
        raise RecipeError(f"{where}: 'env' must be a mapping of variable: value")
    known = set().union(*groups.values())
    for key in values:
        if key not in known:
            near = difflib.get_close_matches(key, sorted(known), n=3)
            hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            raise RecipeError(
                f"{where}: unknown key '{key}' (not a field of ScriptArguments, "
                f"{method.config_class} or ModelConfig in trl){hint}"
            )
    if values.get("datasets"):
        raise RecipeError(f"{where}: 'datasets' is not used by mathpref train: give --data")
    notes = []
    if lora is not None:
        values["use_peft"] = lora
    if cuda is None:
        import torch

        cuda = torch.cuda.is_available()
    if not cuda:  # CPU rules: no mixed precision on CPU
        for key, want in (("use_cpu", True), ("bf16", False), ("fp16", False)):
            if key in values and values[key] != want:
                notes.append(f"no GPU: {key} set to {want} (recipe had {values[key]})")
            values[key] = want
    hints = {
        name: _hints(cls)
        for name, cls in zip(groups, (script_cls, train_cls, model_cls, mix_cls), strict=True)
    }
    for key, value in list(values.items()):
        for group, names in groups.items():
            if key not in names:
                continue
            value = values[key] = _coerce(value, hints[group].get(key, Any))
            if not _type_ok(value, hints[group].get(key, Any)):
                raise RecipeError(
                    f"{where}: {key} = {value!r} has the wrong type (expected {hints[group][key]})"
                )
            choices = names[key].metadata.get("choices")
            if choices is not None and value is not None and value not in list(choices):
                raise RecipeError(
                    f"{where}: {key} = {value!r} is not one of {', '.join(map(str, choices))}"
                )
    kwargs = {
        group: {k: v for k, v in values.items() if k in names and k not in MANAGED}
        for group, names in groups.items()
    }
    kwargs[method.config_class]["output_dir"] = output_dir
    built = {}
    for group, cls in zip(groups, (script_cls, train_cls, model_cls, mix_cls), strict=True):
        try:
            built[group] = cls(**kwargs[group])
        except (TypeError, ValueError) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RecipeError(f"{where}: invalid {group} settings: {msg}") from None
    targets = values.get("lora_target_modules")
    if isinstance(targets, list) and len(targets) == 1 and targets[0] != "all-linear":
        # ModelConfig turns a one-element list into a string, which peft reads as a regex that
        # must match the full module name (`q_proj` then matches nothing): keep the list.
        built["ModelConfig"].lora_target_modules = list(targets)
    return Resolved(
        method=method,
        source=str(path),
        values=values,
        script=built["ScriptArguments"],
        training=built[method.config_class],
        model=built["ModelConfig"],
        env={str(k): str(v) for k, v in env.items()},
        notes=notes,
    )
