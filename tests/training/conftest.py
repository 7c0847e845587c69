"""Fixtures for the training tests: the tiny model and a hand-made release (session-wide)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.releases import make_release


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("trl")
    from mathpref.generation.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    return make_release(tmp_path_factory.mktemp("rel") / "release", tokenizer=tok)
