from __future__ import annotations

import pytest

from mathpref.errors import BackendError
from mathpref.generation.backends.base import (
    backend_names,
    get_backend,
    render_messages,
    render_plain,
    truncate_at_stop,
)
from mathpref.generation.tiny import build_tiny_model

pytestmark = pytest.mark.timeout(60)


def test_render_plain_format():
    text = render_plain([("system", "S"), ("user", "U")], prefix="P")
    assert text == "### System:\nS\n\n### User:\nU\n\n### Assistant:\nP"
    assert render_messages(None, [("user", "U")]) == "### User:\nU\n\n### Assistant:\n"


def test_render_chat_template(tiny_tokenizer):
    text = render_messages(tiny_tokenizer, [("system", "S"), ("user", "U")], prefix="P")
    assert text == "<|begin|><|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\nP"


def test_truncate_at_stop():
    assert truncate_at_stop("abc###def\n\nx", ["\n\n", "###"]) == ("abc", True)
    assert truncate_at_stop("abc", ["x"]) == ("abc", False)
    assert truncate_at_stop("abc", []) == ("abc", False)


def test_registry_errors():
    assert backend_names() == ["openai", "scripted", "transformers", "vllm"]
    with pytest.raises(BackendError, match="unknown backend 'nope'.*scripted"):
        get_backend("nope")
    with pytest.raises(BackendError, match="bad configuration for backend 'scripted'"):
        get_backend("scripted", path="x", colour="red")


def test_tiny_model_reused(tiny_model, tiny_tokenizer, tmp_path):
    before = (tiny_model / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_model(tiny_model) == tiny_model
    assert (tiny_model / "model.safetensors").stat().st_mtime_ns == before
    assert tiny_tokenizer.padding_side == "left"
    assert tiny_tokenizer.pad_token and tiny_tokenizer.eos_token and tiny_tokenizer.bos_token
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(tiny_model)
    assert (
        config.hidden_size,
        config.num_hidden_layers,
        config.num_attention_heads,
        config.intermediate_size,
    ) == (64, 2, 4, 128)
    assert config.vocab_size == len(tiny_tokenizer)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x.txt").write_text("user data")
    with pytest.raises(FileExistsError):
        build_tiny_model(tmp_path / "taken")


def test_tiny_model_same_weights_for_same_seed(tiny_model, tmp_path):
    other = build_tiny_model(tmp_path / "again", seed=0)
    assert (other / "model.safetensors").read_bytes() == (
        tiny_model / "model.safetensors"
    ).read_bytes()
    assert (other / "tokenizer.json").read_text() == (tiny_model / "tokenizer.json").read_text()
