"""The stage entry points (narrow column reads, texts as dictionaries) give the library's rows."""

import numpy as np
import pyarrow as pa

from mathpref.schemas import get_schema
from mathpref.scoring import PairConfig, ScoreConfig, build_pairs, compute_scores
from mathpref.scoring.staged import build_pairs_staged, compute_scores_staged
from mathpref.scoring.synthetic import make_synthetic
from mathpref.store.fingerprint import sort_table


def _same(a, b, kind):
    """Equal rows; floats to 1e-12 (DuckDB's parallel float sums differ in the last bit from one
    run of the library to the next)."""
    key = get_schema(kind).key
    a, b = sort_table(a, key), sort_table(b, key)
    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a[name], b[name]
        if pa.types.is_floating(x.type):
            if not x.is_null().equals(y.is_null()):
                return False
            xs, ys = (np.asarray(c.fill_null(0.0).to_numpy()) for c in (x, y))
            if not np.allclose(xs, ys, rtol=0, atol=1e-12):
                return False
        elif not x.equals(y):
            return False
    return True


def _reader(tables, reads):
    def read(kind, columns=None):
        reads.append((kind, columns))
        table = tables[kind]
        return table if columns is None else table.select(columns)

    return read


def test_staged_scores_and_pairs_equal_the_library():
    p, t, v = make_synthetic(300, continuation_fraction=0.3)
    tables = {"problems": p, "trajectories": t, "verifications": v}
    scores = compute_scores(p, t, v, ScoreConfig())
    reads = []
    staged_scores = compute_scores_staged(_reader(tables, reads), ScoreConfig())
    for kind, table in scores.items():
        assert _same(staged_scores[kind], table, kind), kind
    assert ("trajectories", None) not in reads
    tables.update(scores)
    calls = []
    for config in (PairConfig(), PairConfig(prompt_source="trajectory", kto_balance="label")):
        want = build_pairs(p, t, v, scores["trajectory_scores"], scores["problem_scores"], config)
        before = len(calls)
        got = build_pairs_staged(_reader(tables, []), lambda: calls.append(1), config)
        assert len(calls) == before + 1  # release() ran once
        assert got["report"] == want["report"]
        assert want["step_pairs"].num_rows > 0
        for kind in ("pairs", "step_pairs", "kto_rows"):
            conformed = get_schema(kind).conform(got[kind])
            assert _same(conformed, want[kind], kind), kind
        assert pa.types.is_dictionary(got["kto_rows"].schema.field("completion").type)
