"""Generation requests and results.

A `GenerationRequest` is one completion to produce: one (problem, arm, sample index), or for a
continuation one (parent trajectory, prefix, sample index). Its `request_id` and `seed` are derived
from content only, so rebuilding the requests of a run gives the same ids and seeds: the caller
can skip requests whose results are already stored and resume a run request by request.

Continuations: `messages` hold the prompt only (system + user); `prefix` is the partial assistant
answer. Backends render the chat template with a generation prompt and append `prefix` to the
rendered text, so the model continues the prefix; `GenerationResult.completion` is the text after
the prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from mathpref.generation.arms import Arm, validate_arms
from mathpref.hashing import content_id, digest

FinishReason = Literal["stop", "length", "error"]
FINISH_REASONS = ("stop", "length", "error")
SEED_BITS = 31


@dataclass(frozen=True)
class GenerationRequest:
    request_id: str
    problem_id: str
    arm: str
    sample_index: int
    seed: int
    messages: tuple[tuple[str, str], ...]
    temperature: float
    top_p: float
    max_new_tokens: int
    stop: tuple[str, ...] = ()
    parent_trajectory_id: str | None = None
    prefix: str | None = None
    question: str = ""
    arm_family: str | None = None
    probe: str | None = None

    @property
    def is_continuation(self) -> bool:
        return self.prefix is not None

    def sampling_params(self) -> dict[str, Any]:
        """Every sampling parameter a backend uses for this request."""
        return {
            "seed": self.seed,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
            "stop": list(self.stop),
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["messages"] = [list(m) for m in self.messages]
        d["stop"] = list(self.stop)
        return d


@dataclass(frozen=True)
class GenerationResult:
    request_id: str
    completion: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: FinishReason
    latency_s: float
    rendered_prompt: str
    error: str | None = None
    # What the backend had to repair in the reply (e.g. invalid Unicode replaced with U+FFFD).
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.finish_reason not in FINISH_REASONS:
            raise ValueError(
                f"finish_reason must be one of {FINISH_REASONS}, got {self.finish_reason!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def derive_seed(
    base_seed: int, problem_id: str, arm: str, sample_index: int, salt: str = ""
) -> int:
    """A stable 31-bit seed from the arm's base seed and the request keys (blake2b)."""
    h = digest("seed", int(base_seed), str(problem_id), str(arm), int(sample_index), salt, size=8)
    return int(h, 16) & ((1 << SEED_BITS) - 1)


def make_request_id(
    problem_id: str,
    arm: str,
    sample_index: int,
    parent_trajectory_id: str | None = None,
    prefix: str | None = None,
) -> str:
    """Content-derived id: hash of problem_id, arm name, sample index (+ parent and prefix)."""
    if prefix is None and parent_trajectory_id is None:
        return content_id("request", str(problem_id), str(arm), int(sample_index))
    return content_id(
        "continuation", str(problem_id), str(arm), int(sample_index), parent_trajectory_id, prefix
    )


def build_requests(
    problems: Iterable[tuple[str, str]], arms: Sequence[Arm]
) -> list[GenerationRequest]:
    """One request per (problem, arm, sample index in range(arm.n)), problem-major order."""
    arms = list(arms)
    validate_arms(arms)
    out: list[GenerationRequest] = []
    seen: set[str] = set()
    for problem_id, question in problems:
        if problem_id in seen:
            raise ValueError(f"duplicate problem_id '{problem_id}'")
        seen.add(problem_id)
        for arm in arms:
            messages = arm.messages(question)
            for k in range(arm.n):
                out.append(
                    GenerationRequest(
                        request_id=make_request_id(problem_id, arm.name, k),
                        problem_id=problem_id,
                        arm=arm.name,
                        sample_index=k,
                        seed=derive_seed(arm.seed, problem_id, arm.name, k),
                        messages=messages,
                        temperature=arm.temperature,
                        top_p=arm.top_p,
                        max_new_tokens=arm.max_new_tokens,
                        stop=tuple(arm.stop),
                        question=question,
                        arm_family=arm.family,
                        probe=arm.probe,
                    )
                )
    return out


def build_continuation_requests(
    items: Iterable[tuple[str | None, str, str, Arm, str]],
    n: int,
    *,
    temperature: float | None = None,
    top_p: float | None = None,
    max_new_tokens: int | None = None,
) -> list[GenerationRequest]:
    """`n` continuation requests per item `(parent_trajectory_id, problem_id, question, arm,
    prefix)`.

    The prompt is the arm's prompt for the question; the assistant turn is pre-filled with
    `prefix`. Sampling parameters come from the arm unless overridden here. Seeds are salted with
    the parent id and prefix, so they differ from the seeds of the original samples.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    out: list[GenerationRequest] = []
    seen: set[str] = set()
    for parent, problem_id, question, arm, prefix in items:
        if not isinstance(prefix, str):
            raise ValueError(f"prefix must be a string, got {type(prefix).__name__}")
        # Validate overrides through the Arm checks.
        eff = arm.replace(
            **{
                k: v
                for k, v in (
                    ("temperature", temperature),
                    ("top_p", top_p),
                    ("max_new_tokens", max_new_tokens),
                )
                if v is not None
            }
        )
        messages = eff.messages(question)
        salt = digest("continuation", parent, prefix)
        for k in range(n):
            rid = make_request_id(problem_id, eff.name, k, parent, prefix)
            if rid in seen:
                raise ValueError(
                    f"duplicate continuation item (parent={parent!r}, "
                    f"problem_id={problem_id!r}, arm={eff.name!r}, same prefix)"
                )
            seen.add(rid)
            out.append(
                GenerationRequest(
                    request_id=rid,
                    problem_id=problem_id,
                    arm=eff.name,
                    sample_index=k,
                    seed=derive_seed(eff.seed, problem_id, eff.name, k, salt=salt),
                    messages=messages,
                    temperature=eff.temperature,
                    top_p=eff.top_p,
                    max_new_tokens=eff.max_new_tokens,
                    stop=tuple(eff.stop),
                    parent_trajectory_id=parent,
                    prefix=prefix,
                    question=question,
                    arm_family=eff.family,
                    probe=eff.probe,
                )
            )
    return out
