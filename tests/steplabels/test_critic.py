"""The critic: judge prompt, strict reply parsing, votes, and ProcessBench F1 from scripted replies."""

import json
import sys
from types import SimpleNamespace

import pytest

from mathpref.generation.backends.scripted import ScriptedBackend
from mathpref.steplabels.base import STATUS_LABELLED, STATUS_UNVERIFIABLE, StepItem
from mathpref.steplabels.critic import judge_messages, judge_requests, label, parse_reply
from tests.conftest import REPO

sys.path.insert(0, str(REPO))
from bench import processbench_steps as bench  # noqa: E402

STEPS = ("Half of 48 is 24.", "So she sold 48 + 24 = 72.", "The answer is 72.")
ITEM = StepItem(
    "t-1", "p-1", "Natalia sold 48 clips in April and half as many in May.", "72", STEPS
)


def config(n=1, temperature=0.0):
    return SimpleNamespace(
        critic_samples=n, critic_temperature=temperature, critic_max_new_tokens=64, critic_seed=3
    )


@pytest.mark.parametrize(
    "reply, index",
    [
        ("Paragraph 1 adds wrongly.\n\\boxed{1}", 1),
        ("All fine. \\boxed{-1}", -1),
        ("$\\boxed{\\text{Paragraph 2}}$", 2),
        ("\\boxed{0} ... so again \\boxed{0}.", 0),  # the same answer twice
        ("The earliest error is in paragraph 2.", 2),  # no box: an explicit phrase
        ("I checked them: all paragraphs are correct.", -1),
        ("\\boxed{\u22121}", -1),  # a Unicode minus sign
    ],
)
def test_parse_reads_an_index(reply, index):
    assert parse_reply(reply, 3).index == index


@pytest.mark.parametrize(
    "reply, why",
    [
        ("", "empty"),
        ("   \n", "empty"),
        (None, "empty"),
        ("Let me check paragraph 0. It says half of 48 is \\boxed{", "truncated"),
        ("The solution looks plausible to me.", "no \\boxed"),
        ("\\boxed{3}", "out of range"),  # 3 steps: indices -1..2
        ("\\boxed{-2}", "out of range"),
        ("\\boxed{1} wait, no: \\boxed{2}", "conflicting"),
        ("The first wrong paragraph is paragraph 1. All paragraphs are correct.", "conflicting"),
        ("\\boxed{1.5}", "not an integer"),
        ("\\boxed{yes}", "not an integer"),
    ],
)
def test_parse_never_reads_no_error_from_a_bad_reply(reply, why):
    v = parse_reply(reply, 3)
    assert v.index is None and why in v.reason


def test_prompt_numbers_the_steps_from_zero_and_asks_for_a_box():
    (_, system), (_, user) = judge_messages(ITEM)
    assert "[Paragraph 0]\nHalf of 48 is 24." in user and "[Paragraph 2]" in user
    assert "[Paragraph 3]" not in user and "from 0 to 2" in user and "\\boxed{-1}" in user
    assert ITEM.question in user and system


def test_requests_are_stable_and_addressed_to_the_solution():
    a, b = judge_requests(ITEM, config(n=3)), judge_requests(ITEM, config(n=3))
    assert [r.request_id for r in a] == [r.request_id for r in b]
    assert len({r.request_id for r in a}) == 3 and len({r.seed for r in a}) == 3
    assert {r.problem_id for r in a} == {"t-1"} and [r.sample_index for r in a] == [0, 1, 2]
    other = StepItem("t-2", "p-1", ITEM.question, "72", STEPS)  # same problem, other solution
    assert not {r.request_id for r in a} & {r.request_id for r in judge_requests(other, config(3))}


def test_votes_and_unusable_replies():
    items = [
        ITEM,
        StepItem("t-2", "p-1", ITEM.question, "72", STEPS),
        StepItem("t-3", "p", "q", "", ()),
    ]
    script = {
        "t-1": ["\\boxed{1}", "\\boxed{1}", "\\boxed{-1}"],
        "t-2": ["\\boxed{1}", "\\boxed{-1}", "??"],
    }
    seen = []

    def generate(requests):
        seen.extend(requests)
        return [script[r.problem_id][r.sample_index] for r in requests]

    a, b, c = label(items, config(n=3), generate)
    assert (a.status, a.first_wrong_step, a.requests) == (STATUS_LABELLED, 1, 3)
    assert json.loads(a.detail)["votes"] == {"-1": 1, "1": 2}
    assert b.status == STATUS_UNVERIFIABLE and "tie" in b.detail  # 1 vs -1, one unusable
    assert c.status == STATUS_UNVERIFIABLE and c.requests == 0  # no steps: nothing asked
    assert len(seen) == 6
    with pytest.raises(ValueError, match="needs a generation backend"):
        label(items, config(), None)


def test_all_unusable_is_unverifiable_not_clean():
    lab = label([ITEM], config(n=2), lambda reqs: ["", "no idea"])[0]
    assert lab.status == STATUS_UNVERIFIABLE and lab.first_wrong_step is None


# ProcessBench F1 from scripted judge replies, by hand: 3 erroneous rows (1 hit, 1 wrong index,
# 1 unparseable), 4 correct rows (-1 boxed, the phrase, a false flag, a truncated reply).
ROWS = [
    ("e1", 2, "Paragraph 2 miscounts. \\boxed{2}"),  # hit
    ("e2", 1, "\\boxed{3}"),  # wrong index
    ("e3", 0, "I am not sure what to say."),  # unparseable: wrong, unverifiable
    ("c1", -1, "\\boxed{-1}"),  # hit
    ("c2", -1, "All paragraphs are correct."),  # hit
    ("c3", -1, "\\boxed{1}"),  # false flag
    ("c4", -1, "Checking paragraph 0 ... \\boxed{"),  # truncated: wrong, unverifiable
]


def test_processbench_f1_from_scripted_replies(tmp_path):
    rows = [
        {
            "id": i,
            "problem": f"Problem {i}?",
            "steps": [f"Step {k} of {i}." for k in range(4)],
            "label": lab,
        }
        for i, lab, _ in ROWS
    ]
    (tmp_path / "tiny.json").write_text(json.dumps(rows))
    replies = tmp_path / "replies.jsonl"
    replies.write_text(
        "".join(json.dumps({"problem_id": i, "completion": c}) + "\n" for i, _, c in ROWS)
    )
    out = bench.main(
        [
            "--data",
            str(tmp_path),
            "--subsets",
            "tiny",
            "--critic",
            f"scripted:{replies}",
            "--out",
            str(tmp_path / "r.json"),
        ]
    )
    res = out["results"]["tiny"]
    acc_err, acc_ok = 1 / 3, 2 / 4
    assert res["acc_erroneous"] == round(acc_err, 4) and res["acc_correct"] == round(acc_ok, 4)
    assert res["f1"] == round(2 * acc_err * acc_ok / (acc_err + acc_ok), 4) == 0.4
    assert res["n_unverifiable"] == 2 and res["unverifiable_share"] == round(2 / 7, 4)
    assert res["flagged_on_correct"] == 1 and res["erroneous_flagged_too_late"] == 1
    # read as "no error", the two bad replies would have given acc_correct 3/4 and F1 0.4615
    assert json.loads((tmp_path / "r.json").read_text())["source"] == f"scripted:{replies}"


def test_f1_on_real_processbench_with_oracle_and_lazy_judges(shared_data):
    rows = json.loads((shared_data / "processbench" / "gsm8k.json").read_text())
    rows = [r for r in rows if r["label"] != -1][:20] + [r for r in rows if r["label"] == -1][:20]
    items = bench.items_of(rows)
    truth = {r["id"]: r["label"] for r in rows}
    backend = ScriptedBackend(
        records=[{"problem_id": i, "completion": f"\\boxed{{{lab}}}"} for i, lab in truth.items()]
    )
    labels = [r["label"] for r in rows]
    oracle = bench.preds_of(label(items, config(), bench.generate_with(backend)))
    assert bench.f1_scores(labels, oracle)["f1"] == 1.0
    lazy = bench.preds_of(label(items, config(), lambda reqs: ["\\boxed{-1}"] * len(reqs)))
    res = bench.f1_scores(labels, lazy)
    assert res["acc_correct"] == 1.0 and res["acc_erroneous"] == 0.0 and res["f1"] == 0.0
    assert res["n_erroneous"] == res["n_correct"] == 20
