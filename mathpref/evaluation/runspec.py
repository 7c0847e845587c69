"""The pipeline spec of one evaluation run, filled in from the shipped template.

`EvalSettings` holds what `mathpref eval` takes; `spec_dict` fills `pipelines/templates/eval.toml`
with it, and `to_toml` gives the text the command writes to `<store>/evals/<run>.toml` and builds.
The run name is `eval-<model-slug>-<benchmark>-<hash8>`, hash8 covering every setting that changes
the rows (not the store, batch sizes or device), so the same command names the same run.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

from mathpref.evaluation.benchmarks import BENCHMARKS, gsm8k_train_path
from mathpref.evaluation.prompts import (
    FEWSHOT_STOP,
    PROMPTS,
    eval_arms,
    load_exemplars,
    user_template,
)
from mathpref.hashing import digest
from mathpref.resources import resource_dir

BACKENDS = ("transformers", "vllm", "openai")
NAME_RULE = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass
class EvalSettings:
    model: str
    benchmark: str = "gsm8k"
    backend: str = "transformers"
    samples: int = 4
    temperature: float = 0.7
    top_p: float = 1.0
    limit: int = 0
    prompt: str = "zero-shot-cot"
    max_new_tokens: int = 512
    seed: int = 0
    revision: str = ""
    overrides: list[str] = field(default_factory=list)  # --set stage.key=value, in order

    def __post_init__(self):
        if not self.model or not self.model.strip():
            raise ValueError("--model must name a model (Hub id, local folder, or 'tiny')")
        if self.benchmark not in BENCHMARKS:
            raise ValueError(f"--benchmark must be one of {sorted(BENCHMARKS)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {list(BACKENDS)}")
        if self.prompt not in PROMPTS:
            raise ValueError(f"--prompt must be one of {list(PROMPTS)}")
        if self.samples < 0 or self.limit < 0 or self.max_new_tokens < 1 or self.seed < 0:
            raise ValueError("--samples, --limit and --seed must be >= 0, --max-new-tokens >= 1")
        if not 0.0 <= self.temperature <= 2.0 or not 0.0 < self.top_p <= 1.0:
            raise ValueError("--temperature must be in [0, 2] and --top-p in (0, 1]")

    def run_name(self) -> str:
        h = digest("eval-run", asdict(self), size=4)
        name = f"eval-{model_slug(self.model)}-{self.benchmark}-{h}"
        assert NAME_RULE.match(name), name
        return name


def model_slug(model: str) -> str:
    """A short name-safe form of a model id or path: `Qwen/Qwen2.5-1.5B` -> `qwen-qwen2.5-1.5b`,
    `/models/smollm2/` -> `smollm2`."""
    text = model.strip().rstrip("/")
    if text.startswith(("/", "./", "../", "~")):
        text = text.rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return re.sub(r"-{2,}", "-", slug)[:40].strip("-._") or "model"


def spec_dict(s: EvalSettings) -> dict[str, Any]:
    """The filled-in spec (the template's tables, as `tomllib` reads them); `--set` overrides
    are applied by the caller before `to_toml`."""
    raw = tomllib.loads((resource_dir("pipelines") / "templates" / "eval.toml").read_text())
    raw["pipeline"] = {
        "name": s.run_name(),
        "description": f"mathpref eval: {s.model} on {s.benchmark} ({s.prompt}, greedy"
        + (f" + {s.samples} samples at temperature {s.temperature})" if s.samples else ")"),
    }
    problems = raw["stages"]["problems"]
    problems["benchmark"] = s.benchmark
    if s.limit:
        problems["limit"] = s.limit
    exemplars = load_exemplars(gsm8k_train_path()) if s.prompt == "few-shot-8" else []
    arms = eval_arms(
        user_template(s.benchmark, s.prompt, exemplars),
        samples=s.samples,
        temperature=s.temperature,
        top_p=s.top_p,
        max_new_tokens=s.max_new_tokens,
        seed=s.seed,
        stop=FEWSHOT_STOP if exemplars else [],
    )
    gen = raw["stages"]["trajectories"]
    arm_tables = [{k: v for k, v in a.to_dict().items() if v is not None} for a in arms]
    gen.update(backend=s.backend, model=s.model, arms=arm_tables)
    if s.revision:
        gen["revision"] = s.revision
    if s.backend == "transformers":
        gen["backend_options"] = {"batch_size": 8}
    return raw


# -- a small TOML writer (the template holds strings, numbers, booleans, lists and tables) -----


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write {v} to TOML")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON escapes are valid TOML basic strings
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(f"cannot write {type(v).__name__} to TOML")


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def to_toml(raw: dict[str, Any]) -> str:
    """TOML text of a spec dict ([pipeline] and [stages.NAME] tables of plain values)."""
    lines = ["# Written by `mathpref eval` from pipelines/templates/eval.toml.", ""]
    lines += ["[pipeline]"] + [f"{_key(k)} = {_value(v)}" for k, v in raw["pipeline"].items()]
    for name, stage in raw["stages"].items():
        lines += ["", f"[stages.{_key(name)}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in stage.items()]
    text = "\n".join(lines) + "\n"
    assert tomllib.loads(text) == raw, "TOML round trip"
    return text
