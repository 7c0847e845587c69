"""Item 2: `mathpref sql` cannot write into the store (tests run as root, so file modes do not
stop anything here: the statement checks do)."""

import os
import subprocess
import sys

import pytest

from mathpref.db import connect
from mathpref.db.readonly import ReadOnlyError, readonly_query
from mathpref.errors import StoreError
from mathpref.store import Store
from tests.foundation.helpers import make_project


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ro")
    spec = make_project(tmp)
    r = subprocess.run(
        [sys.executable, "-m", "mathpref.cli", "build", str(spec), "--store", str(tmp / "st")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return Store(tmp / "st")


def _sql(st, text):
    return readonly_query(connect(st), text, st.root)


def _part(st):
    return st.files(st.read_ref().output("trajectories", "trajectories")["dataset_id"])[0]


def test_copy_over_a_part_file_is_refused_and_nothing_changes(built):
    part = _part(built)
    before = part.read_bytes()
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "mathpref.cli",
            "sql",
            f"COPY (SELECT * FROM trajectories WHERE arm = 'x') TO '{part}' (FORMAT parquet)",
            "--store",
            str(built.root),
        ],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1 and "into the store is refused" in cli.stderr
    assert len(cli.stderr.strip().splitlines()) == 1
    assert part.read_bytes() == before
    assert os.geteuid() != 0 or os.access(part, os.W_OK)  # as root the 0444 mode is no guard


@pytest.mark.parametrize(
    "text",
    [
        "COPY trajectories TO '{store}/datasets/x.csv'",
        "copy (select 1) to '{store}/../{name}/new.parquet'",
        "SELECT 1; COPY problems (problem_id) TO '{store}/refs/h.json'",
        "COPY problems TO '{link}/evil.csv'",
        "EXPORT DATABASE '{store}/exported'",
        "EXPLAIN ANALYZE COPY problems TO '{store}/e.csv'",
        "PREPARE p AS COPY problems TO '{store}/p.csv'",
        "COPY problems TO $${store}/dollar.csv$$",
        "COPY problems TO E'{store}/e2.csv'",
        "ATTACH '{store}/db.duckdb' AS d",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "RESET lock_configuration",
        "PRAGMA enable_profiling",
        "SET GLOBAL allowed_directories = ['/']",
        "COPY FROM DATABASE memory TO other",
    ],
)
def test_refused_statements(built, tmp_path, text):
    link = tmp_path / "link"
    link.symlink_to(built.root / "datasets")
    q = text.format(store=built.root, name=built.root.name, link=link)
    with pytest.raises(ReadOnlyError):
        _sql(built, q)
    assert not list(built.root.rglob("*.csv")) and not (built.root / "exported").exists()


def test_relative_target_resolves_against_the_working_directory(built, monkeypatch):
    monkeypatch.chdir(built.root / "datasets")
    with pytest.raises(ReadOnlyError, match="inside"):
        _sql(built, "COPY problems TO 'problems/x.csv'")


def test_copy_elsewhere_works_and_settings_are_locked(built, tmp_path):
    out = tmp_path / "out.parquet"
    _sql(built, f"COPY (SELECT problem_id FROM problems) TO '{out}' (FORMAT parquet)")
    assert out.stat().st_size > 0
    assert _sql(built, f"SELECT count(*) AS n FROM read_parquet('{out}')").to_pylist() == [{"n": 4}]
    with pytest.raises(StoreError, match="configuration has been locked"):
        _sql(built, "SET threads = 1")
    assert _sql(built, "SELECT 1 AS a; SELECT 2 AS b").to_pylist() == [{"b": 2}]
