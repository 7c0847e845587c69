"""vLLM request construction without vLLM, the install hint, and a GPU run (skipped here)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from mathpref.errors import MissingDependencyError
from mathpref.generation.arms import Arm
from mathpref.generation.backends.base import get_backend, render_messages
from mathpref.generation.backends.vllm_backend import (
    VLLMBackend,
    VLLMNotInstalledError,
    build_vllm_inputs,
    import_vllm,
)
from mathpref.generation.requests import build_continuation_requests, build_requests

pytestmark = pytest.mark.timeout(120)


def test_build_vllm_inputs(tiny_tokenizer, arms, problems):
    reqs = build_requests(problems, arms)
    prompts, params = build_vllm_inputs(reqs, tiny_tokenizer)
    assert len(prompts) == len(params) == len(reqs)
    for req, prompt, kw in zip(reqs, prompts, params, strict=True):
        text = render_messages(tiny_tokenizer, req.messages)
        assert text.startswith("<|begin|><|system|>") or text.startswith("<|begin|><|user|>")
        ids = prompt["prompt_token_ids"]
        assert ids == tiny_tokenizer(text, add_special_tokens=False)["input_ids"]
        assert ids[0] == tiny_tokenizer.bos_token_id and ids.count(ids[0]) == 1  # one BOS
        assert tiny_tokenizer.decode(ids) == text
        assert kw == {
            "n": 1,
            "seed": req.seed,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "max_tokens": req.max_new_tokens,
            "stop": list(req.stop),
        }
    assert len({kw["seed"] for kw in params}) == len(reqs)
    assert params[0]["temperature"] == 0.7 and params[-1]["stop"] == ["\n\n"]


def test_build_vllm_inputs_continuation(tiny_tokenizer):
    arm = Arm(name="a", family="f", temperature=0.5, max_new_tokens=9)
    reqs = build_continuation_requests([("t", "p", "What is 2 + 3?", arm, "2 + 3 = ")], 2)
    prompts, params = build_vllm_inputs(reqs, tiny_tokenizer)
    text = tiny_tokenizer.decode(prompts[0]["prompt_token_ids"])
    assert text == render_messages(tiny_tokenizer, reqs[0].messages) + "2 + 3 = "
    assert text.endswith("<|assistant|>\n2 + 3 = ")
    assert params[0]["seed"] != params[1]["seed"] and params[0]["max_tokens"] == 9


def test_missing_vllm_gives_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes `import vllm` raise ImportError
    for attempt in (
        import_vllm,
        lambda: VLLMBackend(model="m"),
        lambda: get_backend("vllm", model="m", tensor_parallel_size=2),
    ):
        with pytest.raises(ImportError) as info:
            attempt()
        assert isinstance(info.value, VLLMNotInstalledError)
        assert isinstance(info.value, MissingDependencyError)
        assert "pip install 'mathpref[vllm]'" in str(info.value)


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.gpu
@pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None or not _cuda_available(),
    reason="needs vllm and a CUDA GPU",
)
def test_vllm_generates_on_gpu(tiny_model, arms, problems):
    backend = get_backend(
        "vllm",
        model=str(tiny_model),
        dtype="float16",
        gpu_memory_utilization=0.3,
        max_model_len=512,
    )
    try:
        reqs = build_requests(problems, arms)
        first = {r.request_id: r for r in backend.generate(reqs)}
        second = {r.request_id: r for r in backend.generate(reqs)}
        assert sorted(first) == sorted(r.request_id for r in reqs)
        for req in reqs:
            res = first[req.request_id]
            assert res.finish_reason in ("stop", "length")
            assert 0 < res.prompt_tokens and res.completion_tokens <= req.max_new_tokens
            assert res.completion == second[req.request_id].completion  # seeded
    finally:
        backend.close()
