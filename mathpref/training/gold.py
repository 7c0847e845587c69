"""SFT data from a problems dataset's gold solutions (the recipe's first phase).

`load_problems(value)` reads problems from a file (through the problems stage, with a field
preset such as `gsm8k`) or from a pipeline's last build (a spec path or pipeline name: its
`problems` stage output in the store). `gold_sft_dataset` turns each problem with a reference
solution into one conversational prompt/completion row: the prompt is the optional system prompt
and the user template filled with the question (use the arm the next round generates with, so
SFT and sampling see the same prompt), the completion is the gold solution. GSM8K's calculator
notes `<<48/2=24>>` are stripped by default (`notes="keep"` keeps them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa

from mathpref.errors import MathprefError

CALC_NOTE = re.compile(r"<<[^<>\n=]*=[^<>\n]*>>")
NOTES = ("strip", "keep")


class GoldDataError(MathprefError):
    """Problems cannot be turned into SFT rows."""


def strip_calculator_notes(text: str) -> str:
    """`48/2 = <<48/2=24>>24` -> `48/2 = 24` (GSM8K's calculator annotations)."""
    return CALC_NOTE.sub("", text)


def _is_spec(value: str) -> bool:
    if value.endswith(".toml"):
        return True
    if Path(value).exists():
        return False
    from mathpref.pipeline.spec import find_spec

    try:
        find_spec(value)
    except Exception:
        return False
    return True


def load_problems(value: str, *, preset: str = "gsm8k", store: str = ".mathpref") -> pa.Table:
    """Problems table (the `problems` schema) from a file or a pipeline's last build."""
    if _is_spec(value):
        from mathpref.pipeline.spec import load_spec
        from mathpref.store import open_store

        spec = load_spec(value)
        names = [n for n, s in spec.stages.items() if s.kind == "problems"]
        if len(names) != 1:
            raise GoldDataError(f"pipeline '{spec.name}' has {len(names)} problems stages, not 1")
        try:
            ref = open_store(store).read_ref(spec.name)
        except Exception as exc:
            raise GoldDataError(
                f"pipeline '{spec.name}' has no build in store {store}: run "
                f"`mathpref build {value} --store {store}` first ({exc})"
            ) from None
        return open_store(store).read(ref.output(names[0], "problems")["dataset_id"])
    from mathpref.stages.problems import ProblemsStage

    path = Path(value)
    if not path.exists():
        raise GoldDataError(f"--problems '{value}': no such file, and not a pipeline spec")
    stage = ProblemsStage("problems", {"path": str(path.resolve()), "preset": preset}, Path.cwd())
    table = stage.run_shard(None, 0, 1)["problems"]
    if table is None:
        raise GoldDataError(f"{value}: no problems read")
    return table


def gold_sft_rows(
    problems: pa.Table,
    *,
    user_template: str = "{question}",
    system_prompt: str = "",
    notes: str = "strip",
    limit: int = 0,
) -> list[dict]:
    if notes not in NOTES:
        raise GoldDataError(f"calculator notes must be one of {NOTES}, not '{notes}'")
    if "{question}" not in user_template:
        raise GoldDataError("the user template must contain '{question}'")
    rows = []
    for p in problems.sort_by("source_index").to_pylist():
        sol = p.get("gold_solution")
        if not sol or not str(sol).strip():
            continue
        if notes == "strip":
            sol = strip_calculator_notes(sol)
        prompt = [{"role": "system", "content": system_prompt}] if system_prompt else []
        prompt.append(
            {"role": "user", "content": user_template.replace("{question}", p["question"])}
        )
        rows.append(
            {
                "prompt": prompt,
                "completion": [{"role": "assistant", "content": sol}],
                "problem_id": p["problem_id"],
            }
        )
        if limit and len(rows) >= limit:
            break
    if not rows:
        raise GoldDataError("no problem has a gold solution (gold_solution is empty everywhere)")
    return rows


def gold_sft_dataset(problems: pa.Table, **kwargs):
    import datasets

    rows = gold_sft_rows(problems, **kwargs)
    return datasets.Dataset.from_list(rows).select_columns(["prompt", "completion"]), rows
