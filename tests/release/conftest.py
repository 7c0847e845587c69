"""Builds the release tests share: demo-scripted, prm800k-step-pairs and the README's GSM8K
build, once per session into one store, and their releases."""

from __future__ import annotations

from pathlib import Path

import pytest

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.release import ReleaseOptions, release_build
from mathpref.store import Store

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Store:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    st = Store(tmp_path_factory.mktemp("release") / "store")
    for name in ("demo-scripted", "prm800k-step-pairs", "gsm8k-openai-solutions"):
        Runner(load_spec(str(REPO / "pipelines" / f"{name}.toml")), st).build()
    return st


@pytest.fixture(scope="session")
def gsm8k_release(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rel") / "gsm8k"
    release_build(
        store,
        "gsm8k-openai-solutions",
        out,
        ReleaseOptions(
            allow_contaminated=True,
            command="mathpref release gsm8k-openai-solutions --out DIR --allow-contaminated",
        ),
    )
    return out


@pytest.fixture(scope="session")
def demo_release(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rel") / "demo"
    release_build(store, "demo-scripted", out, ReleaseOptions())
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    pytest.importorskip("trl")
    from mathpref.generation.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)
