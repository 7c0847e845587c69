"""`mathpref publish` against a Hub-protocol server on 127.0.0.1 (tests/hubserver), with the real
huggingface_hub client and `datasets` in a child process whose HF_ENDPOINT is set before import.
No test reaches any real hub."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mathpref.release import ReleaseOptions, release_build
from tests.hubserver import HubServer

REPO_ROOT = Path(__file__).resolve().parents[2]
GOOD = "hf_good_token"


@pytest.fixture
def hub():
    with HubServer(tokens=(GOOD,), readonly=("hf_read_token",)) as server:
        yield server


def _env(tmp_path: Path, endpoint: str, token: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        {
            "HF_ENDPOINT": endpoint,
            "HF_HUB_DISABLE_XET": "1",
            "HF_HOME": str(tmp_path / "hf"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    if token:
        env["HF_TOKEN"] = token
    return env


def _cli(tmp_path, endpoint, token, *args):
    return subprocess.run(
        [sys.executable, "-m", "mathpref.cli", "publish", *map(str, args)],
        capture_output=True,
        text=True,
        env=_env(tmp_path, endpoint, token),
        timeout=300,
        cwd=tmp_path,
    )


def _py(tmp_path, endpoint, token, code: str):
    res = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=_env(tmp_path, endpoint, token),
        timeout=300,
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def _commits(hub, repo="org/demo") -> int:
    return len(hub.state.repos[repo].commits)


@pytest.fixture(scope="module")
def releases(store, tmp_path_factory):
    root = tmp_path_factory.mktemp("pub")
    demo, prm = root / "demo", root / "prm"
    release_build(store, "demo-scripted", demo)
    release_build(store, "prm800k-step-pairs", prm, ReleaseOptions(allow_contaminated=True))
    return demo, prm


def test_publish_republish_tag_and_load_back(hub, releases, tmp_path):
    demo, prm = releases
    res = _cli(tmp_path, hub.url, GOOD, demo, "--repo", "org/demo", "--tag", "v1")
    assert res.returncode == 0, res.stderr
    assert "new commit" in res.stdout and "tag v1" in res.stdout
    repo = hub.state.repos["org/demo"]
    head = repo.branches["main"]
    local = {str(p.relative_to(demo)) for p in demo.rglob("*") if p.is_file()}
    assert set(repo.commits[head].files) == local | {".gitattributes"}
    assert repo.tags["v1"] == head
    # one commit for the whole folder (initial commit + 1), LFS for parquet and png
    assert _commits(hub) == 2
    assert any(p.startswith("/lfs-upload/") for _, p in hub.state.requests)
    assert sum(1 for m, p in hub.state.requests if m == "POST" and "/commit/" in p) == 1
    # unchanged content: no new commit, with or without the same tag
    again = _cli(tmp_path, hub.url, GOOD, demo, "--repo", "org/demo", "--tag", "v1")
    assert again.returncode == 0 and "no new commit" in again.stdout
    again = _cli(tmp_path, hub.url, GOOD, demo, "--repo", "org/demo")
    assert again.returncode == 0 and "no new commit" in again.stdout
    assert _commits(hub) == 2
    # load_dataset at the tag returns the release's rows
    got = _py(
        tmp_path,
        hub.url,
        GOOD,
        f"""
        import json
        from datasets import load_dataset
        hub = load_dataset("org/demo", "dpo", revision="v1")
        local = load_dataset({str(demo)!r}, "dpo")
        print(json.dumps({{s: hub[s].to_list() == local[s].to_list() for s in local}}))
    """,
    )
    assert got == {"train": True, "test": True}
    # a reused tag for other content is refused, and nothing is committed
    refused = _cli(tmp_path, hub.url, GOOD, prm, "--repo", "org/demo", "--tag", "v1")
    assert refused.returncode == 1 and _commits(hub) == 2
    assert (
        refused.stderr.strip().splitlines() == [refused.stderr.strip()]
        and "tag 'v1' already names other content" in refused.stderr
    )
    # a smaller release replaces the files: stale ones are deleted in the same commit
    res = _cli(tmp_path, hub.url, GOOD, prm, "--repo", "org/demo", "--tag", "v2")
    assert res.returncode == 0, res.stderr
    files = set(repo.commits[repo.branches["main"]].files)
    assert (
        not any(f.startswith("data/dpo/") for f in files)
        and "data/prm/train-00000-of-00001.parquet" in files
    )
    assert _commits(hub) == 3 and repo.tags["v1"] == head


def test_bad_and_readonly_tokens_give_one_line(hub, releases, tmp_path):
    demo, _ = releases
    bad = _cli(tmp_path, hub.url, "hf_wrong_secret_value", demo, "--repo", "org/demo")
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "authentication failed (401)" in bad.stderr
    assert "hf_wrong_secret_value" not in bad.stderr + bad.stdout
    hub.state.create("org/demo", False)
    ro = _cli(tmp_path, hub.url, "hf_read_token", demo, "--repo", "org/demo")
    assert ro.returncode == 1 and ro.stderr.count("\n") == 1
    assert "permission denied (403)" in ro.stderr and "hf_read_token" not in ro.stderr
    none = _cli(tmp_path, hub.url, None, demo, "--repo", "org/demo")
    assert none.returncode == 1 and "(401)" in none.stderr


def test_rate_limit_is_retried_then_reported(hub, releases, tmp_path):
    demo, _ = releases
    hub.state.fail["/preupload/"] = [429, 429]
    got = _py(
        tmp_path,
        hub.url,
        GOOD,
        f"""
        import json
        from mathpref.release.publish import publish_release
        r = publish_release({str(demo)!r}, "org/demo", backoff=0.01)
        print(json.dumps({{"new": r.new_commit}}))
    """,
    )
    assert got == {"new": True} and hub.state.fail["/preupload/"] == []
    hub.state.fail["/api/datasets/org/demo/refs"] = [429] * 10
    got = _py(
        tmp_path,
        hub.url,
        GOOD,
        f"""
        import json
        from mathpref.release.publish import PublishError, publish_release
        try:
            publish_release({str(demo)!r}, "org/demo", backoff=0.01)
        except PublishError as exc:
            print(json.dumps(str(exc)))
    """,
    )
    assert "rate-limiting (429) after 6 tries" in got and "\n" not in got


def test_missing_repo_and_network_failure(hub, releases, tmp_path):
    demo, _ = releases
    hub.state.fail["/api/datasets/org/gone/refs"] = [(404, "RepoNotFound")]
    res = _cli(tmp_path, hub.url, GOOD, demo, "--repo", "org/gone")
    assert res.returncode == 1 and "dataset repo org/gone not found" in res.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = _cli(tmp_path, f"http://127.0.0.1:{port}", GOOD, demo, "--repo", "org/demo")
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "cannot reach the Hub" in res.stderr and GOOD not in res.stderr


def test_eval_set_from_a_pinned_hub_revision(hub, tmp_path, shared_data):
    """The registry's `source="hub"` path: datasets reads openai/gsm8k at the pinned commit."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mathpref.evalsets import get_eval_set

    spec = get_eval_set("gsm8k-test")
    rows = [json.loads(x) for x in (shared_data / "gsm8k/test.jsonl").read_text().splitlines()[:3]]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    readme = (
        "---\nconfigs:\n- config_name: main\n  data_files:\n  - split: test\n"
        "    path: main/test-*\n---\n"
    )
    hub.state.seed(
        spec.hub_repo,
        {"README.md": readme.encode(), "main/test-00000-of-00001.parquet": buf.getvalue()},
        spec.hub_revision,
    )
    got = _py(
        tmp_path,
        hub.url,
        None,
        """
        import json
        from mathpref.evalsets import load_eval_set
        t = load_eval_set("gsm8k-test", source="hub")
        print(json.dumps(t.select(["item_id", "question"]).to_pylist()))
    """,
    )
    assert [r["question"] for r in got] == [r["question"] for r in rows]
    assert got[0]["item_id"] == "gsm8k-test:0"
    # another revision than the pinned one is never read
    assert any(spec.hub_revision in p for _, p in hub.state.requests)
