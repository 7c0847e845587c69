"""The PRM source on tiny Qwen2 token classifiers built here (transformers scorer)."""

from types import SimpleNamespace

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from mathpref.steplabels.base import STATUS_LABELLED, STATUS_UNVERIFIABLE, StepItem  # noqa: E402
from mathpref.steplabels.prm import SYSTEM, encode, first_below, label, label_with  # noqa: E402
from mathpref.steplabels.prm_scorers import TransformersScorer  # noqa: E402
from mathpref.steplabels.tiny_prm import SEPARATOR, WRONG, build_tiny_prm  # noqa: E402

Q = "Natalia sold 48 clips in April and half as many in May. How many in all?"
ITEMS = [
    StepItem(
        "t1", "p", Q, "72", ("Half of 48 is 24.", f"So {WRONG} 48 + 24 = 70.", "The answer is 70.")
    ),
    StepItem("t2", "p", Q, "72", ("Half of 48 is 24.", "So 48 + 24 = 72.", "The answer is 72.")),
    StepItem("t3", "p", Q, "72", (f"Half of 48 is {WRONG} 20.", "So 68.", "Then 68 + 1.", "69.")),
    StepItem("t4", "p", Q, "72", ("One.", "Two.", "Three.", "Four.", f"Five {WRONG}.")),
]


def cfg(**kw):
    base = dict(
        prm_threshold=0.5,
        prm_step_token=SEPARATOR,
        prm_system_prompt=SYSTEM,
        prm_max_tokens=512,
        backend="transformers",
        model="",
        revision="",
        backend_options={"device": "cpu"},
    )
    return SimpleNamespace(**(base | kw))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("prm")
    return {
        (layout, known): build_tiny_prm(root / f"{layout}-{known}", layout=layout, known=known)
        for layout in ("prm", "token-classification")
        for known in (True, False)
    }


def test_threshold_rule():
    assert first_below([0.9, 0.7, 0.2, 0.9, 0.1], 0.5) == 2
    assert first_below([0.9, 0.5, 0.6], 0.5) is None  # equal to the threshold is not below
    assert first_below([0.9, 0.5, 0.6], 0.55) == 1
    assert first_below([], 0.5) is None


@pytest.mark.parametrize("layout", ["prm", "token-classification"])
def test_hand_set_head_finds_the_known_first_wrong_step(models, layout):
    labels = label(ITEMS, cfg(model=str(models[(layout, True)])))
    assert [lab.first_wrong_step for lab in labels] == [1, None, 0, 4]
    assert all(lab.status == STATUS_LABELLED for lab in labels)
    ok = labels[1].step_scores
    assert ok == pytest.approx([0.880797] * 3, abs=1e-6)  # sigmoid(2): no <|wrong|> before
    assert all(s < 0.01 for s in labels[0].step_scores[1:])  # from the wrong step on


@pytest.mark.parametrize("layout", ["prm", "token-classification"])
def test_random_model_scores_are_probabilities_one_per_step_and_repeat(models, layout):
    path = str(models[(layout, False)])
    a = label_with(ITEMS, cfg(), TransformersScorer(path, device="cpu", batch_size=3))
    b = label_with(ITEMS, cfg(), TransformersScorer(path, device="cpu", batch_size=1))
    for it, x, y in zip(ITEMS, a, b, strict=True):
        assert len(x.step_scores) == len(it.steps)
        assert all(0.0 <= s <= 1.0 for s in x.step_scores)
        assert x.step_scores == pytest.approx(y.step_scores, abs=1e-5)  # padding changes nothing
    # the threshold decides: just above every score -> step 0; just below all -> no wrong step
    lo = min(min(x.step_scores) for x in a)
    hi = max(max(x.step_scores) for x in a)
    assert {
        lab.first_wrong_step
        for lab in label_with(ITEMS, cfg(prm_threshold=hi + 1e-4), _scorer(path))
    } == {0}
    assert {
        lab.first_wrong_step
        for lab in label_with(ITEMS, cfg(prm_threshold=lo - 1e-4), _scorer(path))
    } == {None}


def _scorer(path):
    return TransformersScorer(path, device="cpu")


def test_input_has_one_separator_per_step_and_bad_items_are_unverifiable(models):
    path = str(models[("prm", False)])
    scorer = _scorer(path)
    sep_id = scorer.tokenizer.convert_tokens_to_ids(SEPARATOR)
    ids = encode(scorer.tokenizer, ITEMS[0], SEPARATOR, SYSTEM)
    assert ids.count(sep_id) == 3 and ids[-1] != sep_id  # the template closes the turn after it
    text = scorer.tokenizer.decode(ids)
    assert "Half of 48 is 24.<extra_0>So" in text and SYSTEM in text
    bad = [
        StepItem("b1", "p", Q, "", ()),
        StepItem("b2", "p", Q, "", ("A step that writes <extra_0> itself.", "Next.")),
        StepItem("b3", "p", Q, "", ("word " * 600,)),
    ]
    labels = label_with(bad, cfg(), scorer)
    assert [lab.status for lab in labels] == [STATUS_UNVERIFIABLE] * 3
    assert [
        "no steps" in labels[0].detail,
        "separator" in labels[1].detail,
        "prm_max_tokens" in labels[2].detail,
    ] == [True] * 3


def test_a_separator_the_tokenizer_splits_is_refused(models):
    with pytest.raises(ValueError, match="not one"):
        label_with(ITEMS, cfg(prm_step_token="<step>"), _scorer(str(models[("prm", False)])))


def test_a_causal_lm_is_not_a_prm(tmp_path):
    from mathpref.generation.tiny import build_tiny_model

    path = build_tiny_model(tmp_path / "lm")
    with pytest.raises(ValueError, match="not a token classifier"):
        TransformersScorer(str(path), device="cpu")


def test_bench_prm_f1_on_the_hand_set_model(models, tmp_path):
    """bench/processbench_steps.py --prm: <|wrong|> marks the labelled step, so F1 is 1; one row
    too long for prm_max_tokens is unverifiable and counts as a miss."""
    import json
    import sys

    from tests.conftest import REPO

    sys.path.insert(0, str(REPO))
    from bench import processbench_steps as bench

    steps = ["Half of 48 is 24.", "48 + 24 = 72.", "So 72 in all.", "The answer is 72."]
    rows = [
        {
            "id": f"r{k}",
            "problem": Q,
            "label": k,
            "steps": [s + (f" {WRONG}" if i == k else "") for i, s in enumerate(steps)],
        }
        for k in (-1, 0, 2, 3)
    ]
    rows.append({"id": "long", "problem": Q, "label": -1, "steps": ["word " * 900, "Done."]})
    (tmp_path / "pb.json").write_text(json.dumps(rows))
    model = models[("prm", True)]
    argv = ["--data", str(tmp_path), "--subsets", "pb", "--prm", f"transformers:{model}"]
    argv += [
        "--backend-options",
        '{"device": "cpu"}',
        "--prm-max-tokens",
        "512",
        "--out",
        str(tmp_path / "o.json"),
    ]
    res = bench.main(argv)["results"]["pb"]
    assert (res["acc_erroneous"], res["acc_correct"], res["n_unverifiable"]) == (1.0, 0.5, 1)
    assert res["f1"] == round(2 * 1.0 * 0.5 / 1.5, 4)
