"""The prompt of every trajectory in the two forms a release writes.

- conversational: the turns the model saw (`trajectories.prompt_messages`), as a list of
  {role, content}; an assistant answer is one more turn.
- standard: the exact rendered prompt string, so prompt + completion is the real token sequence.
  Generated trajectories store it (`trajectories.prompt`, chat template or plain format applied).
  Imported logs hold only the question: their prompt is rendered from the turns with the chat
  template of `--chat-template TOKENIZER`, or the standard form fails saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa

from mathpref.release.source import ReleaseError
from mathpref.turns import decode_turns


@dataclass
class Prompts:
    index: dict[str, int]  # trajectory_id -> row
    turns_json: list[str]  # canonical JSON of the turns, to compare prompts
    turns: list[list[dict[str, str]]]
    rendered: list[str | None]  # None: no rendered form (imported, no --chat-template)
    completion: list[str]
    template: str  # how imported prompts were rendered: "" or the --chat-template value

    def of(self, tid: str) -> int:
        try:
            return self.index[tid]
        except KeyError:
            raise ReleaseError(f"trajectory {tid} is referenced but not in the build") from None

    def rendered_or_fail(self, row: int, what: str) -> str:
        text = self.rendered[row]
        if text is None:
            raise ReleaseError(
                f"{what}: trajectory {self.trajectory_ids[row]} has no chat-rendered prompt "
                "(an imported log holds the bare question); give --chat-template TOKENIZER "
                "to render it, or release in the conversational format"
            )
        return text

    @property
    def trajectory_ids(self) -> list[str]:
        ids = [""] * len(self.index)
        for tid, i in self.index.items():
            ids[i] = tid
        return ids


def load_tokenizer(name: str):
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        from mathpref.errors import MissingDependencyError

        raise MissingDependencyError("transformers", "train") from exc
    try:
        tok = AutoTokenizer.from_pretrained(name)
    except Exception as exc:
        raise ReleaseError(f"--chat-template {name}: cannot load the tokenizer ({exc})") from None
    if not getattr(tok, "chat_template", None):
        raise ReleaseError(f"--chat-template {name}: the tokenizer has no chat template")
    return tok


def build_prompts(trajectories: pa.Table, chat_template: str = "") -> Prompts:
    cols = trajectories.select(
        ["trajectory_id", "backend", "prompt", "prompt_messages", "completion"]
    ).to_pydict()
    tokenizer = load_tokenizer(chat_template) if chat_template else None
    turns, turns_json, rendered = [], [], []
    for tid, backend, prompt, stored in zip(
        cols["trajectory_id"],
        cols["backend"],
        cols["prompt"],
        cols["prompt_messages"],
        strict=True,
    ):
        t = decode_turns(stored)
        if t is None:
            if backend != "import":
                raise ReleaseError(f"trajectory {tid} ({backend}) has no prompt_messages")
            t = [{"role": "user", "content": prompt}]
        turns.append(t)
        turns_json.append(json.dumps(t, ensure_ascii=False, sort_keys=True))
        if backend != "import":
            rendered.append(prompt)
        elif tokenizer is not None:
            rendered.append(
                tokenizer.apply_chat_template(t, tokenize=False, add_generation_prompt=True)
            )
        else:
            rendered.append(None)
    index = {tid: i for i, tid in enumerate(cols["trajectory_id"])}
    return Prompts(index, turns_json, turns, rendered, cols["completion"], chat_template)


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}
