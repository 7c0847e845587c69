"""ProcessBench's score of a step source: F1 of its accuracy on erroneous and on correct items.

ProcessBench (Zheng et al. 2024) labels each solution with the index of its earliest wrong step,
or -1 when every step is right. A prediction is a hit on an erroneous item when it names that
index, and on a correct item when it names no wrong step. An `unverifiable` label (an
unparseable judge reply) is a miss on either kind: it is never read as "no error".
"""

from __future__ import annotations

from collections.abc import Sequence

from mathpref.steplabels.base import STATUS_LABELLED, StepLabel


def as_index(label: StepLabel) -> int | None:
    """-1 for "no wrong step", the step index, or None when the source gave no usable answer."""
    if label.status != STATUS_LABELLED:
        return None
    return -1 if label.first_wrong_step is None else label.first_wrong_step


def harmonic_f1(acc_erroneous: float, acc_correct: float) -> float:
    """ProcessBench's F1: the harmonic mean of the two accuracies (0 when both are 0)."""
    total = acc_erroneous + acc_correct
    return 2 * acc_erroneous * acc_correct / total if total else 0.0


def f1_score(gold: Sequence[int], predicted: Sequence[StepLabel]) -> dict:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    err_n = err_hit = ok_n = ok_hit = unverifiable = 0
    for g, p in zip(gold, predicted, strict=True):
        idx = as_index(p)
        unverifiable += idx is None
        if g == -1:
            ok_n += 1
            ok_hit += idx == -1
        else:
            err_n += 1
            err_hit += idx == g
    acc_err = err_hit / err_n if err_n else 0.0
    acc_ok = ok_hit / ok_n if ok_n else 0.0
    f1 = harmonic_f1(acc_err, acc_ok)
    return {
        "n": len(gold),
        "n_erroneous": err_n,
        "n_correct": ok_n,
        "acc_erroneous": acc_err,
        "acc_correct": acc_ok,
        "f1": f1,
        "unverifiable": unverifiable,
    }
