"""`publish_release`: upload a release folder to a Hub dataset repo in one commit, then tag it.

- The repo is created when missing (`create_repo(exist_ok=True)`).
- One `create_commit` holds every file of the folder plus a delete for each remote file the folder
  does not have (`.gitattributes` excepted), so a release with fewer shards never serves stale ones.
- Unchanged content makes no new commit (huggingface_hub drops no-op operations; we check first).
- A tag that already names different content is refused before anything is uploaded.
- The token comes from huggingface_hub's usual sources (HF_TOKEN, the saved login) and is never
  printed. 401/403, a missing repo, 429 (retried with backoff) and network failures each end in
  one `PublishError` line.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mathpref.errors import MathprefError
from mathpref.release.layout import LINEAGE

T = TypeVar("T")
KEEP_REMOTE = (".gitattributes",)


class PublishError(MathprefError):
    """Publishing a release to the Hub failed (one line, no token)."""


@dataclass
class Published:
    repo: str
    commit: str
    new_commit: bool
    tag: str | None
    uploaded: int
    deleted: int


def _status(exc: BaseException) -> int | None:
    resp = getattr(exc, "response", None)
    return getattr(resp, "status_code", None)


def _call(
    what: str, repo: str, fn: Callable[[], T], *, retries: int = 5, backoff: float = 1.0
) -> T:
    """Run one Hub call: retry 429 with exponential backoff, turn failures into one line."""
    from huggingface_hub.errors import (
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    for attempt in range(retries + 1):
        try:
            return fn()
        except RepositoryNotFoundError:
            raise PublishError(
                f"{what}: dataset repo {repo} not found (or the token cannot see it)"
            ) from None
        except RevisionNotFoundError:
            raise PublishError(f"{what}: revision not found in {repo}") from None
        except HfHubHTTPError as exc:
            status = _status(exc)
            if status == 429 and attempt < retries:
                time.sleep(backoff * 2**attempt)
                continue
            if status == 429:
                raise PublishError(
                    f"{what}: the Hub is rate-limiting (429) after {retries + 1} "
                    "tries; wait and publish again"
                ) from None
            if status == 401:
                raise PublishError(
                    f"{what}: authentication failed (401): the token is missing, "
                    "invalid or expired; log in with `hf auth login` or set "
                    "HF_TOKEN"
                ) from None
            if status == 403:
                raise PublishError(
                    f"{what}: permission denied (403): the token cannot write to "
                    f"{repo} (a read-only token, or not a member of the "
                    "organisation)"
                ) from None
            raise PublishError(
                f"{what}: the Hub answered {status}: {str(exc).splitlines()[0]}"
            ) from None
        except (_transport_errors(), ConnectionError, OSError) as exc:
            raise PublishError(
                f"{what}: cannot reach the Hub at {_endpoint()} (network error: "
                f"{type(exc).__name__})"
            ) from None
    raise AssertionError("unreachable")


def _transport_errors() -> type[BaseException]:
    """The HTTP client's transport error class (huggingface_hub 2.x uses httpx2)."""
    try:
        import httpx2

        return httpx2.TransportError
    except ImportError:  # pragma: no cover - an older huggingface_hub on httpx
        import httpx

        return httpx.TransportError


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def _git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def local_files(root: Path) -> dict[str, bytes]:
    files = {
        str(p.relative_to(root)).replace("\\", "/"): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
    if LINEAGE not in files or "README.md" not in files:
        raise PublishError(
            f"{root} is not a release folder (no {LINEAGE} or README.md); "
            "make one with `mathpref release`"
        )
    return files


def _same(local: dict[str, bytes], remote: dict[str, Any]) -> bool:
    """Whether the remote tree (path -> RepoFile) holds exactly the local files."""
    paths = {p for p in remote if p not in KEEP_REMOTE}
    if paths != set(local):
        return False
    for path, data in local.items():
        f = remote[path]
        if f.lfs is not None:
            if f.lfs.sha256 != hashlib.sha256(data).hexdigest():
                return False
        elif f.blob_id != _git_blob_oid(data):
            return False
    return True


def publish_release(
    folder: str | Path,
    repo: str,
    *,
    tag: str | None = None,
    private: bool = False,
    backoff: float = 1.0,
    message: str | None = None,
) -> Published:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.hf_api import RepoFile

    root = Path(folder)
    if not root.is_dir():
        raise PublishError(f"{root} is not a folder")
    if repo.count("/") != 1:
        raise PublishError(f"--repo must be ORG/NAME, not '{repo}'")
    files = local_files(root)
    api = HfApi()

    def call(what, fn):
        return _call(what, repo, fn, backoff=backoff)

    call(
        "create repo",
        lambda: api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True),
    )
    refs = call("list refs", lambda: api.list_repo_refs(repo, repo_type="dataset"))
    tags = {t.name: t.target_commit for t in refs.tags}

    def tree(revision: str) -> dict[str, Any]:
        items = call(
            "list files",
            lambda: list(
                api.list_repo_tree(repo, repo_type="dataset", revision=revision, recursive=True)
            ),
        )
        return {f.path: f for f in items if isinstance(f, RepoFile)}

    if tag is not None and tag in tags:
        if not _same(files, tree(tags[tag])):
            raise PublishError(
                f"tag '{tag}' already names other content in {repo} (commit "
                f"{tags[tag][:12]}); publish under a new tag"
            )
        return Published(repo, tags[tag], False, tag, 0, 0)
    head = {b.name: b.target_commit for b in refs.branches}.get("main")
    remote = tree("main") if head else {}
    if head and _same(files, remote):
        commit, new = head, False
        uploaded = deleted = 0
    else:
        ops: list = [
            CommitOperationAdd(path_in_repo=p, path_or_fileobj=data) for p, data in files.items()
        ]
        stale = sorted(p for p in remote if p not in files and p not in KEEP_REMOTE)
        ops += [CommitOperationDelete(path_in_repo=p) for p in stale]
        name = root.name if root.name else repo
        info = call(
            "commit",
            lambda: api.create_commit(
                repo,
                ops,
                repo_type="dataset",
                revision="main",
                commit_message=message or f"mathpref release {name}",
            ),
        )
        commit, new = info.oid, info.oid != head
        uploaded, deleted = len(files), len(stale)
    if tag is not None:
        call("tag", lambda: api.create_tag(repo, tag=tag, revision=commit, repo_type="dataset"))
    return Published(repo, commit, new, tag, uploaded, deleted)
