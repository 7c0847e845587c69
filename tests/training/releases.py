"""Hand-made release folders in the layout of `mathpref release` (issue 8):
`data/<config>/<split>-00000-of-00001.parquet` + README.md with a `configs:` block.

dpo: conversational `messages` / `chosen` / `rejected`; kto: `prompt` / `completion` / `label`;
sft: `prompt` / `completion`; step_dpo: standard strings (`prompt` = rendered chat prompt +
reasoning prefix, `chosen` / `rejected` = the next step), plus a few extra columns as a release
has them.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SYSTEM = "Solve the problem. End with 'The answer is N.'"


def _turns(i: int) -> list[dict]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Tom has {i} apples and buys 2 more. How many apples?"},
    ]


def _right(i: int) -> str:
    return f"{i} + 2 = {i + 2}. The answer is {i + 2}."


def _wrong(i: int) -> str:
    return f"{i} + 3 = {i + 3}. The answer is {i + 3}."


def _asst(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def rows(config: str, i: int, *, tokenizer=None) -> list[dict]:
    base = {"problem_id": f"p{i}"}
    if config == "dpo":
        t = _turns(i)
        return [
            {
                "messages": t,
                "chosen": t + _asst(_right(i)),
                "rejected": t + _asst(_wrong(i)),
                "pair_type": "correctness",
                "margin": 1.0,
                **base,
            }
        ]
    if config == "kto":
        t = _turns(i)
        return [
            {"prompt": t, "completion": _asst(_right(i)), "label": True, **base},
            {"prompt": t, "completion": _asst(_wrong(i)), "label": False, **base},
        ]
    if config == "sft":
        return [{"prompt": _turns(i), "completion": _asst(_right(i)), **base}]
    if config == "step_dpo":
        prefix = f"We start with {i} apples.\n"
        rendered = (
            tokenizer.apply_chat_template(_turns(i), tokenize=False, add_generation_prompt=True)
            if tokenizer is not None
            else f"### User:\n{_turns(i)[1]['content']}\n\n### Assistant:\n"
        )
        return [
            {
                "prompt": rendered + prefix,
                "chosen": f"Adding 2 gives {i + 2}.",
                "rejected": f"Adding 2 gives {i + 3}.",
                "initial_reason_steps": prefix,
                **base,
            }
        ]
    raise ValueError(config)


def make_release(
    folder: Path,
    configs=("dpo", "kto", "sft", "step_dpo"),
    *,
    train: int = 10,
    test: int = 3,
    tokenizer=None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", "configs:"]
    for config in configs:
        lines.append(f"- config_name: {config}")
        lines.append("  data_files:")
        for split, idx in (("train", range(train)), ("test", range(100, 100 + test))):
            if not len(idx):
                continue
            table = pa.Table.from_pylist(
                [r for i in idx for r in rows(config, i, tokenizer=tokenizer)]
            )
            rel = f"data/{config}/{split}-00000-of-00001.parquet"
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, folder / rel)
            lines += [f"  - split: {split}", f"    path: {rel}"]
    lines += ["---", "", "# a hand-made test release", ""]
    (folder / "README.md").write_text("\n".join(lines))
    return folder
