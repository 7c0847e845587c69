"""Label quality of a build, in one function (the card's section; a later view and warnings).

`label_quality` reports the grader version(s), the verdict counts, and where the log has its own
labels, how often our verdict agrees with them (judged rows only), plus how many trajectories carry
the log's own first-wrong-step rating.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa


def label_quality(trajectories: pa.Table, verifications: pa.Table) -> dict[str, Any]:
    t = trajectories.select(
        ["trajectory_id", "source_label", "source_error_step", "parent_trajectory_id"]
    )
    j = t.join(
        verifications.select(["trajectory_id", "status", "grader_version"]),
        "trajectory_id",
        join_type="left outer",
    ).to_pydict()
    status = Counter(s or "unverified" for s in j["status"])
    graders = sorted({g for g in j["grader_version"] if g})
    agree = disagree = 0
    confusion: Counter = Counter()
    unjudged_labelled = 0
    for label, st in zip(j["source_label"], j["status"], strict=True):
        if label is None:
            continue
        if st not in ("correct", "incorrect"):
            unjudged_labelled += 1
            continue
        ours = st == "correct"
        confusion[(bool(label), ours)] += 1
        if ours == bool(label):
            agree += 1
        else:
            disagree += 1
    judged = agree + disagree
    return {
        "trajectories": len(j["trajectory_id"]),
        "continuations": sum(p is not None for p in j["parent_trajectory_id"]),
        "grader_versions": graders,
        "status_counts": dict(sorted(status.items())),
        "source_labels": {
            "labelled": judged + unjudged_labelled,
            "judged": judged,
            "agree": agree,
            "disagree": disagree,
            "agreement": round(agree / judged, 4) if judged else None,
            "unjudged": unjudged_labelled,
            "log_true_ours_false": confusion[(True, False)],
            "log_false_ours_true": confusion[(False, True)],
        },
        "rated_steps": sum(e is not None for e in j["source_error_step"]),
    }


def label_quality_markdown(q: dict[str, Any]) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in q["status_counts"].items())
    lines = [
        f"- Grader: `{', '.join(q['grader_versions']) or 'none'}`",
        f"- Verdicts over {q['trajectories']} trajectories "
        f"({q['continuations']} continuations): {counts}",
    ]
    s = q["source_labels"]
    if s["labelled"]:
        lines.append(
            f"- Agreement with the log's own correctness labels: {s['agree']} of {s['judged']} "
            f"judged rows ({100 * (s['agreement'] or 0):.1f}%); log says correct but ours "
            f"incorrect: {s['log_true_ours_false']}; log says incorrect but ours correct: "
            f"{s['log_false_ours_true']}; labelled but not judged by us: {s['unjudged']}"
        )
    else:
        lines.append("- The log has no correctness labels of its own to compare with.")
    if q["rated_steps"]:
        lines.append(
            f"- Trajectories with the log's own first-wrong-step rating: {q['rated_steps']}"
        )
    return "\n".join(lines)
