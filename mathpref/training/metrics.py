"""Does a model prefer `chosen`? Length-normalised log-probabilities over preference rows.

For each row, the mean per-token log-probability of the chosen completion and of the rejected one
given the prompt, tokenised as TRL's DPOTrainer does (conversational rows through the chat
template: the prompt with a generation prompt, prompt + completion without; standard rows as
plain strings). The completion starts where the two token sequences diverge. A row counts as
preferring chosen when its mean log-probability is strictly higher.

`preference_share(model, tokenizer, rows)` returns the share and the per-row margins (mean
log-prob of chosen minus rejected). Rows are the release's `dpo`/`step_dpo_trl` rows: either
`messages`/`chosen`/`rejected` (full conversations) or `prompt`/`chosen`/`rejected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Preference:
    rows: int
    share: float  # rows where chosen's mean log-prob > rejected's
    mean_margin: float  # mean of (chosen - rejected) mean log-prob, nats per token
    margins: list[float]


def _split(row: dict) -> tuple[Any, Any, Any]:
    """(prompt, chosen completion, rejected completion) in one form."""
    chosen, rejected = row["chosen"], row["rejected"]
    if "prompt" in row and row["prompt"] is not None:
        return row["prompt"], chosen, rejected
    if isinstance(chosen, list):  # full conversations: the prompt is the common prefix
        n = 0
        while n < min(len(chosen), len(rejected)) and chosen[n] == rejected[n]:
            n += 1
        return chosen[:n], chosen[n:], rejected[n:]
    raise ValueError("a standard-form row needs a 'prompt' column")


def _ids(tokenizer: Any, prompt: Any, completion: Any) -> tuple[list[int], list[int]]:
    if isinstance(prompt, list):
        p = tokenizer.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(prompt + completion, tokenize=True)
        p = p["input_ids"] if isinstance(p, dict) or hasattr(p, "keys") else p
        full = full["input_ids"] if isinstance(full, dict) or hasattr(full, "keys") else full
    else:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        full = tokenizer(prompt + completion, add_special_tokens=False)["input_ids"]
    n = 0
    while n < min(len(p), len(full)) and p[n] == full[n]:
        n += 1
    return list(full[:n]), list(full[n:])


def mean_logprob(model: Any, tokenizer: Any, prompt: Any, completion: Any) -> float:
    import torch

    context, target = _ids(tokenizer, prompt, completion)
    if not target:
        return float("nan")
    ids = torch.tensor([context + target], device=model.device)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(context) - 1 : -1].float()
    logp = torch.log_softmax(logits, dim=-1)
    tok = torch.tensor(target, device=model.device)
    return float(logp.gather(1, tok[:, None]).mean().item())


def preference_share(model: Any, tokenizer: Any, rows: list[dict]) -> Preference:
    margins = []
    model.eval()
    for row in rows:
        prompt, chosen, rejected = _split(row)
        c = mean_logprob(model, tokenizer, prompt, chosen)
        r = mean_logprob(model, tokenizer, prompt, rejected)
        margins.append(c - r)
    valid = [m for m in margins if m == m]  # drop NaN (an empty completion)
    share = sum(m > 0 for m in valid) / len(valid) if valid else float("nan")
    mean = sum(valid) / len(valid) if valid else float("nan")
    return Preference(len(rows), share, mean, margins)
