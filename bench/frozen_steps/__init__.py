"""FROZEN ANCHOR: the per-row arithmetic step checker as of commit d4b597c (issue 14).

A self-contained copy of mathpref/verify/{steps,step_claims,arith,step_text,step_batch}.py, with
imports pointed at this folder (and step_batch's process-pool option dropped). bench/step_checks.py
times the vectorised path against it in the same run, so the anchor does not speed up with the
code under test. Do not edit these files, and never import them from the mathpref package.
"""

from __future__ import annotations


def clear_caches() -> None:
    """Empty the anchor's memo caches, so that each timed run starts cold."""
    from bench.frozen_steps import arith, step_claims, steps

    steps._step_summary.cache_clear()
    step_claims.claims_in_text.cache_clear()
    arith.num_value.cache_clear()
    arith.evaluate.cache_clear()
    arith._TOK_CACHE.clear()
