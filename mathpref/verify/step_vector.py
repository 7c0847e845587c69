"""Columnar step checks: the per-row checker's results, with the claim-free steps settled by
Arrow kernels (first stage of issue 14's vectorised path; see bench/step_checks.py when it lands).

A step in which ``[=≈~]|\\approx|\\sim`` never occurs holds no claim (``claims_in_step`` only looks
for claims where that regex matches, and ``normalize`` creates ``≈`` only from ``\\approx`` and
``\\sim``), so its verdict is ``unchecked`` with no claims and no values, for any text. Every other
distinct step goes through :func:`mathpref.verify.steps._step_summary` itself, so the results are
those of :func:`mathpref.verify.step_batch.check_steps_batch` by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.verify.steps import STATUS_ARITH_ERROR, STATUS_UNCHECKED, _step_summary, split_steps

MAYBE_CLAIM = r"[=≈~]|\\approx|\\sim"


def step_columns(solutions: Sequence[str | None]) -> dict[str, pa.Array]:
    """The six columns of ``STEP_CHECK_SCHEMA`` for `solutions`."""
    per_row = [split_steps(s or "") for s in solutions]
    n_steps = np.fromiter((len(p) for p in per_row), np.int64, len(per_row))
    flat = pa.array(list(chain.from_iterable(per_row)), pa.string())
    enc = (
        pc.dictionary_encode(flat)
        if len(flat)
        else pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
    )
    uniq, codes = enc.dictionary, enc.indices.to_numpy(zero_copy_only=False)
    maybe = pc.match_substring_regex(uniq, MAYBE_CLAIM).to_numpy(zero_copy_only=False)
    k = len(uniq)
    status = np.full(k, STATUS_UNCHECKED, object)
    n_claims = np.zeros(k, np.int64)
    n_failed = np.zeros(k, np.int64)
    values: list[tuple[str, ...]] = [()] * k
    texts = uniq.to_pylist()
    for i in np.flatnonzero(maybe).tolist():
        st, nc, nf, _, vals = _step_summary(texts[i])
        status[i], n_claims[i], n_failed[i], values[i] = st, nc, nf, vals
    offsets = np.zeros(len(per_row) + 1, np.int64)
    np.cumsum(n_steps, out=offsets[1:])
    row_of = np.repeat(np.arange(len(per_row)), n_steps)
    err = status[codes] == STATUS_ARITH_ERROR if len(codes) else np.zeros(0, bool)
    pos = np.arange(len(codes)) - offsets[row_of]
    first = np.full(len(per_row), -1, np.int64)
    hit = np.flatnonzero(err)
    # the first error of each row: hits are in row order, so keep the first per row
    rows_hit, at = np.unique(row_of[hit], return_index=True)
    first[rows_hit] = pos[hit[at]]
    sums_c = np.bincount(row_of, n_claims[codes], len(per_row)).astype(np.int64)
    sums_f = np.bincount(row_of, n_failed[codes], len(per_row)).astype(np.int64)
    statuses = pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.array(status[codes].tolist(), pa.string())
    )
    vcount = np.fromiter((len(v) for v in values), np.int64, k)[codes]
    voff = np.zeros(len(per_row) + 1, np.int64)
    np.cumsum(np.bincount(row_of, vcount, len(per_row)).astype(np.int64), out=voff[1:])
    vflat = list(chain.from_iterable(values[c] for c in codes.tolist()))
    return {
        "step_statuses": statuses,
        "first_arith_error_step": pa.array(first, pa.int32(), mask=first < 0),
        "n_steps": pa.array(n_steps, pa.int32()),
        "n_claims": pa.array(sums_c, pa.int32()),
        "n_failed_claims": pa.array(sums_f, pa.int32()),
        "intermediate_values": pa.ListArray.from_arrays(
            pa.array(voff, pa.int32()), pa.array(vflat, pa.string())
        ),
    }
