"""An append-only JSONL journal of finished requests: request-level resume for generation."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self._fh = None

    def load(self) -> dict[str, dict[str, Any]]:
        """Finished results by request id; a torn last line (killed mid-write) is dropped."""
        done: dict[str, dict[str, Any]] = {}
        if not self.path.is_file():
            return done
        good = 0
        with open(self.path, "rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break
                try:
                    rec = json.loads(raw)
                except json.JSONDecodeError:
                    break
                done[rec["request_id"]] = rec
                good += len(raw)
        if good != self.path.stat().st_size:
            with open(self.path, "r+b") as fh:
                fh.truncate(good)
        return done

    def append(self, rec: dict[str, Any]) -> dict[str, Any]:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return rec

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
