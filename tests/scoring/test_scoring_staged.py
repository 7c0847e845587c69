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
    def read(kind, columns=None, keep=True):
        reads.append((kind, columns) if keep else (kind, columns, "once"))
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


def test_texts_are_read_uncached_and_only_where_the_sql_needs_them():
    p, t, v = make_synthetic(120)  # no continuations: the step queries cannot run
    tables = {"problems": p, "trajectories": t, "verifications": v}
    reads = []
    scores = compute_scores_staged(_reader(tables, reads), ScoreConfig())
    # the texts are read once, uncached, for the token estimate of rows without a count
    assert [r for r in reads if "completion" in (r[1] or [])] == [
        ("trajectories", ["completion"], "once")
    ]
    assert _same(
        scores["trajectory_scores"],
        compute_scores(p, t, v)["trajectory_scores"],
        "trajectory_scores",
    )

    # every row has a token count: the texts are not read at all, the scores are the same
    counted = t.set_column(
        t.schema.get_field_index("completion_tokens"),
        "completion_tokens",
        pa.array(np.full(t.num_rows, 40), t.schema.field("completion_tokens").type),
    )
    reads = []
    tables["trajectories"] = counted
    got = compute_scores_staged(_reader(tables, reads), ScoreConfig())
    assert not [r for r in reads if "completion" in (r[1] or [])]
    want = compute_scores(p, counted, v)
    assert _same(got["trajectory_scores"], want["trajectory_scores"], "trajectory_scores")

    # pairs: the hashes come from one uncached read; the texts are read again after release()
    tables.update(scores, trajectories=t)
    events = []
    read = _reader(tables, events)
    got = build_pairs_staged(read, lambda: events.append("release"), PairConfig())
    texts = [e for e in events if e == "release" or "completion" in (e[1] or [])]
    assert texts == [
        ("trajectories", ["completion"], "once"),
        "release",
        ("trajectories", ["completion"], "once"),
    ]
    want = build_pairs(p, t, v, scores["trajectory_scores"], scores["problem_scores"])
    assert _same(get_schema("pairs").conform(got["pairs"]), want["pairs"], "pairs")

    # prompts from the trajectory: read with the completions, after release()
    config = PairConfig(prompt_source="trajectory")
    events = []
    got = build_pairs_staged(_reader(tables, events), lambda: events.append("release"), config)
    assert events[events.index("release") + 1] == (
        "trajectories",
        ["completion", "prompt"],
        "once",
    )
    want = build_pairs(p, t, v, scores["trajectory_scores"], scores["problem_scores"], config)
    for kind in ("pairs", "kto_rows"):
        assert _same(get_schema(kind).conform(got[kind]), want[kind], kind), kind


def test_byte_identical_texts_are_still_left_out_of_pairs():
    p, t, v = make_synthetic(60)
    scores = compute_scores(p, t, v)
    base = build_pairs(p, t, v, scores["trajectory_scores"], scores["problem_scores"])
    # every completion of problem 0 becomes the same text: its correct/incorrect pairs vanish
    pid = base["pairs"]["problem_id"][0].as_py()
    mask = pa.compute.equal(t["problem_id"], pid)
    same = pa.compute.if_else(mask, "The answer is 5.", t["completion"])
    t2 = t.set_column(t.schema.get_field_index("completion"), "completion", same)
    got = build_pairs(p, t2, v, scores["trajectory_scores"], scores["problem_scores"])
    removed = got["report"]["identical_removed"]
    assert sum(removed.values()) > sum(base["report"]["identical_removed"].values())
    assert pid not in set(got["pairs"]["problem_id"].to_pylist())
