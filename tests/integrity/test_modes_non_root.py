"""Item 2's file modes for a non-root user: published files cannot be opened for writing, and gc
still removes a version (it restores write bits before the rename). Runs as root by switching a
forked child to `nobody`; skipped where the tests do not run as root."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from mathpref.store import Store
from mathpref.store.atomic import discard
from tests.integrity.kinds import sample_table

NOBODY = 65534


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_modes_stop_a_non_root_writer_and_gc_restores_write_bits():
    base = Path(tempfile.mkdtemp(dir="/tmp", prefix="mathpref-modes-"))
    try:
        os.chmod(base, 0o755)
        st = Store(base / "st")
        st.write_dataset("problems", sample_table("problems"), dataset_id="d", manifest={})
        folder, part = st.dataset_dir("d"), st.files("d")[0]
        for dirpath, dirnames, filenames in os.walk(base / "st"):
            for name in [*dirnames, *filenames]:
                os.lchown(os.path.join(dirpath, name), NOBODY, NOBODY)
        os.chown(base / "st", NOBODY, NOBODY)
        pid = os.fork()
        if pid == 0:  # the child: nobody
            code = 0
            try:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                try:
                    open(part, "r+b").close()
                    code = 3  # a write would have been possible
                except PermissionError:
                    pass
                if code == 0:
                    discard(folder, st.trash)
                    code = 0 if not folder.exists() else 4
            except BaseException:
                code = 5
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert not folder.exists() and not list((base / "st" / "trash").iterdir())
    finally:
        shutil.rmtree(base, ignore_errors=True)
