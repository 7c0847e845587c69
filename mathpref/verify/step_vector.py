"""Columnar step checks: the per-row checker's results for a whole column (issue 14, item 5).

1. steps are split in polars (:mod:`.step_vector_split`) and deduplicated;
2. a step in which ``[=≈~]|\\approx|\\sim`` never occurs holds no claim (``claims_in_step`` only
   looks for claims where that regex matches, and ``normalize`` creates ``≈`` only from
   ``\\approx``/``\\sim``): ``unchecked``, no claims, no values, for any text;
3. note steps and single-claim text steps whose claims are exactly right are settled column-wise
   with int64 rational arithmetic (:mod:`.step_vector_claims`);
4. every other distinct step goes through :func:`mathpref.verify.steps._step_summary` itself.

The results equal :func:`mathpref.verify.step_batch.check_steps_batch`'s per-row loop, row by row
(tests/verify/test_step_vector.py compares them on every real set and hand-made edge cases).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mathpref.verify.step_claims import _MAYBE_CLAIM
from mathpref.verify.step_vector_claims import settle
from mathpref.verify.step_vector_split import split_column
from mathpref.verify.steps import STATUS_ARITH_ERROR, STATUS_OK, STATUS_UNCHECKED, _step_summary

MAYBE_CLAIM = _MAYBE_CLAIM.pattern
_STATUS = [STATUS_OK, STATUS_ARITH_ERROR, STATUS_UNCHECKED]
_CODE = {s: i for i, s in enumerate(_STATUS)}


def _distinct(flat) -> tuple[pa.Array, np.ndarray]:
    arr = flat.to_arrow()
    if len(arr) == 0:
        return pa.array([], pa.large_string()), np.zeros(0, np.int64)
    enc = pc.dictionary_encode(arr)
    return enc.dictionary, enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _per_step(uniq: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.ListArray]:
    """Status code, claims, failed claims and values of each distinct step."""
    import polars as pl

    k = len(uniq)
    code = np.full(k, _CODE[STATUS_UNCHECKED], np.int8)
    n_claims = np.zeros(k, np.int64)
    n_failed = np.zeros(k, np.int64)
    v_step = [np.zeros(0, np.int64)]
    v_text = [pl.Series([], dtype=pl.String)]
    maybe = np.flatnonzero(pc.match_substring_regex(uniq, MAYBE_CLAIM).to_numpy(False))
    if len(maybe):
        texts = pl.Series(uniq.take(pa.array(maybe)))
        fast = settle(texts)
        done = maybe[fast["settled"]]
        n_claims[done] = fast["n_claims"][fast["settled"]]
        n_failed[done] = fast["n_failed"][fast["settled"]]
        code[done] = np.where(n_failed[done] > 0, _CODE[STATUS_ARITH_ERROR], _CODE[STATUS_OK])
        v_step.append(maybe[fast["value_step"]])
        v_text.append(fast["value_text"])
        rest = np.flatnonzero(~fast["settled"])
        if len(rest):
            slow_step, slow_text = [], []
            for j, text in zip(rest.tolist(), texts.gather(rest).to_list(), strict=True):
                st, nc, nf, _, vals = _step_summary(text)
                i = maybe[j]
                code[i], n_claims[i], n_failed[i] = _CODE[st], nc, nf
                slow_step.extend([i] * len(vals))
                slow_text.extend(vals)
            v_step.append(np.array(slow_step, np.int64))
            v_text.append(pl.Series(slow_text, dtype=pl.String))
    vs, vt = np.concatenate(v_step), pl.concat(v_text)
    order = np.argsort(vs, kind="stable")  # each source lists a step's values in order
    offsets = np.zeros(k + 1, np.int64)
    np.cumsum(np.bincount(vs, minlength=k), out=offsets[1:])
    flat = vt.gather(order).to_arrow().cast(pa.string())
    return code, n_claims, n_failed, pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat)


def step_columns(solutions: Sequence[str | None]) -> dict[str, pa.Array]:
    """The six columns of ``STEP_CHECK_SCHEMA`` for `solutions`."""
    flat, n_steps = split_column(list(solutions))
    n = len(n_steps)
    uniq, codes = _distinct(flat)
    code, claims, failed, values = _per_step(uniq)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(n_steps, out=offsets[1:])
    row_of = np.repeat(np.arange(n), n_steps)
    step_code = code[codes]
    pos = np.arange(len(codes)) - offsets[row_of]
    first = np.full(n, -1, np.int64)
    hit = np.flatnonzero(step_code == _CODE[STATUS_ARITH_ERROR])
    rows_hit, at = np.unique(row_of[hit], return_index=True)  # hits are in row order
    first[rows_hit] = pos[hit[at]]
    vcount = np.diff(values.offsets.to_numpy())[codes]
    voff = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(row_of, vcount, n).astype(np.int64), out=voff[1:])
    vflat = (
        pc.list_flatten(values.take(pa.array(codes))) if len(codes) else pa.array([], pa.string())
    )
    return {
        "step_statuses": pa.ListArray.from_arrays(
            pa.array(offsets, pa.int32()), pa.array(_STATUS, pa.string()).take(pa.array(step_code))
        ),
        "first_arith_error_step": pa.array(first, pa.int32(), mask=first < 0),
        "n_steps": pa.array(n_steps, pa.int32()),
        "n_claims": pa.array(np.bincount(row_of, claims[codes], n).astype(np.int64), pa.int32()),
        "n_failed_claims": pa.array(
            np.bincount(row_of, failed[codes], n).astype(np.int64), pa.int32()
        ),
        "intermediate_values": pa.ListArray.from_arrays(
            pa.array(voff, pa.int32()), vflat.cast(pa.string())
        ),
    }
