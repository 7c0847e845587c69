"""A tiny randomly initialised Llama model with a real BPE tokenizer and chat template.

For tests and demos without network access: `build_tiny_model(out_dir)` trains a byte-level BPE
tokenizer on a built-in corpus of GSM8K-like sentences, wraps it in `PreTrainedTokenizerFast` with
special tokens and a chat template, creates a 2-layer `LlamaConfig` model with random weights from
a fixed seed, and saves both with `save_pretrained`. Its completions are gibberish, but every code
path (chat template, padding, sampling, stop strings, lengths) is exercised. Takes ~1-2 s on CPU.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path

from mathpref.errors import MissingDependencyError

BOS, EOS, PAD, UNK = "<|begin|>", "<|end|>", "<|pad|>", "<|unk|>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]
MARKER = ".mathpref-tiny.json"
VOCAB_SIZE = 600

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)

_NAMES = ["Natalia", "James", "Weng", "Betty", "Julie", "Tina", "Randy", "Mark", "Ali", "Maria"]
_ITEMS = ["apples", "clips", "books", "cookies", "marbles", "pencils", "eggs", "stickers"]
_TEMPLATES = [
    "{a} sold {x} {item} in April, and half as many in May. How many {item} did {a} sell?",
    "{a} has {x} {item}. {b} gives {a} {y} more. How many {item} does {a} have now?",
    "{a} earns ${x} an hour. Yesterday {a} worked {y} hours. How much did {a} earn?",
    "There are {x} {item} in a box. {a} takes {y} of them. How many {item} are left?",
    "{a} buys {x} packs of {item} with {y} in each pack. How many {item} does {a} buy?",
    "{a} reads {x} pages a day for {y} days. How many pages does {a} read in total?",
    "Step 1: {x} + {y} = {s}. Step 2: {s} * 2 = {d}. The answer is {d}.",
    "{a} had {s} {item} and gave {y} to {b}, so {a} has {s} - {y} = {x} {item} left.",
    "So the total is {x} * {y} = {p}. The answer is {p}.",
    "Let's check: {p} / {y} = {x}, which matches. The answer is \\boxed{{{p}}}.",
    "Wait, the question asks for the difference, so {s} - {x} = {y}. The answer is {y}.",
]


def tiny_corpus(lines: int = 400, seed: int = 0) -> list[str]:
    """GSM8K-like sentences, generated deterministically."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        a, b = rng.sample(_NAMES, 2)
        x, y = rng.randint(2, 99), rng.randint(2, 20)
        out.append(
            rng.choice(_TEMPLATES).format(
                a=a, b=b, item=rng.choice(_ITEMS), x=x, y=y, s=x + y, d=2 * (x + y), p=x * y
            )
        )
    return out


def _is_complete(path: Path) -> bool:
    needed = ["config.json", "tokenizer.json", "tokenizer_config.json", MARKER]
    if not all((path / name).is_file() for name in needed):
        return False
    return any(path.glob("*.safetensors"))


# Named shapes: "default" is the model of smoke-tiny (head size 16); "h64" has head size 64
# (hidden 128, 2 heads), the smallest that vLLM's CPU attention accepts.
VARIANTS = {
    "default": {"hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128},
    "h64": {"hidden_size": 128, "num_attention_heads": 2, "intermediate_size": 256},
}


def build_tiny_model(out_dir: str | Path, seed: int = 0, variant: str = "default") -> Path:
    """Build (or reuse) the tiny model in `out_dir`; returns `out_dir` as a Path.

    `variant` picks the shape (`VARIANTS`); the tokenizer and chat template are the same.

    Idempotent: a complete model already in `out_dir` is reused as is. The model is built in a
    temporary folder next to `out_dir` and renamed into place, so a crash never leaves half a
    model behind.
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown tiny model variant {variant!r}; valid: {sorted(VARIANTS)}")
    shape = VARIANTS[variant]
    out = Path(out_dir)
    if _is_complete(out):
        return out
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists, is not empty and does not hold a tiny model")
    try:
        import torch
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "transformers", "train") from exc

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        bpe = Tokenizer(models.BPE(unk_token=UNK))
        bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        bpe.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=VOCAB_SIZE,
            special_tokens=[PAD, BOS, EOS, UNK, *ROLE_TOKENS],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        bpe.train_from_iterator(tiny_corpus(seed=seed), trainer=trainer)
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_object=bpe,
            bos_token=BOS,
            eos_token=EOS,
            pad_token=PAD,
            unk_token=UNK,
            additional_special_tokens=ROLE_TOKENS,
            padding_side="left",
            chat_template=CHAT_TEMPLATE,
            model_max_length=2048,
        )
        tokenizer.save_pretrained(tmp)

        config = LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=shape["hidden_size"],
            num_hidden_layers=2,
            num_attention_heads=shape["num_attention_heads"],
            num_key_value_heads=shape["num_attention_heads"],
            intermediate_size=shape["intermediate_size"],
            max_position_embeddings=2048,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            tie_word_embeddings=False,
        )
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        model.save_pretrained(tmp)
        marker = {"seed": seed, "vocab_size": len(tokenizer)}
        if variant != "default":
            marker["variant"] = variant
        (tmp / MARKER).write_text(json.dumps(marker))
        try:
            if out.exists():
                out.rmdir()
            os.replace(tmp, out)
        except OSError:
            if not _is_complete(out):  # lost a race to another builder: reuse its model
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
