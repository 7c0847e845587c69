"""Release options (the CLI flags of `mathpref release`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mathpref.decontam.config import DecontamConfig, opt

FORMATS = ("conversational", "standard")
INCLUDES = ("trajectories", "verifications", "scores")
CONFIGS = ("dpo", "kto", "sft", "step_dpo", "step_dpo_trl", "prm")


@dataclass
class ReleaseOptions:
    name: str = opt("", "Release name (pretty_name and folder label); default: the pipeline name.")
    format: str = opt("conversational", "Prompt form: conversational | standard.")
    chat_template: str = opt(
        "", "Tokenizer (path or id) whose chat template renders prompts that have no rendered form."
    )
    include: list = opt([], f"Extra raw configs: {', '.join(INCLUDES)}.")
    sft_per_problem: int = opt(4, "Verified-correct trajectories per problem in sft (0 = all).")
    same_prompt_only: bool = opt(False, "Drop pairs whose rejected side saw other prompt turns.")
    drop_contaminated: bool = opt(False, "Drop every row of a flagged problem.")
    allow_contaminated: bool = opt(
        False, "Release flagged problems as they are (the card says so)."
    )
    license: str = opt("", "Card license id (Hub list); default from the sources.")
    decontam: DecontamConfig = field(default_factory=DecontamConfig)
    command: str = opt("", "The command line to record (no paths of this machine).")

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ValueError(f"--format must be one of {list(FORMATS)}, not '{self.format}'")
        bad = sorted(set(self.include) - set(INCLUDES))
        if bad:
            raise ValueError(f"--include: unknown {bad}; valid: {list(INCLUDES)}")
        if self.sft_per_problem < 0:
            raise ValueError("--sft-per-problem must be >= 0")
        if self.drop_contaminated and self.allow_contaminated:
            raise ValueError("give --drop-contaminated or --allow-contaminated, not both")
