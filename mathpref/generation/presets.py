"""Named sets of arms.

- `regime-w`: four linear "precise" arms and four "reflective" arms at temperatures 0.2, 0.3, 0.4
  and 0.5, plus three probe arms (canonical, paraphrase, counterfactual).
- `direct-reflective-deliberative`: one arm per family: direct, reflective and deliberative.

Every prompt asks for a final line `The answer is N.` (or a `\\boxed{}` answer), which the
answer extractors understand. Use `get_preset(name)` to get fresh (independently mutable) copies.
"""

from __future__ import annotations

from mathpref.generation.arms import Arm

ANSWER_FORMAT = (
    "End with a final line of the form `The answer is N.` where N is the final answer "
    "(you may also write it as \\boxed{N})."
)

PRECISE_SYSTEM = (
    "You are a careful, precise math solver. Solve the problem in a single linear pass: "
    "write one short numbered step per line, do each calculation exactly once, and do not "
    "revisit earlier steps. " + ANSWER_FORMAT
)

REFLECTIVE_SYSTEM = (
    "You are a thoughtful math solver. Work through the problem step by step. After reaching "
    "an answer, pause and reflect: re-read the question, check that every quantity was used "
    "correctly and that the units and the question asked match your answer. If you find a "
    "mistake, fix it and continue. " + ANSWER_FORMAT
)

CANONICAL_SYSTEM = "You are a helpful math assistant. Solve the problem step by step. " + (
    ANSWER_FORMAT
)

PARAPHRASE_SYSTEM = (
    "You are a helpful math assistant. Before solving, restate the problem in your own words: "
    "list the given quantities and say exactly what is being asked. Then solve it step by step "
    "from your restatement. " + ANSWER_FORMAT
)

COUNTERFACTUAL_SYSTEM = (
    "You are a skeptical math assistant. Assume that your first instinct about this problem is "
    "wrong. Before computing, look for traps: quantities that change over time, units that "
    "differ, words like 'each', 'more than', 'left' or 'remaining', and information that is "
    "given but irrelevant. Then solve the problem step by step, avoiding those traps. "
    + ANSWER_FORMAT
)

DIRECT_SYSTEM = (
    "You are a math solver. Solve the problem directly and concisely, showing only the "
    "necessary calculations. " + ANSWER_FORMAT
)

DELIBERATIVE_SYSTEM = (
    "You are a deliberate math solver. Assume your first instinct is wrong. Consider at least "
    "two different ways to approach the problem, work through the most promising one step by "
    "step, then verify the result with the other approach or by substituting it back into the "
    "problem. If the two disagree, find the error before answering. " + ANSWER_FORMAT
)

USER_TEMPLATE = "Problem:\n{question}\n\nSolution:"
PARAPHRASE_USER_TEMPLATE = (
    "Problem:\n{question}\n\nFirst restate the problem in your own words, then solve it."
)
COUNTERFACTUAL_USER_TEMPLATE = (
    "Problem:\n{question}\n\nYour first instinct is probably wrong. What is the trap here? "
    "Find it, then solve the problem."
)

REGIME_W_TEMPERATURES = (0.2, 0.3, 0.4, 0.5)


def _regime_w() -> list[Arm]:
    arms: list[Arm] = []
    for family, system in (("precise", PRECISE_SYSTEM), ("reflective", REFLECTIVE_SYSTEM)):
        for i, temperature in enumerate(REGIME_W_TEMPERATURES):
            arms.append(
                Arm(
                    name=f"{family}-t{temperature}",
                    family=family,
                    system_prompt=system,
                    user_template=USER_TEMPLATE,
                    temperature=temperature,
                    top_p=0.95,
                    seed=1000 + i,
                    n=4,
                    max_new_tokens=1024,
                )
            )
    probes = (
        ("canonical", CANONICAL_SYSTEM, USER_TEMPLATE),
        ("paraphrase", PARAPHRASE_SYSTEM, PARAPHRASE_USER_TEMPLATE),
        ("counterfactual", COUNTERFACTUAL_SYSTEM, COUNTERFACTUAL_USER_TEMPLATE),
    )
    for probe, system, template in probes:
        arms.append(
            Arm(
                name=f"probe-{probe}",
                family="probe",
                system_prompt=system,
                user_template=template,
                temperature=0.3,
                top_p=0.95,
                seed=2000,
                n=2,
                max_new_tokens=1024,
                probe=probe,
            )
        )
    return arms


def _direct_reflective_deliberative() -> list[Arm]:
    specs = (
        ("direct", DIRECT_SYSTEM, 0.3),
        ("reflective", REFLECTIVE_SYSTEM, 0.5),
        ("deliberative", DELIBERATIVE_SYSTEM, 0.7),
    )
    return [
        Arm(
            name=family,
            family=family,
            system_prompt=system,
            user_template=USER_TEMPLATE,
            temperature=temperature,
            top_p=0.95,
            seed=3000,
            n=4,
            max_new_tokens=1024,
        )
        for family, system, temperature in specs
    ]


_BUILDERS = {
    "regime-w": _regime_w,
    "direct-reflective-deliberative": _direct_reflective_deliberative,
}

PRESETS: dict[str, list[Arm]] = {name: build() for name, build in _BUILDERS.items()}


def get_preset(name: str) -> list[Arm]:
    """Fresh copies of the arms of preset `name`; unknown names raise a KeyError listing them."""
    try:
        return _BUILDERS[name]()
    except KeyError:
        raise KeyError(f"unknown arm preset '{name}'; valid presets: {sorted(_BUILDERS)}") from None
