"""Local generation with Hugging Face transformers (CPU or GPU), batched with left padding.

Sampling is done by a logits processor that draws each row's next token with that row's own
`torch.Generator` seeded from the request seed (temperature, then top_p; temperature 0 = greedy),
and makes `generate` pick it greedily. So every request gets its own seeded, reproducible sample
whatever else is in the batch, and each row may have its own temperature / top_p / length / stop
strings. The same processor forces end-of-sequence when a stop string appears (finish_reason
"stop", text cut before the stop string) or when the request's `max_new_tokens` is reached
(finish_reason "length").

Reproducibility: the same requests in the same batches give identical completions. Batching
different requests together changes padding, which can change floating point sums in the last
bits; with `batch_size=1` a resumed run reproduces completions exactly whatever was done before.
The model's own `generation_config` sampling defaults (temperature, top_k, repetition penalty...)
are ignored: only the request's parameters apply, as with the vLLM and OpenAI backends.
`latency_s` of a result is the wall time of the batch it ran in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from mathpref.errors import MissingDependencyError
from mathpref.generation.backends.base import Backend, has_chat_template, truncate_at_stop
from mathpref.generation.requests import GenerationRequest, GenerationResult


def _import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "transformers", "train") from exc
    return torch, transformers


class TransformersBackend(Backend):
    name = "transformers"

    def __init__(
        self,
        model: str,
        revision: str | None = None,
        *,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        trust_remote_code: bool = False,
    ):
        torch, transformers = _import_torch()
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._torch = torch
        self.model_id, self.model_revision = str(model), revision
        self.batch_size = batch_size
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if dtype == "auto":
            dtype = "bfloat16" if self.device.type == "cuda" else "float32"
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(
            self.model_id, revision=revision, trust_remote_code=trust_remote_code
        )
        self.tokenizer.padding_side = "left"
        self.model = transformers.AutoModelForCausalLM.from_pretrained(
            self.model_id,
            revision=revision,
            dtype=getattr(torch, dtype),
            trust_remote_code=trust_remote_code,
        ).to(self.device)
        self.model.eval()
        if self.model_revision is None:  # the Hub commit, when loaded from the Hub cache
            self.model_revision = getattr(self.model.config, "_commit_hash", None)
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids = [eos] if isinstance(eos, int) else list(eos or [])
        if not self.eos_ids:
            raise ValueError(f"model {self.model_id} has no eos token id")
        if self.tokenizer.pad_token_id is None:  # padding needs a pad token: reuse eos
            self.tokenizer.pad_token_id = self.eos_ids[0]
        self.pad_id = self.tokenizer.pad_token_id
        # Only the request's sampling parameters apply: drop the model's sampling defaults.
        self.model.generation_config = transformers.GenerationConfig(
            bos_token_id=self.model.generation_config.bos_token_id,
            eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id,
        )

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[GenerationResult]:
        for start in range(0, len(requests), self.batch_size):
            yield from self._generate_batch(list(requests[start : start + self.batch_size]))

    def _generate_batch(self, batch: list[GenerationRequest]) -> list[GenerationResult]:
        torch = self._torch
        t0 = time.perf_counter()
        prompts = [self.render_prompt(r) for r in batch]
        enc = self.tokenizer(
            prompts,
            return_tensors="pt",
            padding=True,
            add_special_tokens=not has_chat_template(self.tokenizer),
        )
        input_ids = enc["input_ids"].to(self.device)
        attention_mask = enc["attention_mask"].to(self.device)
        sampler = _RowSampler(
            torch, batch, input_ids.shape[1], self.tokenizer, self.eos_ids, self.device
        )
        from transformers import GenerationConfig, LogitsProcessorList

        config = GenerationConfig(
            max_new_tokens=max(r.max_new_tokens for r in batch) + 1,
            do_sample=False,
            num_beams=1,
            eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id,
        )
        with torch.no_grad():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                generation_config=config,
                logits_processor=LogitsProcessorList([sampler]),
            )
        latency = time.perf_counter() - t0
        results = []
        for i, req in enumerate(batch):
            tokens = out[i, input_ids.shape[1] :].tolist()
            n_tokens, reason = len(tokens), "length"
            for j, tok in enumerate(tokens):
                if tok in self.eos_ids:
                    forced = sampler.forced.get(i)
                    if forced is not None and forced[0] == j:
                        n_tokens, reason = j, forced[1]
                    else:
                        n_tokens, reason = j + 1, "stop"
                    break
            text = self.tokenizer.decode(tokens[:n_tokens], skip_special_tokens=True)
            text, hit = truncate_at_stop(text, req.stop)
            results.append(
                GenerationResult(
                    request_id=req.request_id,
                    completion=text,
                    prompt_tokens=int(attention_mask[i].sum().item()),
                    completion_tokens=n_tokens,
                    finish_reason="stop" if hit else reason,
                    latency_s=latency,
                    rendered_prompt=prompts[i],
                )
            )
        return results

    def close(self) -> None:
        self.model = None
        if self.device.type == "cuda":
            self._torch.cuda.empty_cache()


class _RowSampler:
    """Logits processor: per-row seeded sampling, stop strings and length limits (see module)."""

    def __init__(
        self,
        torch: Any,
        batch: list[GenerationRequest],
        prompt_len: int,
        tokenizer: Any,
        eos_ids: list[int],
        device: Any,
    ):
        self.torch, self.batch, self.prompt_len = torch, batch, prompt_len
        self.tokenizer, self.eos_ids = tokenizer, set(eos_ids)
        self.forced_eos = eos_ids[0]
        self.generators = [torch.Generator(device=device).manual_seed(r.seed) for r in batch]
        # Tokens to decode to detect a stop string ending in the newest token (bytes may split).
        self.tails = [4 * max((len(s) for s in r.stop), default=0) + 4 for r in batch]
        self.forced: dict[int, tuple[int, str]] = {}  # row -> (step, reason)
        self.finished: set[int] = set()  # rows that produced (or were forced to) end-of-sequence

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        torch = self.torch
        step = input_ids.shape[1] - self.prompt_len
        out = torch.full_like(scores, float("-inf"))
        last = input_ids[:, -1].tolist() if step > 0 else [None] * len(self.batch)
        for i, req in enumerate(self.batch):
            if i in self.finished or last[i] in self.eos_ids:
                self.finished.add(i)
                out[i, self.forced_eos] = 0.0  # finished row: generate pads it anyway
                continue
            if req.stop and step > 0:
                start = max(self.prompt_len, input_ids.shape[1] - self.tails[i])
                tail = self.tokenizer.decode(
                    input_ids[i, start:].tolist(), skip_special_tokens=True
                )
                if any(s in tail for s in req.stop):
                    self.forced[i] = (step, "stop")
            if i not in self.forced and step >= req.max_new_tokens:
                self.forced[i] = (step, "length")
            if i in self.forced:
                self.finished.add(i)
                out[i, self.forced_eos] = 0.0
                continue
            out[i, self._next_token(i, req, scores[i])] = 0.0
        return out

    def _next_token(self, i: int, req: GenerationRequest, logits: Any) -> int:
        torch = self.torch
        logits = logits.float()
        if req.temperature <= 0.0:
            return int(torch.argmax(logits).item())
        probs = torch.softmax(logits / req.temperature, dim=-1)
        if req.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            cumulative = torch.cumsum(sorted_probs, dim=-1)
            drop = (cumulative - sorted_probs) > req.top_p  # keeps at least the top token
            sorted_probs = sorted_probs.masked_fill(drop, 0.0)
            probs = torch.zeros_like(probs).scatter(0, order, sorted_probs)
        return int(torch.multinomial(probs, 1, generator=self.generators[i]).item())
