"""Label quality of a build, in one function (the card's section; a later view and warnings).

`label_quality` reports the grader version(s), the verdict counts, and where the log has its own
labels, how often our verdict agrees with them (from `mathpref.db.labels`, the one source of those
figures), plus how many trajectories carry the log's own first-wrong-step rating.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa

from mathpref.db.labels import LabelQuality


def label_quality(
    trajectories: pa.Table, verifications: pa.Table, agreement: LabelQuality
) -> dict[str, Any]:
    """The card's label-quality figures: verdict counts from the tables, agreement with the
    log's own labels from `mathpref.db.labels` (the same figures the build checked and the
    `label_checks` / `label_disagreements` views show)."""
    t = trajectories.select(["trajectory_id", "source_error_step", "parent_trajectory_id"])
    j = t.join(
        verifications.select(["trajectory_id", "status", "grader_version"]),
        "trajectory_id",
        join_type="left outer",
    ).to_pydict()
    status = Counter(s or "unverified" for s in j["status"])
    graders = sorted({g for g in j["grader_version"] if g})
    a = agreement
    return {
        "trajectories": len(j["trajectory_id"]),
        "continuations": sum(p is not None for p in j["parent_trajectory_id"]),
        "grader_versions": graders,
        "status_counts": dict(sorted(status.items())),
        "source_labels": {
            "labelled": a.labelled,
            "judged": a.judged,
            "agree": a.judged_agree,
            "disagree": a.judged - a.judged_agree,
            "agreement": round(a.judged_agreement, 4) if a.judged else None,
            "all_rows_agree": a.agree,
            "all_rows_agreement": round(a.agreement, 4) if a.labelled else None,
            "unjudged": a.labelled - a.judged,
            "log_true_ours_false": a.log_true_ours_false,
            "log_false_ours_true": a.log_false_ours_true,
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
