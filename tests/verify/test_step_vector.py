"""The columnar step checks (mathpref.verify.step_vector) equal the per-row checker, row by row,
on real solutions and hand-made edge cases."""

from __future__ import annotations

import sys

import pytest

from mathpref.verify.step_batch import check_steps_batch
from tests.conftest import REPO

sys.path.insert(0, str(REPO))
from bench import step_corpora  # noqa: E402

pytestmark = pytest.mark.timeout(300)

EDGE = [
    "",
    None,
    "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\nShe makes 9 * 2 = $<<9*2=19>>19.\n#### 19",
    "It costs 800/3 = <<800/3=266.6666666666667>>266.67 each.\nSo 10/3 = 3.33",
    "She had 1,000 + 2,500 = $3,500.\nThat is 3,500 x 2 = 7,000.\nSo 7,000 ÷ 4 = 1,751",
    "The rate is 1000/7 ≈ 142.9.\nRoughly 1000/7 = about 143.\nBut 1000/7 ~ 150",
    "Step 1: 5% of 80 = 4. Step 2: 1/4 = 25%. Step 3: 3 * 4 = 12 + 5 = 18",
    "2 / 0 = 1 and " + "9" * 500 + " + 1 = 2\n\n−3 × 4 = −12 and 5 − 7 = -2",
    "We buy 3 apples.\n\nNo claim here.\n\nAnother paragraph with 2 + 2 = 5 cents",
    "3 * 4 = 12 + 5 = 17 = 17\n5 m + 3 m = 8 m\n$2 \\times 3 = 6$",
    "plain text only\nwith no claims at all\n#### 7",
]


def _check(texts):
    vec = check_steps_batch(texts, vector=True)
    row = check_steps_batch(texts, vector=False)
    assert vec.schema == row.schema
    for name in row.column_names:
        a, b = vec[name].to_pylist(), row[name].to_pylist()
        bad = [i for i in range(len(a)) if a[i] != b[i]]
        assert not bad, (name, bad[:3], [texts[i] for i in bad[:1]])


def test_edge_cases():
    _check(EDGE)


@pytest.mark.parametrize("name", sorted(step_corpora.CORPORA))
def test_real_sets_sampled(name, shared_data):
    _check(step_corpora.sample(step_corpora.CORPORA[name](), 400, seed=14))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(step_corpora.CORPORA))
def test_real_sets_full(name, shared_data):
    _check(step_corpora.CORPORA[name]())
