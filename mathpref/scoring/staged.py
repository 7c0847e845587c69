"""Scores and pairs for a pipeline stage, reading only the input columns the SQL uses.

`compute_scores` / `build_pairs` take whole tables; a stage instead passes `read(kind, columns)`
(columns=None: every column; `keep=False`: not cached) and `release()` (drop every input read
so far). With 1,000,000 trajectories the completions are ~300 MB, the prompts ~170 MB, the
step-check lists of `verifications` as much again, and the pair outputs hold ~1 GB of texts, so
the inputs are narrowed to what the queries read, the texts are kept out of the SQL (see
`_texts_to_estimate` and `text_hash`) and read again only after the inputs are released. The
results are identical to `build_pairs` / `compute_scores` on the whole tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.db import connection as _sql
from mathpref.memory import release_memory
from mathpref.scoring.config import PairConfig, ScoreConfig
from mathpref.scoring.pairs import TEXT_HASH, attach_texts, select_pairs, text_hash, with_text_hash
from mathpref.scoring.scores import compute_scores

# read(kind, columns, keep=True): columns=None is every column; keep=False asks the reader not
# to cache what this call reads (a text column used once).
Reader = Callable[..., pa.Table]

# Columns the score queries (sql/scores) read; None = all (small tables). `completion` is read
# on its own and kept only where the token estimate needs it (rows without completion_tokens).
SCORE_COLUMNS: dict[str, list[str] | None] = {
    "problems": None,
    "trajectories": [
        "trajectory_id",
        "problem_id",
        "arm",
        "probe",
        "parent_trajectory_id",
        "completion_tokens",
        "finish_reason",
    ],
    "verifications": [
        "trajectory_id",
        "problem_id",
        "status",
        "answer_key",
        "extraction_rule",
        "intermediate_values",
    ],
}

# Columns the pair-selection queries (sql/pairs) read. The texts (`completion`, and `prompt`
# when the prompt comes from the trajectory) are read on their own: for the SQL only their
# hashes are kept, unless the step queries can run (continuations in the input), which read
# the texts themselves.
PAIR_COLUMNS: dict[str, list[str] | None] = {
    "problems": ["problem_id", "question"],
    "trajectories": [
        "trajectory_id",
        "problem_id",
        "arm",
        "probe",
        "parent_trajectory_id",
        "prefix",
        "completion_tokens",
        "finish_reason",
        "source_error_step",
    ],
    "verifications": [
        "trajectory_id",
        "problem_id",
        "status",
        "answer_key",
        "extraction_rule",
        "first_arith_error_step",
    ],
    "trajectory_scores": [
        "trajectory_id",
        "problem_id",
        "arm",
        "status",
        "reward",
        "eligible",
        "is_continuation",
    ],
    "problem_scores": ["problem_id", "split", "pass_rate"],
}


def compute_scores_staged(read: Reader, config: ScoreConfig | None = None) -> dict[str, pa.Table]:
    """`compute_scores` on the columns the score queries read."""
    tables = {k: read(k, cols) for k, cols in SCORE_COLUMNS.items()}
    traj = tables["trajectories"]
    tables["trajectories"] = traj.append_column("completion", _texts_to_estimate(read, traj))
    return compute_scores(
        tables["problems"], tables["trajectories"], tables["verifications"], config
    )


def _texts_to_estimate(read: Reader, traj: pa.Table) -> pa.Array | pa.ChunkedArray:
    """The completions whose token count is estimated from the text (no completion_tokens);
    null elsewhere, so the ~300 MB of texts of 1M trajectories are not held while scoring."""
    lacking = pc.is_null(traj["completion_tokens"])
    if not pc.any(lacking).as_py():
        return pa.nulls(traj.num_rows, pa.string())
    text = read("trajectories", ["completion"], keep=False)["completion"]
    drop = pc.invert(lacking).to_numpy(zero_copy_only=False)
    # take() with null positions builds a compact array (if_else would copy every text); chunk
    # by chunk, so no single array has to hold more than 2 GiB of texts
    kept, start = [], 0
    for chunk in text.chunks:
        mask = drop[start : start + len(chunk)]
        kept.append(chunk.take(pa.array(np.arange(len(chunk)), mask=mask)))
        start += len(chunk)
    del text
    release_memory()  # the dropped texts, before the SQL runs
    return pa.chunked_array(kept, type=kept[0].type if kept else pa.string())


def build_pairs_staged(
    read: Reader,
    release: Callable[[], None],
    config: PairConfig | None = None,
    step_labels: pa.Table | None = None,
) -> dict[str, Any]:
    """`build_pairs` on narrow inputs; the inputs are released before the texts are taken.
    `step_labels`: the step sources the config's `step_sources` may name."""
    config = config or PairConfig()
    tables = {k: read(k, cols) for k, cols in PAIR_COLUMNS.items()}
    traj = tables["trajectories"]
    text_columns = ["completion"] + (["prompt"] if config.prompt_source == "trajectory" else [])
    steps = (
        "step" in config.strategies and pc.any(pc.is_valid(traj["parent_trajectory_id"])).as_py()
    )
    if steps:  # the step queries read both texts: read once, held until the texts are taken
        texts = read("trajectories", ["completion", "prompt"], keep=False)
        for name in texts.column_names:
            traj = traj.append_column(name, texts[name])
        traj = with_text_hash(traj)
    else:  # only the hashes for the SQL; the texts are read again once the inputs are released
        texts = None
        completion = read("trajectories", ["completion"], keep=False)["completion"]
        traj = traj.append_column(TEXT_HASH, text_hash(completion))
        del completion
        release_memory()  # the dropped texts, before the SQL runs
    tables["trajectories"] = traj
    con = _sql.connect()
    try:
        _sql.register(con, {k: tables[k] for k in ("problems", "trajectories")}, row_numbers=True)
        _sql.register(
            con, {k: tables[k] for k in ("verifications", "trajectory_scores", "problem_scores")}
        )
        if step_labels is not None:
            _sql.register(con, {"step_labels": step_labels})
        narrow, report = select_pairs(con, config)
    finally:
        con.close()
    # Keep only the text columns attach_texts takes (row positions are unchanged), each as one
    # Array, so the outputs reference them as dictionaries instead of copying every text.
    problems = _single_chunk(tables["problems"].select(["question"]))
    del tables, traj
    release()
    if texts is None:
        texts = read("trajectories", text_columns, keep=False)
    return attach_texts(
        narrow, problems, _single_chunk(texts.select(text_columns)), config, report, conform=False
    )


# Above this many bytes a text column stays chunked (a single string Array has 32-bit offsets)
# and its texts are copied into the outputs as usual.
_SINGLE_ARRAY_MAX_BYTES = 1 << 30


def _single_chunk(table: pa.Table) -> dict[str, pa.Array | pa.ChunkedArray]:
    out: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in table.column_names:
        col = table[name]
        out[name] = col.combine_chunks() if col.nbytes <= _SINGLE_ARRAY_MAX_BYTES else col
    return out
