"""Label quality: how a log's own correctness labels agree with mathpref's verdicts.

Every build that imports a log with `label_field` compares the labels with the verdicts (the
`label_checks` and `label_disagreements` views, `sql/views/labels.sql`). `label_quality` returns
the figures as one object - the function the release card's label-quality section calls::

    from mathpref.db.labels import label_quality_of_build
    q = label_quality_of_build(store, "my-pipeline")      # LabelQuality
    q.agreement, q.labelled, q.by_arm, q.disagreements, q.below_threshold, q.to_dict()

`agreement` counts every labelled row (a `timeout` against a "correct" label disagrees);
`judged_agreement` only rows judged correct or incorrect.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_MIN_AGREEMENT = 0.99


@dataclass(frozen=True)
class LabelQuality:
    """Agreement of a build's log labels with its verdicts (`labelled == 0`: no labels)."""

    labelled: int  # trajectories with a log label and a verdict
    agree: int
    threshold: float  # the agreement under which a build warns (`--strict`: fails)
    label_correct: int  # the log says correct
    verdict_correct: int  # mathpref says correct
    judged: int = 0  # labelled rows whose verdict is correct or incorrect
    judged_agree: int = 0
    log_true_ours_false: int = 0  # the log says correct, the verdict is not `correct`
    log_false_ours_true: int = 0
    by_arm: list[dict[str, Any]] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # every one, in order
    grader_versions: list[str] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        return self.agree / self.labelled if self.labelled else None

    @property
    def judged_agreement(self) -> float | None:
        """Agreement over rows with a correct/incorrect verdict (timeouts etc. left out)."""
        return self.judged_agree / self.judged if self.judged else None

    @property
    def below_threshold(self) -> bool:
        return self.labelled > 0 and self.agreement < self.threshold

    def summary(self) -> str:
        if not self.labelled:
            return "no trajectory carries a log label"
        return (
            f"log labels agree with the verdicts on {self.agree:,} of {self.labelled:,} "
            f"trajectories ({100 * self.agreement:.2f} %, threshold {100 * self.threshold:g} %); "
            f"{self.labelled - self.agree:,} disagreement(s) in the label_disagreements view"
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["agreement"] = self.agreement
        d["judged_agreement"] = self.judged_agreement
        d["below_threshold"] = self.below_threshold
        return d


def label_quality(con, threshold: float = DEFAULT_MIN_AGREEMENT) -> LabelQuality:
    """Figures from a connection with the build's views (`mathpref.db.connect[_outputs]`)."""

    def rows(sql: str) -> list[dict[str, Any]]:
        return con.sql(sql).to_arrow_table().to_pylist()

    (total,) = rows(
        "SELECT count(*) AS n, count(*) FILTER (WHERE agrees) AS agree, "
        "count(*) FILTER (WHERE source_label) AS label_correct, "
        "count(*) FILTER (WHERE status = 'correct') AS verdict_correct, "
        "count(*) FILTER (WHERE status IN ('correct', 'incorrect')) AS judged, "
        "count(*) FILTER (WHERE agrees AND status IN ('correct', 'incorrect')) AS judged_agree, "
        "count(*) FILTER (WHERE source_label AND status <> 'correct') AS log_true_ours_false, "
        "count(*) FILTER (WHERE NOT source_label AND status = 'correct') AS log_false_ours_true "
        "FROM label_checks"
    )
    by_arm = rows(
        "SELECT arm, count(*) AS labelled, count(*) FILTER (WHERE agrees) AS agree, "
        "count(*) FILTER (WHERE agrees) / count(*)::DOUBLE AS agreement FROM label_checks "
        "GROUP BY arm ORDER BY arm"
    )
    disagreements = rows(
        "SELECT source_ref, trajectory_id, arm, source_label, status, reason, gold_answer, "
        "extracted_answer, extraction_rule, prompt_echo_rule FROM label_disagreements "
        "ORDER BY source_ref, trajectory_id"
    )
    versions = [
        r["grader_version"]
        for r in rows("SELECT DISTINCT grader_version FROM label_checks ORDER BY 1")
        if r["grader_version"] is not None
    ]
    return LabelQuality(
        labelled=total["n"],
        agree=total["agree"],
        threshold=threshold,
        label_correct=total["label_correct"],
        verdict_correct=total["verdict_correct"],
        judged=total["judged"],
        judged_agree=total["judged_agree"],
        log_true_ours_false=total["log_true_ours_false"],
        log_false_ours_true=total["log_false_ours_true"],
        by_arm=by_arm,
        disagreements=disagreements,
        grader_versions=versions,
    )


def label_quality_of_outputs(
    store, outputs: dict[str, dict[str, dict[str, Any]]], threshold: float = DEFAULT_MIN_AGREEMENT
) -> LabelQuality:
    from mathpref.db.views import connect_outputs

    con = connect_outputs(store, outputs)
    try:
        return label_quality(con, threshold)
    finally:
        con.close()


def label_quality_of_build(
    store, pipeline: str | None = None, threshold: float | None = None
) -> LabelQuality:
    """Figures of a pipeline's last successful build (default: the newest build). The threshold
    defaults to the one the build checked against (recorded in its ref)."""
    ref = store.read_ref(pipeline)
    if threshold is None:
        threshold = (ref.get("labels") or {}).get("threshold", DEFAULT_MIN_AGREEMENT)
    return label_quality_of_outputs(store, ref.outputs(), threshold)
