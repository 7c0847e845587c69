"""A tiny process reward model for tests: a 2-layer Qwen2 with a 2-label head and `<extra_0>`.

`build_tiny_prm(out_dir, layout="prm")` saves the Qwen2.5-Math-PRM layout (architecture
`Qwen2ForProcessRewardModel`, head `score` = Linear, ReLU, Linear: what vLLM's pooling runner
loads); `layout="token-classification"` saves a `Qwen2ForTokenClassification` (head = one Linear).
The tokenizer is the tiny model's BPE (mathpref/generation/tiny.py) plus the special tokens
`<extra_0>` (the step separator) and `<|wrong|>`.

`known=True` sets the weights by hand so the answer is known without running the code under test:
attention is uniform over the prefix (zero query/key), values and outputs are the identity, the
MLPs add nothing, and only `<|wrong|>` has a non-zero coordinate `WRONG_DIM` in its embedding. So
the hidden state at a separator has that coordinate above zero exactly when `<|wrong|>` occurs
before it, and the head maps it to a step score far below 0.5; every other step scores
sigmoid(2) = 0.88. The first wrong step is the first step that contains `<|wrong|>`.
"""

from __future__ import annotations

import json
from pathlib import Path

from mathpref.errors import MissingDependencyError

SEPARATOR, WRONG = "<extra_0>", "<|wrong|>"
WRONG_DIM = 0
LAYOUTS = ("prm", "token-classification")
SHAPE = {"hidden_size": 128, "num_attention_heads": 2, "intermediate_size": 256}  # head size 64


def _tokenizer(seed: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from mathpref.generation import tiny

    bpe = Tokenizer(models.BPE(unk_token=tiny.UNK))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    specials = [tiny.PAD, tiny.BOS, tiny.EOS, tiny.UNK, *tiny.ROLE_TOKENS, SEPARATOR, WRONG]
    trainer = trainers.BpeTrainer(
        vocab_size=tiny.VOCAB_SIZE,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(tiny.tiny_corpus(seed=seed), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=tiny.BOS,
        eos_token=tiny.EOS,
        pad_token=tiny.PAD,
        unk_token=tiny.UNK,
        additional_special_tokens=[*tiny.ROLE_TOKENS, SEPARATOR, WRONG],
        chat_template=tiny.CHAT_TEMPLATE,
        model_max_length=2048,
    )


def _set_known(base, head_layers, wrong_id: int, torch) -> None:
    """The hand-set weights of the module docstring."""
    h = base.config.hidden_size
    with torch.no_grad():
        emb = base.embed_tokens.weight
        emb[:, WRONG_DIM] = 0.0
        emb[wrong_id].zero_()
        emb[wrong_id, WRONG_DIM] = 50.0
        for layer in base.layers:
            att = layer.self_attn
            for proj in (att.q_proj, att.k_proj):
                proj.weight.zero_()
                proj.bias.zero_()
            att.v_proj.weight.copy_(torch.eye(h))
            att.v_proj.bias.zero_()
            att.o_proj.weight.copy_(torch.eye(h))
            layer.mlp.down_proj.weight.zero_()
        if len(head_layers) == 2:  # Linear(h, h) then Linear(h, 2), a ReLU between
            head_layers[0].weight.copy_(torch.eye(h))
            head_layers[0].bias.zero_()
        last = head_layers[-1]
        last.weight.zero_()
        last.weight[0, WRONG_DIM] = 100.0
        if last.bias is not None:
            last.bias.copy_(torch.tensor([0.0, 2.0]))


def build_tiny_prm(out_dir, layout: str = "prm", known: bool = False, seed: int = 0) -> Path:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    try:
        import torch
        from safetensors.torch import save_file
        from transformers import Qwen2Config, Qwen2ForTokenClassification, Qwen2Model
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "transformers", "train") from exc
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(seed)
    tok.save_pretrained(out)
    arch = "Qwen2ForProcessRewardModel" if layout == "prm" else "Qwen2ForTokenClassification"
    config = Qwen2Config(
        vocab_size=len(tok),
        num_hidden_layers=2,
        num_key_value_heads=SHAPE["num_attention_heads"],
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        num_labels=2,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        architectures=[arch],
        **SHAPE,
    )
    torch.manual_seed(seed)
    wrong_id = tok.convert_tokens_to_ids(WRONG)
    if layout == "token-classification":
        model = Qwen2ForTokenClassification(config)
        if known:
            _set_known(model.model, [model.score], wrong_id, torch)
        model.save_pretrained(out)
    else:
        base = Qwen2Model(config)
        head = torch.nn.Sequential(
            torch.nn.Linear(config.hidden_size, config.hidden_size),
            torch.nn.ReLU(),
            torch.nn.Linear(config.hidden_size, 2),
        )
        if known:
            _set_known(base, [head[0], head[2]], wrong_id, torch)
        tensors = {f"model.{k}": v.contiguous() for k, v in base.state_dict().items()}
        tensors |= {f"score.{k}": v.contiguous() for k, v in head.state_dict().items()}
        save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
        config.save_pretrained(out)
    (out / ".mathpref-tiny-prm.json").write_text(json.dumps({"layout": layout, "known": known}))
    return out
