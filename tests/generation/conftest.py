"""Shared fixtures for the generation tests: the tiny model is built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathpref.generation.arms import Arm


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from mathpref.generation.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.fixture
def arms() -> list[Arm]:
    return [
        Arm(
            name="precise",
            family="precise",
            system_prompt="Be precise.",
            user_template="Problem: {question}\nAnswer with \\boxed{}.",
            temperature=0.7,
            top_p=0.9,
            seed=7,
            n=2,
            max_new_tokens=16,
        ),
        Arm(name="greedy", family="direct", temperature=0.0, n=1, max_new_tokens=8, stop=["\n\n"]),
    ]


@pytest.fixture
def problems() -> list[tuple[str, str]]:
    return [("p1", "Natalia sold 48 clips in April. How many?"), ("p2", "What is 2 + 3?")]
