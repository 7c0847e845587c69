"""Arms: a prompt perturbation plus its sampling settings.

An arm is one way of asking the model to solve a problem: a system prompt, a user template with a
`{question}` placeholder, and sampling parameters. Each problem is sampled `n` times per arm.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

PROBES = ("canonical", "paraphrase", "counterfactual")
QUESTION_PLACEHOLDER = "{question}"


@dataclass
class Arm:
    """One prompt arm.

    `user_template` must contain the literal placeholder `{question}`; it is substituted by plain
    string replacement (not `str.format`), so other braces such as `\\boxed{}` are left alone.
    `seed` is the arm's base seed: each request derives its own seed from it (see
    `mathpref.generation.requests.derive_seed`). `temperature == 0` means greedy decoding.
    """

    name: str
    family: str
    system_prompt: str = ""
    user_template: str = QUESTION_PLACEHOLDER
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    n: int = 1
    max_new_tokens: int = 512
    stop: list[str] = field(default_factory=list)
    probe: str | None = None

    def __post_init__(self) -> None:
        where = f"arm '{self.name}'" if isinstance(self.name, str) else "arm"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"{where}: 'name' must be a non-empty string, got {self.name!r}")
        if not isinstance(self.family, str) or not self.family.strip():
            raise ValueError(f"{where}: 'family' must be a non-empty string, got {self.family!r}")
        if not isinstance(self.system_prompt, str):
            raise ValueError(f"{where}: 'system_prompt' must be a string")
        template = self.user_template
        if not isinstance(template, str) or QUESTION_PLACEHOLDER not in template:
            raise ValueError(
                f"{where}: 'user_template' must be a string containing the placeholder "
                f"{QUESTION_PLACEHOLDER}, got {self.user_template!r}"
            )
        self.temperature = _number(where, "temperature", self.temperature)
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"{where}: 'temperature' must be in [0, 2], got {self.temperature}")
        self.top_p = _number(where, "top_p", self.top_p)
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"{where}: 'top_p' must be in (0, 1], got {self.top_p}")
        _integer(where, "seed", self.seed, minimum=0)
        _integer(where, "n", self.n, minimum=1)
        _integer(where, "max_new_tokens", self.max_new_tokens, minimum=1)
        if isinstance(self.stop, str) or not isinstance(self.stop, list | tuple):
            raise ValueError(f"{where}: 'stop' must be a list of strings, got {self.stop!r}")
        if not all(isinstance(s, str) and s for s in self.stop):
            raise ValueError(
                f"{where}: 'stop' entries must be non-empty strings, got {self.stop!r}"
            )
        self.stop = list(self.stop)
        if self.probe is not None and self.probe not in PROBES:
            raise ValueError(
                f"{where}: 'probe' must be null or one of {list(PROBES)}, got {self.probe!r}"
            )

    def render_user(self, question: str) -> str:
        """The user message for `question`."""
        return self.user_template.replace(QUESTION_PLACEHOLDER, question)

    def messages(self, question: str) -> tuple[tuple[str, str], ...]:
        """Chat messages (role, content) for `question`; no system message when it is empty."""
        user = ("user", self.render_user(question))
        if self.system_prompt:
            return (("system", self.system_prompt), user)
        return (user,)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> Arm:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Arm:
        """Build an arm from a mapping; unknown or missing keys raise a ValueError naming them."""
        if not isinstance(d, dict):
            raise ValueError(f"an arm must be a mapping, got {type(d).__name__}")
        valid = cls.field_names()
        unknown = sorted(k for k in d if k not in valid)
        label = f"arm '{d.get('name')}'" if "name" in d else "arm"
        if unknown:
            raise ValueError(
                f"{label}: unknown key(s) {unknown}; valid keys are: {', '.join(valid)}"
            )
        missing_value = dataclasses.MISSING
        required = [
            f.name
            for f in dataclasses.fields(cls)
            if f.default is missing_value and f.default_factory is missing_value
        ]
        missing = [k for k in required if k not in d]
        if missing:
            raise ValueError(f"{label}: missing required key(s) {missing}")
        return cls(**d)


def _number(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}: '{key}' must be a finite number, got {value!r}")
    return float(value)


def _integer(where: str, key: str, value: Any, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: '{key}' must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: '{key}' must be >= {minimum}, got {value}")


def validate_arms(arms: list[Arm]) -> None:
    """Arm names must be unique within a run (they key requests and seeds)."""
    seen: set[str] = set()
    for arm in arms:
        if arm.name in seen:
            raise ValueError(f"duplicate arm name '{arm.name}'")
        seen.add(arm.name)
