"""Evaluation results of a build in the store: its `eval_examples` / `eval_metrics` dataset."""

from __future__ import annotations

import pyarrow as pa

from mathpref.errors import MathprefError


def run_dataset(store, pipeline: str, kind: str = "eval_examples") -> pa.Table:
    """The one dataset of `kind` in the last build of `pipeline` (a loud error otherwise)."""
    ref = store.read_ref(pipeline)
    ids = [
        o["dataset_id"]
        for outs in ref.outputs().values()
        for o in outs.values()
        if o["kind"] == kind
    ]
    if not ids:
        raise MathprefError(
            f"build of '{pipeline}' has no {kind} dataset: add a metrics stage to its spec"
        )
    if len(ids) > 1:
        raise MathprefError(f"build of '{pipeline}' has {len(ids)} {kind} datasets; keep one")
    return store.read(ids[0])


def has_eval_results(ref) -> bool:
    return any(
        o["kind"] == "eval_examples" for outs in ref.outputs().values() for o in outs.values()
    )
