"""In-memory state of the test Hub: repos, commits, branches, tags and LFS objects."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

LFS_SUFFIXES = (".parquet", ".png", ".arrow", ".bin", ".safetensors")


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
    ).encode()


@dataclass
class Entry:
    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def info(self, path: str) -> dict:
        if self.lfs:
            pointer = lfs_pointer(self.sha256, len(self.data))
            return {
                "type": "file",
                "path": path,
                "size": len(self.data),
                "oid": git_blob_oid(pointer),
                "lfs": {"oid": self.sha256, "size": len(self.data), "pointerSize": len(pointer)},
            }
        return {
            "type": "file",
            "path": path,
            "size": len(self.data),
            "oid": git_blob_oid(self.data),
        }


@dataclass
class Commit:
    oid: str
    parent: str | None
    message: str
    files: dict[str, Entry]


@dataclass
class Repo:
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit | None:
        oid = self.branches.get(rev) or self.tags.get(rev) or rev
        return self.commits.get(oid)


class HubState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        self.fail: dict[str, list[int]] = {}  # path fragment -> statuses to answer, in order

    def create(self, repo_id: str, private: bool) -> Repo:
        repo = Repo(repo_id, private)
        initial = {
            ".gitattributes": Entry(
                b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
                b"*.png filter=lfs diff=lfs merge=lfs -text\n",
                False,
            )
        }
        self._add_commit(repo, None, "initial commit", initial)
        self.repos[repo_id] = repo
        return repo

    def _add_commit(
        self, repo: Repo, parent: str | None, message: str, files: dict[str, Entry]
    ) -> Commit:
        h = hashlib.sha1((parent or "").encode() + message.encode())
        for path in sorted(files):
            h.update(path.encode() + b"\0" + files[path].sha256.encode())
        h.update(str(len(repo.commits)).encode())
        commit = Commit(h.hexdigest(), parent, message, files)
        repo.commits[commit.oid] = commit
        repo.branches["main"] = commit.oid
        return commit

    def commit(
        self, repo: Repo, branch: str, message: str, adds: dict[str, Entry], deletes: list[str]
    ) -> Commit:
        head = repo.resolve(branch)
        files = dict(head.files) if head else {}
        for path in deletes:
            if path not in files and not any(p.startswith(path.rstrip("/") + "/") for p in files):
                raise KeyError(path)
            files = {
                p: e
                for p, e in files.items()
                if p != path and not p.startswith(path.rstrip("/") + "/")
            }
        files.update(adds)
        return self._add_commit(repo, head.oid if head else None, message, files)

    def seed(self, repo_id: str, files: dict[str, bytes], oid: str) -> Repo:
        """A repo whose main branch is one commit with a chosen oid (a pinned revision)."""
        repo = Repo(repo_id, False)
        entries = {p: Entry(d, p.endswith(LFS_SUFFIXES)) for p, d in files.items()}
        repo.commits[oid] = Commit(oid, None, "seeded", entries)
        repo.branches["main"] = oid
        for e in entries.values():
            if e.lfs:
                self.lfs[e.sha256] = e.data
        self.repos[repo_id] = repo
        return repo
