"""The build's label check: a log's own labels against the verdicts, after every build.

Below the verify stages' `min_label_agreement` (default 99 %) the build warns loudly; with
`--strict` (``Runner(strict=True)``) it fails and publishes nothing. The figures go into the
build's ref (`labels`), where the release card finds them.
"""

from __future__ import annotations

from typing import Any

from mathpref.errors import AuditError

SHOWN = 5  # disagreements quoted in the warning (all of them are in the view)


def check_labels(runner, results) -> dict[str, Any] | None:
    """Compare; warn or fail; return the summary recorded in the ref (None: no labels)."""
    from mathpref.db.labels import label_quality_of_outputs

    verify = [s for s in runner.stages.values() if s.kind == "verify"]
    if not verify:
        return None
    threshold = min(s.config.min_label_agreement for s in verify)
    outputs = {n: r.outputs for n, r in results.items()}
    q = label_quality_of_outputs(runner.store, outputs, threshold)
    if not q.labelled:
        return None
    if q.below_threshold:
        shown = "; ".join(
            f"{d['source_ref']}: label {d['source_label']}, verdict {d['status']} "
            f"(extracted {d['extracted_answer']!r}, gold {d['gold_answer']!r})"
            for d in q.disagreements[:SHOWN]
        )
        msg = (
            f"{q.summary()}. First disagreements: {shown}. List them all with "
            "`mathpref report` or `mathpref sql 'SELECT * FROM label_disagreements'`"
        )
        if runner.strict:
            raise AuditError(
                f"label agreement below the threshold (--strict), nothing published: {msg}"
            )
        runner.warn(f"LOW LABEL AGREEMENT: {msg}")
    return {
        "labelled": q.labelled,
        "agree": q.agree,
        "agreement": q.agreement,
        "threshold": threshold,
        "below_threshold": q.below_threshold,
    }
