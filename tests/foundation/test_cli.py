import json
import subprocess
import sys

from tests.foundation.helpers import make_project


def _cli(*args, cwd=None):
    r = subprocess.run(
        [sys.executable, "-m", "mathpref.cli", *args], capture_output=True, text=True, cwd=cwd
    )
    return r.returncode, r.stdout, r.stderr


def test_build_plan_sql_and_datasets_commands(tmp_path):
    spec = str(make_project(tmp_path))
    st = str(tmp_path / "st")
    code, out, _ = _cli("build", spec, "--store", st)
    assert code == 0 and "2 stage(s) computed, 0 cached" in out
    code, out, _ = _cli("build", spec, "--store", st)
    assert code == 0 and "0 stage(s) computed, 2 cached" in out
    code, out, _ = _cli("build", spec, "--store", st, "--plan", "--set", "trajectories.arm=x")
    assert code == 0 and "setting arm: 'base' -> 'x'" in out and "1 stage(s) would run" in out
    assert _cli("build", spec, "--store", st, "--set", "trajectories.arm=x")[0] == 0

    code, out, _ = _cli(
        "sql",
        "SELECT arm, count(*) AS n FROM trajectories GROUP BY arm",
        "--store",
        st,
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out) == [{"arm": "x", "n": 5}]
    code, out, _ = _cli(
        "sql",
        "SELECT count(*) AS n FROM problems",
        "--store",
        st,
        "--pipeline",
        "hand",
        "--format",
        "csv",
    )
    assert out.splitlines() == ["n", "4"]
    code, _, err = _cli("sql", "SELECT nope FROM problems", "--store", st)
    assert code == 1 and err.startswith("error: SQL error") and len(err.splitlines()) == 1

    code, out, _ = _cli("datasets", "list", "--store", st, "--kind", "trajectories")
    assert code == 0 and out.count("trajectories") >= 2
    from mathpref.store import open_store

    s = open_store(st)
    old, new = (
        h["stages"]["trajectories"]["outputs"]["trajectories"]["dataset_id"]
        for h in s.history("hand")[-3::2]
    )
    code, out, _ = _cli("datasets", "show", new, "--store", st)
    assert code == 0 and json.loads(out)["config"]["arm"] == "x"
    code, out, _ = _cli("datasets", "diff", old, new, "--store", st)
    assert code == 0 and "config.arm: 'base' -> 'x'" in out and "only in" in out
    code, out, _ = _cli("datasets", "gc", "--store", st, "--dry-run")
    assert code == 0 and "would remove 0 item(s)" in out
    code, out, _ = _cli("datasets", "gc", "--store", st, "--prune-history")
    assert code == 0 and old in out
