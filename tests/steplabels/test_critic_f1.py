"""A critic's ProcessBench F1 from scripted judge replies on real ProcessBench GSM8K rows,
against a value computed by hand; an unparseable reply is a miss, never "no error"."""

import json
import types
from fractions import Fraction

import pytest

from mathpref.steplabels import StepItem
from mathpref.steplabels.critic import judge_messages, label, parse_reply
from mathpref.steplabels.processbench import f1_score

CONFIG = types.SimpleNamespace(
    critic_samples=1, critic_temperature=0.0, critic_max_new_tokens=256, critic_seed=0
)


def _rows(shared_data):
    rows = json.loads((shared_data / "processbench" / "gsm8k.json").read_text())
    wrong = [r for r in rows if r["label"] >= 0 and len(r["steps"]) >= r["label"] + 2][:3]
    right = [r for r in rows if r["label"] == -1][:3]
    return wrong + right


def test_critic_f1_from_scripted_replies(shared_data):
    rows = _rows(shared_data)
    w1, w2, w3, r1, r2, r3 = rows
    replies = {
        w1["id"]: f"Paragraph {w1['label']} adds wrongly.\n\\boxed{{{w1['label']}}}",  # hit
        w2["id"]: f"The earliest error is in paragraph {w2['label'] + 1}.",  # wrong index
        w3["id"]: "Checking... the mistake is in \\boxed{Paragraph 3",  # truncated
        r1["id"]: "Every step checks out. \\boxed{-1}",  # hit
        r2["id"]: "All paragraphs are correct.",  # hit (explicit phrase)
        r3["id"]: "I think it is fine, mostly.",  # unparseable: NOT "no error"
    }
    items = [
        StepItem(
            r["id"], r["id"], r["problem"], "", tuple(r["steps"]), text="\n\n".join(r["steps"])
        )
        for r in rows
    ]
    asked = []

    def generate(requests):
        asked.extend(requests)
        return [replies[q.problem_id] for q in requests]

    labels = label(items, CONFIG, generate)
    assert len(asked) == 6 and all(
        q.messages == judge_messages(it) for q, it in zip(asked, items, strict=True)
    )
    assert [lb.status for lb in labels] == ["labelled"] * 2 + ["unverifiable"] + [
        "labelled"
    ] * 2 + ["unverifiable"]
    score = f1_score([r["label"] for r in rows], labels)
    # by hand: erroneous 1 of 3 right, correct 2 of 3 right -> F1 = 2(1/3)(2/3)/(1/3+2/3) = 4/9
    assert score["acc_erroneous"] == pytest.approx(1 / 3)
    assert score["acc_correct"] == pytest.approx(2 / 3)
    assert score["f1"] == pytest.approx(float(Fraction(4, 9)))
    assert score["unverifiable"] == 2


@pytest.mark.parametrize(
    "reply,n,expected",
    [
        ("\\boxed{2}", 4, 2),
        ("\\boxed{-1}", 4, -1),
        ("\\boxed{\\text{Paragraph 1}}", 4, 1),
        ("\\boxed{7}", 4, None),  # out of range
        ("\\boxed{1} ... on reflection \\boxed{2}", 4, None),  # conflicting
        ("", 4, None),
        ("no verdict here", 4, None),
        ("\\boxed{two}", 4, None),
    ],
)
def test_parse_reply(reply, n, expected):
    assert parse_reply(reply, n).index == expected


def test_prm_method_needs_a_local_model_backend():
    from mathpref.stages.step_labels import StepLabelsConfig

    with pytest.raises(ValueError, match="method 'prm' needs backend = transformers"):
        StepLabelsConfig(method="prm", backend="scripted")
