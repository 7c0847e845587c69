"""Configuration of the scoring and pairing stages (TRL-style dataclasses).

Every constant the SQL uses is a field here; `__post_init__` checks fields against each other and
raises `SpecError`. Numbers reach SQL only as bound parameters (see `_sql.params`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from mathpref.errors import SpecError

STRATEGIES = ("correctness", "coherence", "step", "unpaired")
TIE_POLICIES = ("skip", "trajectory_id")
BALANCE_MODES = ("arm", "none")
KTO_BALANCE_MODES = ("none", "label")
PROMPT_SOURCES = ("question", "trajectory")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise SpecError(message)


def _unit(name: str, value: float) -> None:
    _check(0.0 <= value <= 1.0, f"{name} must be in [0, 1], got {value}")


@dataclass
class ScoreConfig:
    """Settings of `compute_scores`: problem consistency scores, rewards and eligibility."""

    w_end: float = field(default=0.5, metadata={"help": "Weight of s_end in s_wm."})
    w_path: float = field(default=0.3, metadata={"help": "Weight of s_path in s_wm."})
    w_cf: float = field(default=0.2, metadata={"help": "Weight of s_cf in s_wm."})
    alpha: float = field(default=1.0, metadata={"help": "Reward weight of correctness (0/1)."})
    beta: float = field(
        default=0.5,
        metadata={"help": "Reward weight of the problem's s_wm (null s_wm counts as 0)."},
    )
    gamma: float = field(default=0.3, metadata={"help": "Reward weight of quality."})
    agreement_bonus: float = field(
        default=0.2,
        metadata={
            "help": "Bonus for a correct trajectory when all correct answers of the problem agree "
            "and s_end exceeds agreement_s_end_threshold."
        },
    )
    agreement_s_end_threshold: float = field(
        default=0.9, metadata={"help": "s_end must be strictly above this for the agreement bonus."}
    )
    length_penalty_per_token: float = field(
        default=0.001,
        metadata={"help": "Penalty per completion token above length_penalty_free_tokens."},
    )
    length_penalty_free_tokens: int = field(
        default=512, metadata={"help": "Completion tokens that are free of the length penalty."}
    )
    w_concise: float = field(
        default=0.5, metadata={"help": "Weight of conciseness inside quality."}
    )
    w_overlap: float = field(
        default=0.5,
        metadata={
            "help": "Weight of canonical-probe overlap inside quality (renormalised away when the "
            "problem has no correct canonical-probe reference)."
        },
    )
    whitespace_token_factor: float = field(
        default=1.0,
        metadata={
            "help": "When completion_tokens is null, tokens = ceil(factor * whitespace words)."
        },
    )
    min_completion_tokens: int = field(
        default=0,
        metadata={
            "help": "Trajectories with fewer completion tokens are ineligible ('too_short')."
        },
    )
    max_completion_tokens: int | None = field(
        default=None,
        metadata={
            "help": "Trajectories with more completion tokens are ineligible ('too_long'); "
            "None = no limit."
        },
    )
    exclude_fallback_answers: bool = field(
        default=True,
        metadata={
            "help": "Make trajectories whose answer came from the fallback 'last_number' rule "
            "ineligible ('fallback_answer')."
        },
    )
    fallback_rules: tuple[str, ...] = field(
        default=("last_number",),
        metadata={"help": "extraction_rule values that count as fallback-only."},
    )
    difficulty_edges: tuple[float, ...] = field(
        default=(0.2, 0.5, 0.8),
        metadata={
            "help": "Ascending pass-rate edges; band i holds edges[i-1] <= pass_rate < edges[i]."
        },
    )
    difficulty_labels: tuple[str, ...] = field(
        default=("very_hard", "hard", "medium", "easy"),
        metadata={"help": "One label per band: len(difficulty_edges) + 1 labels."},
    )
    test_fraction: float = field(
        default=0.1,
        metadata={
            "help": "Fraction of problems in the test split (by md5 of split_salt + problem_id)."
        },
    )
    split_salt: str = field(
        default="", metadata={"help": "Salt prefixed to problem_id before hashing for the split."}
    )

    def __post_init__(self) -> None:
        for name in (
            "w_end",
            "w_path",
            "w_cf",
            "w_concise",
            "w_overlap",
            "alpha",
            "beta",
            "gamma",
            "agreement_bonus",
            "length_penalty_per_token",
        ):
            _check(getattr(self, name) >= 0, f"{name} must be >= 0, got {getattr(self, name)}")
        _check(self.w_end + self.w_path + self.w_cf > 0, "w_end + w_path + w_cf must be > 0")
        _check(self.w_concise + self.w_overlap > 0, "w_concise + w_overlap must be > 0")
        _unit("agreement_s_end_threshold", self.agreement_s_end_threshold)
        _unit("test_fraction", self.test_fraction)
        _check(self.whitespace_token_factor > 0, "whitespace_token_factor must be > 0")
        _check(self.length_penalty_free_tokens >= 0, "length_penalty_free_tokens must be >= 0")
        _check(self.min_completion_tokens >= 0, "min_completion_tokens must be >= 0")
        if self.max_completion_tokens is not None:
            _check(
                self.max_completion_tokens >= self.min_completion_tokens,
                "max_completion_tokens must be >= min_completion_tokens",
            )
        self.difficulty_edges = tuple(float(e) for e in self.difficulty_edges)
        self.difficulty_labels = tuple(self.difficulty_labels)
        self.fallback_rules = tuple(self.fallback_rules)
        edges = self.difficulty_edges
        _check(
            all(a < b for a, b in zip(edges, edges[1:], strict=False)),
            f"difficulty_edges must be strictly ascending, got {edges}",
        )
        _check(all(0.0 <= e <= 1.0 for e in edges), "difficulty_edges must lie in [0, 1]")
        _check(
            len(self.difficulty_labels) == len(edges) + 1,
            f"need {len(edges) + 1} difficulty_labels for {len(edges)} edges, "
            f"got {len(self.difficulty_labels)}",
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PairConfig:
    """Settings of `build_pairs`: which strategies run and how they sample."""

    strategies: tuple[str, ...] = field(
        default=STRATEGIES, metadata={"help": f"Enabled pair strategies, any of {STRATEGIES}."}
    )
    seed: int = field(default=0, metadata={"help": "Seed of every hash-based sampling order."})
    max_pairs_per_problem: int | None = field(
        default=4,
        metadata={
            "help": "Correctness pairs kept per problem; 0 or None keeps all correct x incorrect."
        },
    )
    balance: str = field(
        default="arm",
        metadata={
            "help": "Correctness sampling order: 'arm' interleaves arms round-robin, 'none' is "
            "pure seeded-hash order."
        },
    )
    min_margin: float = field(
        default=0.01,
        metadata={"help": "Coherence pairs need reward(best) - reward(worst) >= min_margin."},
    )
    tie_policy: str = field(
        default="trajectory_id",
        metadata={
            "help": "Coherence when the best or worst reward is shared: 'skip' the problem, or "
            "'trajectory_id' (smallest id among the tied wins)."
        },
    )
    step_max_per_trajectory: int | None = field(
        default=1,
        metadata={
            "help": "Step pairs kept per erroneous trajectory (one per correct continuation); "
            "0 or None keeps all."
        },
    )
    kto_max_per_label: int | None = field(
        default=None, metadata={"help": "KTO rows kept per (problem, label); 0 or None keeps all."}
    )
    kto_balance: str = field(
        default="none",
        metadata={"help": "'label' keeps min(#true, #false) rows of each label per problem."},
    )
    min_pass_rate: float = field(
        default=0.0, metadata={"help": "Problems with pass_rate below this produce no rows."}
    )
    max_pass_rate: float = field(
        default=1.0, metadata={"help": "Problems with pass_rate above this produce no rows."}
    )
    prompt_source: str = field(
        default="question",
        metadata={
            "help": "'question': prompt = the problem text; 'trajectory': the chosen (KTO: the "
            "row's) rendered prompt."
        },
    )
    step_separator: str | None = field(
        default=None,
        metadata={
            "help": "Joins steps into initial_reason_steps / full_rejected; None = a blank line "
            "when the rejected solution is written in paragraphs, else a newline."
        },
    )

    step_sources: tuple[str, ...] = field(
        default=("log", "arithmetic"),
        metadata={
            "help": "Declared order of first-wrong-step sources for step pairs, any of log, "
            "completions, critic, prm, arithmetic (the label sources need a step_labels input)."
        },
    )

    def __post_init__(self) -> None:
        from mathpref.scoring.step_sources import STEP_SOURCES

        self.step_sources = tuple(self.step_sources)
        bad = [s for s in self.step_sources if s not in STEP_SOURCES]
        _check(not bad, f"unknown step_sources {bad}; valid: {list(STEP_SOURCES)}")
        _check(
            bool(self.step_sources) and len(set(self.step_sources)) == len(self.step_sources),
            "step_sources must be non-empty without repeats",
        )
        if isinstance(self.strategies, str):
            self.strategies = (self.strategies,)
        self.strategies = tuple(self.strategies)
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        _check(not unknown, f"unknown pair strategies {unknown}; valid: {list(STRATEGIES)}")
        _check(len(set(self.strategies)) == len(self.strategies), "strategies repeat")
        _check(isinstance(self.seed, int) and self.seed >= 0, "seed must be an int >= 0")
        for name in ("max_pairs_per_problem", "step_max_per_trajectory", "kto_max_per_label"):
            value = getattr(self, name)
            _check(
                value is None or (isinstance(value, int) and value >= 0),
                f"{name} must be None or an int >= 0, got {value!r}",
            )
        _check(self.balance in BALANCE_MODES, f"balance must be one of {BALANCE_MODES}")
        _check(self.tie_policy in TIE_POLICIES, f"tie_policy must be one of {TIE_POLICIES}")
        _check(
            self.kto_balance in KTO_BALANCE_MODES, f"kto_balance must be one of {KTO_BALANCE_MODES}"
        )
        _check(
            self.prompt_source in PROMPT_SOURCES, f"prompt_source must be one of {PROMPT_SOURCES}"
        )
        _check(self.min_margin >= 0, "min_margin must be >= 0")
        _unit("min_pass_rate", self.min_pass_rate)
        _unit("max_pass_rate", self.max_pass_rate)
        _check(self.min_pass_rate <= self.max_pass_rate, "min_pass_rate must be <= max_pass_rate")

    def cap(self, name: str) -> int:
        """A cap as SQL sees it: 0 means unlimited."""
        return getattr(self, name) or 0

    def to_dict(self) -> dict:
        return asdict(self)
