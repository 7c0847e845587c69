"""Decontamination inside a release: check every problem of the build, and drop the rows of
flagged problems when asked (see `mathpref.decontam`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from mathpref.decontam.config import eval_tables
from mathpref.decontam.match import find_contamination, flagged_summary
from mathpref.release.options import ReleaseOptions
from mathpref.release.source import BuildData


def decontaminate(data: BuildData, opts: ReleaseOptions) -> tuple[pa.Table | None, dict]:
    problems = data.table("problems").select(["problem_id", "source", "question"])
    tables = eval_tables(opts.decontam)
    c = opts.decontam
    found = find_contamination(problems, tables, n=c.n, threshold=c.threshold)
    summary = flagged_summary(found)
    flagged = (
        []
        if found is None
        else sorted(
            found.select(["problem_id", "eval_set", "eval_item_id", "match", "score"]).to_pylist(),
            key=lambda r: (r["problem_id"], r["eval_set"], r["eval_item_id"]),
        )
    )
    record = {
        "eval_sets": [{"name": t["eval_set"][0].as_py(), "rows": t.num_rows} for t in tables],
        "files": eval_files_record(c.files),
        "n": c.n,
        "threshold": c.threshold,
        "problems": problems.num_rows,
        **summary,
        "flagged": flagged,
        "action": "none",
        "dropped_rows": 0,
    }
    return found, record


def drop_problems(data: BuildData, ids: set[str]) -> int:
    dropped = 0
    value_set = pa.array(sorted(ids), pa.string())
    for kind in ("pairs", "kto_rows", "step_pairs", "trajectory_scores", "trajectories"):
        t = data.tables[kind]
        keep = pc.invert(pc.is_in(t["problem_id"], value_set=value_set))
        if kind in ("pairs", "kto_rows", "step_pairs"):
            dropped += t.num_rows - pc.sum(keep).as_py() if t.num_rows else 0
        data.tables[kind] = t.filter(keep)
    return dropped


def eval_files_record(files: list[dict]) -> list[dict]:
    """User eval files by name and content digest: no path of this machine in a release."""
    from mathpref.hashing import file_digest

    return [
        {
            "name": f.get("name") or Path(f["path"]).stem,
            "question_field": f.get("question_field", "question"),
            "sha256": file_digest(f["path"]).removeprefix("sha256:"),
        }
        for f in files
    ]
