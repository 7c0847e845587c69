"""Item 1 from the command line: a corrupt part is found by `datasets verify`, refused by the next
build (never reported as cached), removed by `datasets repair`, and recomputed identically."""

import os
import subprocess
import sys

from mathpref.store import Store
from tests.foundation.helpers import make_project


def _cli(*args):
    r = subprocess.run(
        [sys.executable, "-m", "mathpref.cli", *args], capture_output=True, text=True, timeout=120
    )
    return r.returncode, r.stdout, r.stderr


def _fps(store):
    ref = Store(store).read_ref("hand")
    return {
        n: {r: o["fingerprint"] for r, o in s["outputs"].items()} for n, s in ref.stages.items()
    }


def test_verify_build_repair_rebuild(tmp_path):
    spec, st = str(make_project(tmp_path)), str(tmp_path / "st")
    assert _cli("build", spec, "--store", st)[0] == 0
    before = _fps(st)
    code, out, _ = _cli("datasets", "verify", "--store", st, "--full")
    assert code == 0 and "0 bad" in out, out

    did = Store(st).read_ref("hand").output("trajectories", "trajectories")["dataset_id"]
    part = Store(st).files(did)[0]
    os.chmod(part, 0o644)
    data = bytearray(part.read_bytes())
    data[100] ^= 0x55
    part.write_bytes(bytes(data))

    code, out, err = _cli("datasets", "verify", "--store", st)
    assert code == 1 and f"corrupt    trajectories/{did}" in out
    assert f"datasets repair ID` for each of: {did}" in err
    code, out, err = _cli("build", spec, "--store", st)
    assert code == 1 and "cached" not in out
    assert f"trajectories/{did}" in err and f"mathpref datasets repair {did}" in err
    assert len(err.strip().splitlines()) == 1

    code, out, err = _cli("datasets", "repair", did, "--store", st)
    assert code == 0 and f"removed trajectories/{did}" in out, err
    code, out, _ = _cli("build", spec, "--store", st)
    assert code == 0 and "1 stage(s) computed, 1 cached" in out
    assert _fps(st) == before
    code, out, _ = _cli("datasets", "verify", "--full", "--store", st)
    assert code == 0 and "0 bad" in out


def test_repair_refuses_a_clean_version(tmp_path):
    spec, st = str(make_project(tmp_path)), str(tmp_path / "st")
    assert _cli("build", spec, "--store", st)[0] == 0
    did = Store(st).read_ref("hand").output("problems", "problems")["dataset_id"]
    code, _, err = _cli("datasets", "repair", did, "--store", st)
    assert code == 1 and "verifies clean" in err
