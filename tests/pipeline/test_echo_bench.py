"""The seeded wrapped-GSM8K log of bench/echo_agreement.py, on a sample: import + verify agree
with OpenAI's is_correct although every completion echoes a few-shot prompt or goes on."""

import sys
from collections import Counter

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO))
from bench import echo_agreement as bench  # noqa: E402


@pytest.mark.timeout(300)
def test_wrapped_sample_agrees(tmp_path, shared_data):
    log = bench.make_log(shared_data, seed=1, limit=240)
    kinds = Counter(r["wrapped"] for r in log)
    assert {"full", "mid", "none"} <= {k.split("+")[0] for k in kinds}
    assert sum(k.endswith("+continued") for k in log_kinds(log)) > 60
    auto = bench.run(shared_data, log, "auto", tmp_path)
    assert auto["rows"] == 240 and auto["agreement"] >= 0.995, auto["disagreements"]
    keep = bench.run(shared_data, log, "keep", tmp_path)
    assert keep["agreement"] < 0.9 and keep["warned"]  # the echo graded: the failure it fixes


def log_kinds(log):
    return [r["wrapped"] for r in log]
