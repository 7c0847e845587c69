"""A Hub-protocol HTTP server on 127.0.0.1 for tests, written from the endpoints that
huggingface_hub 2.4 and datasets 5.2 call (dataset repos only, no Xet):

    POST /api/repos/create                              create_repo
    GET  /api/datasets/{id}[/revision/{rev}]            repo_info / dataset_info
    POST /api/validate-yaml                             README check in create_commit
    POST /api/datasets/{id}/preupload/{rev}             upload modes (regular | lfs) + remote oids
    POST /datasets/{id}.git/info/lfs/objects/batch      LFS batch (basic transfer)
    PUT  /lfs-upload/{sha256}                           LFS object upload
    POST /api/datasets/{id}/commit/{rev}                ndjson commit
    POST /api/datasets/{id}/tag/{rev}                   create_tag
    GET  /api/datasets/{id}/refs                        list_repo_refs
    GET  /api/datasets/{id}/tree/{rev}[/{path}]         list_repo_tree / list_repo_files
    POST /api/datasets/{id}/paths-info/{rev}            get_paths_info (HfFileSystem)
    HEAD|GET /datasets/{id}/resolve/{rev}/{path}        hf_hub_download, load_dataset

Writes need `Authorization: Bearer <token>` with a token in `tokens` (else 401); `readonly`
tokens get 403 on writes. `state.fail[fragment] = [429, (404, "RepoNotFound")]` answers the next
requests whose path contains the fragment with those statuses (and error codes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.hubserver.store import LFS_SUFFIXES, Entry, HubState

REPO = r"(?P<repo>[^/]+/[^/]+?)"
REV = r"(?P<rev>[^/]+)"


class HubServer:
    def __init__(self, tokens=("hf_good_token",), readonly=("hf_read_token",)):
        self.state = HubState()
        self.tokens, self.readonly = set(tokens), set(readonly)
        handler = type("Handler", (_Handler,), {"hub": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> HubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    # -- plumbing ------------------------------------------------------------------------
    def _body(self) -> bytes:
        if not hasattr(self, "_cached"):
            n = int(self.headers.get("Content-Length") or 0)
            self._cached = self.rfile.read(n) if n else b""
        return self._cached

    def _send(self, status: int, body=b"", headers=None, head=False) -> None:
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _error(self, status: int, message: str, code: str | None = None, head=False) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, {"error": message}, headers, head=head)

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    def _can_read(self) -> bool:
        tok = self._token()
        return tok is None or tok in self.hub.tokens or tok in self.hub.readonly

    def _write_check(self) -> bool:
        tok = self._token()
        if tok is None or (tok not in self.hub.tokens and tok not in self.hub.readonly):
            self._error(401, "Invalid credentials in Authorization header")
            return False
        if tok in self.hub.readonly:
            self._error(403, "You don't have the rights to write to this repo")
            return False
        return True

    def _repo(self, repo_id: str, head=False):
        repo = self.hub.state.repos.get(repo_id)
        if repo is None:
            self._error(404, "Repository not found", "RepoNotFound", head=head)
        return repo

    def _injected(self, path: str) -> bool:
        for frag, statuses in self.hub.state.fail.items():
            if frag in path and statuses:
                self._body()  # read the request first, as a real server would
                status = statuses.pop(0)
                status, code = status if isinstance(status, tuple) else (status, None)
                headers = {"Retry-After": "0", **({"X-Error-Code": code} if code else {})}
                self._send(status, {"error": "injected"}, headers)
                return True
        return False

    def _dispatch(self, method: str) -> None:
        self.__dict__.pop("_cached", None)  # one handler serves every request of a connection
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        with self.hub.state.lock:
            self.hub.state.requests.append((method, path))
            if self._injected(path):
                return
            if not self._can_read():
                self._error(401, "Invalid credentials in Authorization header")
                return
            for verb, pattern, fn in ROUTES:
                m = re.fullmatch(pattern, path)
                if verb == method or (verb == "GET" and method == "HEAD"):
                    if m:
                        args = {k: v for k, v in m.groupdict().items() if v is not None}
                        try:
                            fn(self, query=query, head=method == "HEAD", **args)
                        except Exception as exc:  # a server bug: answer, never hang up
                            self._error(500, f"{type(exc).__name__}: {exc}")
                        return
            self._error(404, f"no route for {method} {path}")

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_HEAD(self):  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self):  # noqa: N802
        self._dispatch("PUT")

    # -- endpoints -----------------------------------------------------------------------
    def create_repo(self, **_):
        if not self._write_check():
            return
        body = json.loads(self._body() or b"{}")
        repo_id = f"{body.get('organization') or 'user'}/{body['name']}"
        url = f"{self.hub.url}/datasets/{repo_id}"
        if repo_id in self.hub.state.repos:
            self._send(409, {"error": "You already created this dataset repo", "url": url})
            return
        self.hub.state.create(repo_id, bool(body.get("private")))
        self._send(200, {"url": url, "name": repo_id})

    def repo_info(self, repo, rev="main", head=False, **_):
        r = self._repo(repo, head)
        if r is None:
            return
        c = r.resolve(rev)
        if c is None:
            self._error(404, "Invalid rev id", "RevisionNotFound", head=head)
            return
        self._send(
            200,
            {
                "id": repo,
                "sha": c.oid,
                "private": r.private,
                "disabled": False,
                "siblings": [{"rfilename": p} for p in sorted(c.files)],
                "tags": [],
                "downloads": 0,
                "likes": 0,
                "lastModified": "2026-01-01T00:00:00.000Z",
            },
            head=head,
        )

    def validate_yaml(self, **_):
        self._body()
        self._send(200, {"errors": [], "warnings": []})

    def preupload(self, repo, rev, **_):
        if not self._write_check():
            return
        r = self._repo(repo)
        if r is None:
            return
        head = r.resolve(rev)
        files = []
        for f in json.loads(self._body())["files"]:
            lfs = f["path"].endswith(LFS_SUFFIXES) or f["size"] > 10_000_000
            old = head.files.get(f["path"]) if head else None
            oid = None
            if old is not None:
                oid = old.sha256 if old.lfs else old.info(f["path"])["oid"]
            files.append(
                {
                    "path": f["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": oid,
                }
            )
        self._send(200, {"files": files, "commitOid": head.oid if head else None})

    def lfs_batch(self, repo, **_):
        if not self._write_check():
            return
        body = json.loads(self._body())
        objects = []
        for o in body["objects"]:
            item = {"oid": o["oid"], "size": o["size"]}
            if o["oid"] not in self.hub.state.lfs:
                item["actions"] = {"upload": {"href": f"{self.hub.url}/lfs-upload/{o['oid']}"}}
            objects.append(item)
        self._send(
            200,
            {"transfer": "basic", "objects": objects},
            {"Content-Type": "application/vnd.git-lfs+json"},
        )

    def lfs_upload(self, oid, **_):
        data = self._body()
        if hashlib.sha256(data).hexdigest() != oid:
            self._error(400, "sha256 mismatch")
            return
        self.hub.state.lfs[oid] = data
        self._send(200, b"")

    def commit(self, repo, rev, **_):
        if not self._write_check():
            return
        r = self._repo(repo)
        if r is None:
            return
        lines = [json.loads(x) for x in self._body().splitlines() if x.strip()]
        header = next(x["value"] for x in lines if x["key"] == "header")
        adds, deletes = {}, []
        for x in lines:
            v = x["value"]
            if x["key"] == "file":
                adds[v["path"]] = Entry(base64.b64decode(v["content"]), False)
            elif x["key"] == "lfsFile":
                data = self.hub.state.lfs.get(v["oid"])
                if data is None:
                    self._error(400, f"LFS object {v['oid']} was never uploaded")
                    return
                adds[v["path"]] = Entry(data, True)
            elif x["key"] in ("deletedFile", "deletedFolder"):
                deletes.append(v["path"])
        try:
            c = self.hub.state.commit(r, rev, header["summary"], adds, deletes)
        except KeyError as exc:
            self._error(404, f"A file with this name doesn't exist: {exc}", "EntryNotFound")
            return
        self._send(
            200,
            {
                "success": True,
                "commitOid": c.oid,
                "commitUrl": f"{self.hub.url}/datasets/{repo}/commit/{c.oid}",
            },
        )

    def tag(self, repo, rev, **_):
        if not self._write_check():
            return
        r = self._repo(repo)
        if r is None:
            return
        body = json.loads(self._body())
        c = r.resolve(rev)
        if c is None:
            self._error(404, "Invalid rev id", "RevisionNotFound")
        elif body["tag"] in r.tags:
            self._error(409, f"Tag {body['tag']} already exists")
        else:
            r.tags[body["tag"]] = c.oid
            self._send(200, {"name": body["tag"]})

    def refs(self, repo, **_):
        r = self._repo(repo)
        if r is None:
            return

        def ref(kind, name, oid):
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": oid}

        self._send(
            200,
            {
                "branches": [ref("heads", n, o) for n, o in r.branches.items()],
                "tags": [ref("tags", n, o) for n, o in r.tags.items()],
                "converts": [],
            },
        )

    def tree(self, repo, rev, sub="", query=None, **_):
        r = self._repo(repo)
        if r is None:
            return
        c = r.resolve(rev)
        if c is None:
            self._error(404, "Invalid rev id", "RevisionNotFound")
            return
        recursive = (query or {}).get("recursive", ["false"])[0].lower() in ("true", "1")
        prefix = sub.strip("/") + "/" if sub.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in c.files):
            self._error(404, f"{sub} does not exist", "EntryNotFound")
            return
        entries, dirs = [], set()
        for path in sorted(c.files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :].split("/")
            for i in range(1, len(rest)):
                d = prefix + "/".join(rest[:i])
                if (recursive or i == 1) and d not in dirs:
                    dirs.add(d)
                    entries.append({"type": "directory", "path": d, "oid": "0" * 40, "size": 0})
            if recursive or len(rest) == 1:
                entries.append(c.files[path].info(path))
        self._send(200, entries)

    def paths_info(self, repo, rev, **_):
        r = self._repo(repo)
        if r is None:
            return
        c = r.resolve(rev)
        raw = self._body().decode()
        ctype = self.headers.get("Content-Type", "")
        paths = (
            json.loads(raw).get("paths", []) if "json" in ctype else parse_qs(raw).get("paths", [])
        )
        out = []
        for p in paths:
            p = p.strip("/")
            if p in c.files:
                out.append(c.files[p].info(p))
            elif any(f.startswith(p + "/") for f in c.files) or p == "":
                out.append({"type": "directory", "path": p, "oid": "0" * 40, "size": 0})
        self._send(200, out)

    def resolve(self, repo, rev, file, head=False, **_):
        r = self._repo(repo, head)
        if r is None:
            return
        c = r.resolve(rev)
        if c is None:
            self._error(404, "Invalid rev id", "RevisionNotFound", head=head)
            return
        e = c.files.get(file)
        if e is None:
            self._error(404, "Entry not found", "EntryNotFound", head=head)
            return
        info = e.info(file)
        headers = {
            "X-Repo-Commit": c.oid,
            "ETag": f'"{info["oid"]}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        if e.lfs:
            headers.update({"X-Linked-Etag": f'"{e.sha256}"', "X-Linked-Size": str(len(e.data))})
        data = e.data
        rng = self.headers.get("Range")
        if rng and not head:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
            if m:
                start = int(m.group(1))
                end = int(m.group(2)) if m.group(2) else len(data) - 1
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                self._send(206, data[start : end + 1], headers)
                return
        self._send(200, data, headers, head=head)


ROUTES = [
    ("POST", r"/api/repos/create", _Handler.create_repo),
    ("POST", r"/api/validate-yaml", _Handler.validate_yaml),
    ("POST", rf"/api/datasets/{REPO}/preupload/{REV}", _Handler.preupload),
    ("POST", rf"/datasets/{REPO}\.git/info/lfs/objects/batch", _Handler.lfs_batch),
    ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", _Handler.lfs_upload),
    ("POST", rf"/api/datasets/{REPO}/commit/{REV}", _Handler.commit),
    ("POST", rf"/api/datasets/{REPO}/tag/{REV}", _Handler.tag),
    ("GET", rf"/api/datasets/{REPO}/refs", _Handler.refs),
    ("GET", rf"/api/datasets/{REPO}/tree/{REV}(?P<sub>/.*)?", _Handler.tree),
    ("POST", rf"/api/datasets/{REPO}/paths-info/{REV}", _Handler.paths_info),
    ("GET", rf"/api/datasets/{REPO}/revision/{REV}", _Handler.repo_info),
    ("GET", rf"/api/datasets/{REPO}", _Handler.repo_info),
    ("GET", rf"/datasets/{REPO}/resolve/{REV}/(?P<file>.+)", _Handler.resolve),
]
