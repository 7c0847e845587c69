"""`mathpref eval compare` on hand-made runs: the exact McNemar p-value computed by hand, paired
bootstrap deltas, and plain verdicts."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from mathpref.evaluation.compare import bootstrap_p, mcnemar_exact
from tests.evaluation.eval_helpers import SAMPLED, N, build_hand_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runs")
    store = tmp / "st"
    for run in ("A", "B", "C"):
        build_hand_run(tmp, store, run)
    return store


def _cli(*args):
    r = subprocess.run(
        [sys.executable, "-m", "mathpref.cli", *args], capture_output=True, text=True
    )
    return r.returncode, r.stdout, r.stderr


def test_mcnemar_by_hand():
    # b = 2, c = 7: p = 2 * P(X <= 2), X ~ Binomial(9, 1/2) = 2 * (1 + 9 + 36) / 512
    assert mcnemar_exact(2, 7) == 2 * (1 + 9 + 36) / 512 == 0.1796875
    assert mcnemar_exact(7, 2) == mcnemar_exact(2, 7)
    assert mcnemar_exact(0, 8) == 2 / 256
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0  # capped at 1
    assert mcnemar_exact(1, 1) == 1.0
    assert bootstrap_p(np.array([0.1, 0.2, 0.3])) == 0.0
    assert bootstrap_p(np.array([0.0, 0.0])) == 1.0


def test_compare_hand_made_runs(runs):
    code, out, err = _cli(
        "eval", "compare", "run-A", "run-B", "run-C", "--store", str(runs), "--format", "json"
    )
    assert code == 0, err
    comp = json.loads(out)
    assert comp["n_problems"] == N and comp["k"] == 2 and comp["benchmarks"] == ["hand-bench"]
    a, b, c = comp["runs"]
    assert (a["model"], b["model"], c["model"]) == ("model-A", "model-B", "model-C")
    assert a["greedy"]["value"] == pytest.approx(4 / 12)
    assert b["d_greedy"]["p"] == 2 * sum(math.comb(9, i) for i in range(3)) / 2**9
    assert b["d_greedy"]["detail"] == {"b": 2, "c": 7}
    assert b["d_greedy"]["value"] == pytest.approx((9 - 4) / 12)
    assert c["d_greedy"]["p"] == 2 * math.comb(8, 0) / 2**8 and c["d_greedy"]["detail"] == {
        "b": 0,
        "c": 8,
    }
    assert a["d_greedy"] is None
    # pass@2 per problem is 1 when either sample is right; maj@2 of (right, wrong) is a tie: 1/2
    pass_a = np.mean([any(SAMPLED["A"][i]) for i in range(N)])
    pass_b = np.mean([any(SAMPLED["B"][i]) for i in range(N)])
    maj_b = np.mean([(x + y) / 2 if x != y else float(x) for x, y in SAMPLED["B"].values()])
    maj_a = np.mean([(x + y) / 2 if x != y else float(x) for x, y in SAMPLED["A"].values()])
    assert a["pass"]["value"] == pytest.approx(pass_a) and b["pass"]["value"] == pytest.approx(
        pass_b
    )
    assert b["d_pass"]["value"] == pytest.approx(pass_b - pass_a)
    assert b["d_maj"]["value"] == pytest.approx(maj_b - maj_a)
    for run in (b, c):
        for key in ("d_greedy", "d_maj", "d_pass"):
            d = run[key]
            assert d["low"] <= d["value"] <= d["high"] and 0 <= d["p"] <= 1
    assert c["d_pass"]["low"] > 0  # C is right everywhere: the whole interval is above 0


def test_compare_table_says_plainly_what_is_not_significant(runs):
    code, out, err = _cli("eval", "compare", "run-A", "run-B", "run-C", "--store", str(runs))
    assert code == 0, err
    assert "paired comparison on 12 shared problem(s) of hand-bench" in out
    lines = out.splitlines()
    greedy_b = next(x for x in lines if x.startswith("run-B vs run-A: greedy accuracy"))
    assert "exact McNemar p = 0.1797 (b = 2, c = 7)" in greedy_b
    assert greedy_b.endswith("NOT significant at alpha = 0.05; this difference may be noise.")
    greedy_c = next(x for x in lines if x.startswith("run-C vs run-A: greedy accuracy"))
    assert "p = 0.007812" in greedy_c and greedy_c.endswith(": significant at alpha = 0.05.")
    assert "(n.s.)" in out  # the table marks it too


def test_compare_errors(runs, tmp_path):
    code, _, err = _cli("eval", "compare", "run-A", "--store", str(runs))
    assert code == 1 and "at least two runs" in err
    code, _, err = _cli("eval", "compare", "run-A", "run-B", "--k", "3", "--store", str(runs))
    assert code == 1 and "--k must be in [1, 2]" in err
    code, _, err = _cli("eval", "compare", "run-A", "nope", "--store", str(runs))
    assert code == 1 and "no build of pipeline 'nope'" in err
