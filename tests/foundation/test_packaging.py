import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


@pytest.mark.timeout(240)
def test_wheel_ships_schemas_sql_and_pipelines(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("mathpref-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for sub in ("schemas", "sql", "pipelines", "training"):
        shipped = {n for n in names if n.startswith(f"mathpref/_data/{sub}/")}
        local = {
            f"mathpref/_data/{sub}/{p.relative_to(REPO / sub)}"
            for p in (REPO / sub).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert local and local <= shipped, sub
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert b"mathpref = mathpref.cli:main" in zipfile.ZipFile(wheel).read(entry[0])
