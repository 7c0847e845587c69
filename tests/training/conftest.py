"""Fixtures for the training tests: the tiny model, a real release (`mathpref release` of the
demo-scripted build) and a hand-made release folder in the same layout (session-wide)."""

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
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo-scripted built and released: dpo, kto, sft (train+test), step_dpo, step_dpo_trl."""
    from mathpref.pipeline.runner import Runner
    from mathpref.pipeline.spec import load_spec
    from mathpref.release.run import release_build
    from mathpref.store import Store

    root = tmp_path_factory.mktemp("demo")
    store = Store(root / "store")
    Runner(load_spec("demo-scripted"), store).build()
    release_build(store, "demo-scripted", root / "release")
    return root / "release"


@pytest.fixture(scope="session")
def handmade_release(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    return make_release(tmp_path_factory.mktemp("rel") / "release", tokenizer=tok)
