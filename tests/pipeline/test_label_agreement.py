"""Agreement reports: a log's own labels against the verdicts, in every build."""

import subprocess
import sys

import pytest

from mathpref.db import connect
from mathpref.db.labels import label_quality_of_build
from mathpref.errors import AuditError
from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.conftest import REPO
from tests.foundation.helpers import LOG, make_project, write_jsonl

VERIFY = """
[stages.verify]
kind = "verify"
inputs = { trajectories = "trajectories", problems = "problems" }
"""


def _spec(tmp, wrong_labels=0):
    spec = make_project(tmp, stages=VERIFY)
    log = [dict(r) for r in LOG]
    for r in log[:wrong_labels]:
        r["ok"] = 1 - r["ok"]
    write_jsonl(tmp / "log.jsonl", log)
    return spec


def test_agreeing_labels_build_quietly(tmp_path):
    runner = Runner(load_spec(str(_spec(tmp_path))), Store(tmp_path / "st"))
    runner.build()
    assert runner.warnings == []
    q = label_quality_of_build(Store(tmp_path / "st"), "hand")
    assert (q.labelled, q.agree, q.agreement, q.below_threshold) == (5, 5, 1.0, False)
    assert q.disagreements == [] and q.threshold == 0.99
    assert Store(tmp_path / "st").read_ref("hand")["labels"]["agreement"] == 1.0


def test_disagreements_warn_list_and_fail_strict(tmp_path):
    spec = _spec(tmp_path, wrong_labels=1)
    runner = Runner(load_spec(str(spec)), Store(tmp_path / "st"))
    runner.build()
    (warning,) = runner.warnings
    assert "4 of 5 trajectories (80.00 %, threshold 99 %)" in warning
    assert "log.jsonl:1: label False, verdict correct" in warning
    q = label_quality_of_build(Store(tmp_path / "st"))
    assert q.below_threshold and [d["source_ref"] for d in q.disagreements] == ["log.jsonl:1"]
    assert q.to_dict()["agreement"] == 0.8 and q.by_arm[0]["arm"] == "base"
    assert (q.judged, q.judged_agree, q.log_false_ours_true, q.log_true_ours_false) == (5, 4, 1, 0)
    rows = connect(Store(tmp_path / "st")).sql("SELECT * FROM label_disagreements").fetchall()
    assert len(rows) == 1
    # --strict: the same build fails and publishes nothing
    with pytest.raises(AuditError, match="--strict"):
        Runner(load_spec(str(spec)), Store(tmp_path / "st2"), strict=True).build()
    assert not (tmp_path / "st2" / "refs" / "hand.json").exists()
    # a lower threshold in the spec silences it
    loose = Runner(
        load_spec(str(spec), ["verify.min_label_agreement=0.75"]),
        Store(tmp_path / "st"),
        strict=True,
    )
    loose.build()
    assert loose.warnings == []


@pytest.mark.timeout(300)
def test_cli_report_lists_every_disagreement_and_strict_exits_non_zero(tmp_path):
    spec = _spec(tmp_path, wrong_labels=2)
    cli = [sys.executable, "-m", "mathpref.cli"]
    store = ["--store", str(tmp_path / "st")]
    built = subprocess.run(
        [*cli, "build", str(spec), *store], capture_output=True, text=True, cwd=REPO
    )
    assert built.returncode == 0, built.stderr
    assert "WARNING: LOW LABEL AGREEMENT" in built.stderr
    report = subprocess.run([*cli, "report", *store], capture_output=True, text=True, cwd=REPO)
    assert report.returncode == 0, report.stderr
    assert "label_disagreements" in report.stdout
    assert "log.jsonl:1" in report.stdout and "log.jsonl:2" in report.stdout
    strict = subprocess.run(
        [*cli, "build", str(spec), "--store", str(tmp_path / "st3"), "--strict"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert strict.returncode == 1, strict.stderr
    (error,) = [line for line in strict.stderr.splitlines() if line.startswith("error:")]
    assert "nothing published" in error  # one line
