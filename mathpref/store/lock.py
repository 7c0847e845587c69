"""An exclusive, non-blocking lock on a store, held for a whole build (fcntl.flock)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from mathpref.errors import StoreLockedError


class StoreLock:
    """`on_acquire` runs once the lock is held (the store clears killed runs' leftovers)."""

    def __init__(self, path: Path, on_acquire: Callable[[], object] | None = None):
        self.path = path
        self.on_acquire = on_acquire
        self._fd: int | None = None

    def acquire(self) -> StoreLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"store {self.path.parent} is locked by another build ({holder}); "
                "wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd
        if self.on_acquire is not None:
            try:
                self.on_acquire()
            except BaseException:
                self.release()
                raise
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
