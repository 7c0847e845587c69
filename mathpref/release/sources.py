"""Known source files, recognised by content (the build records input files by sha256 only, so a
release names its sources without any path of the machine it was built on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathpref.hashing import file_digest


@dataclass(frozen=True)
class Source:
    title: str
    license: str  # a Hub license id
    hub_id: str | None  # for the card's source_datasets
    credit: str


KNOWN: dict[str, Source] = {
    "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14": Source(
        "GSM8K test (openai/grade-school-math)",
        "mit",
        "openai/gsm8k",
        "Cobbe et al. 2021, MIT licence, Copyright (c) 2021 OpenAI",
    ),
    "17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465": Source(
        "GSM8K train (openai/grade-school-math)",
        "mit",
        "openai/gsm8k",
        "Cobbe et al. 2021, MIT licence, Copyright (c) 2021 OpenAI",
    ),
    "4bc62db838f8418365d51c627bd66294cbdca9fb7f01519cb13f0dce8c51580b": Source(
        "OpenAI GSM8K example model solutions (GPT-3 6B/175B)",
        "mit",
        "openai/gsm8k",
        "openai/grade-school-math, MIT licence",
    ),
    "5b9128525733336c4b5bf5d3222f72b18655a305258dc09c301b546e9365ba5e": Source(
        "Qwen2.5-Math sampled solutions on 100 MATH problems",
        "mit",
        None,
        "QwenLM/Qwen2.5-Math evaluation, MIT licence (Copyright (c) 2024 Zhibin Gou)",
    ),
    "8c0b7b5034eb9da5bb8bb82b4a064732951b3257957c4453849ff32f592a94fe": Source(
        "PRM800K samples (openreasoner/openr test fixtures)",
        "mit",
        "openai/prm800k",
        "PRM800K, OpenAI, MIT licence; fixtures from openreasoner/openr (MIT)",
    ),
}


def _demo_sources() -> dict[str, Source]:
    from mathpref.resources import resource_dir

    out = {}
    for name in ("demo-problems.jsonl", "demo-completions.jsonl"):
        path = resource_dir("pipelines") / "data" / name
        if path.is_file():
            out[file_digest(path).removeprefix("sha256:")] = Source(
                f"mathpref demo data ({name})",
                "apache-2.0",
                None,
                "hand-written for mathpref, Apache-2.0",
            )
    return out


def build_sources(ref) -> list[dict[str, Any]]:
    """Every input file of the build: stage, config key, sha256, and what it is when known."""
    known = {**KNOWN, **_demo_sources()}
    out = []
    for stage, entry in sorted(ref.stages.items()):
        for key, value in sorted((entry.get("config") or {}).items()):
            if isinstance(value, str) and value.startswith("sha256:"):
                sha = value.removeprefix("sha256:")
                src = known.get(sha)
                out.append(
                    {
                        "stage": stage,
                        "key": key,
                        "sha256": sha,
                        "title": src.title if src else "unrecognised file",
                        "license": src.license if src else "unknown",
                        "hub_id": src.hub_id if src else None,
                        "credit": src.credit
                        if src
                        else "not a file mathpref knows: check its licence",
                    }
                )
            elif key == "path" and isinstance(value, str) and value.startswith("hf://"):
                out.append(
                    {
                        "stage": stage,
                        "key": key,
                        "sha256": None,
                        "title": value,
                        "license": "unknown",
                        "hub_id": value.removeprefix("hf://"),
                        "credit": "Hub dataset: see its card for the licence",
                    }
                )
    return out


def card_license(sources: list[dict[str, Any]], override: str = "") -> str:
    if override:
        return override
    licences = {s["license"] for s in sources}
    if len(licences) == 1:
        return licences.pop()
    return "other" if licences - {"unknown"} else "unknown"
