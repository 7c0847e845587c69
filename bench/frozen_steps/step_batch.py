# FROZEN ANCHOR (issue 14): a copy of mathpref/verify/step_batch.py as of commit d4b597c, the per-row step
# checker that bench/step_checks.py measures the vectorised path against. Do not edit it, and never
# import it from the mathpref package: it must not speed up (or change) with the code under test.
"""Columnar batch form of :func:`mathpref.verify.steps.check_steps`."""

from __future__ import annotations

import gc
from collections.abc import Sequence

import pyarrow as pa

from bench.frozen_steps.steps import check_steps

STEP_CHECK_SCHEMA = pa.schema(
    [
        ("step_statuses", pa.list_(pa.string())),
        ("first_arith_error_step", pa.int32()),
        ("n_steps", pa.int32()),
        ("n_claims", pa.int32()),
        ("n_failed_claims", pa.int32()),
        ("intermediate_values", pa.list_(pa.string())),
    ]
)
_CHUNK = 20_000


def _columns(solutions: Sequence[str]) -> tuple[list, ...]:
    # The checker allocates many short-lived tuples but creates no reference cycles, so the
    # cyclic GC only costs time here (up to ~half of it with large caches alive): pause it.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _columns_nogc(solutions)
    finally:
        if was_enabled:
            gc.enable()


def _columns_nogc(solutions: Sequence[str]) -> tuple[list, ...]:
    statuses, first, n_steps, n_claims, n_failed, values = [], [], [], [], [], []
    for sol in solutions:
        rep = check_steps(sol or "")
        statuses.append(rep.step_statuses)
        first.append(rep.first_arith_error_step)
        n_steps.append(len(rep.steps))
        n_claims.append(rep.n_claims)
        n_failed.append(rep.n_failed)
        values.append(rep.intermediate_values)
    return statuses, first, n_steps, n_claims, n_failed, values


def check_steps_batch(solutions: Sequence[str]) -> pa.Table:
    """Check many solutions in this process; one row per solution (``STEP_CHECK_SCHEMA``).

    (The original's ``workers`` option, a process pool from mathpref.procs, is left out so that
    this copy imports nothing from the package: the anchor is single-process.)"""
    cols = _columns(list(solutions))
    arrays = [pa.array(c, type=f.type) for c, f in zip(cols, STEP_CHECK_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=STEP_CHECK_SCHEMA)
