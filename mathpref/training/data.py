"""Training data from a release (a folder laid out as a Hub dataset repo, or a pinned Hub id).

`open_release(value)` parses RELEASE: an existing folder, or `ORG/NAME@REVISION` (a Hub id must
pin its revision: TRL's scripts take no dataset revision, so `mathpref train` is where pinning
happens). `load_splits(release, subset, method)` loads the config with `datasets` (train split
for training, test split for evaluation) and keeps the columns the method's TRL trainer reads:

| method   | default config            | columns kept                               |
|----------|---------------------------|--------------------------------------------|
| sft      | sft                       | prompt, completion (or messages)           |
| dpo      | dpo                       | chosen, rejected (+ prompt when present)   |
| kto      | kto                       | prompt, completion, label                  |
| step-dpo | step_dpo_trl, else step_dpo | prompt, chosen, rejected (strings only)  |

Step-DPO needs the standard string form: the prompt is the rendered chat prompt followed by the
correct reasoning prefix. A conversational prompt would be rendered with a generation prompt,
closing the prefix as a finished turn, so it is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathpref.errors import InputError, MathprefError

SUBSETS = {
    "sft": ("sft",),
    "dpo": ("dpo",),
    "kto": ("kto",),
    "step-dpo": ("step_dpo_trl", "step_dpo"),
}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class ReleaseDataError(MathprefError):
    """A release cannot be read for training."""


@dataclass
class Release:
    kind: str  # local | hub
    location: str  # folder path or Hub repo id
    revision: str | None  # Hub revision (None for a folder)
    configs: dict[str, dict[str, str]] = field(default_factory=dict)  # config -> split -> file
    lineage: dict[str, Any] | None = None  # mathpref_release.json, when the release has one

    @property
    def label(self) -> str:
        return self.location if self.kind == "local" else f"{self.location}@{self.revision}"

    @property
    def name(self) -> str:
        if self.lineage and self.lineage.get("name"):
            return str(self.lineage["name"])
        return Path(self.location).name if self.kind == "local" else self.location


def _front_matter(readme: Path) -> dict[str, Any]:
    import yaml

    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        raise InputError("front matter is not closed by '---'", path=str(readme))
    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError as exc:
        raise InputError(f"front matter is not valid YAML ({exc})", path=str(readme)) from None
    return data if isinstance(data, dict) else {}


def _configs(meta: dict[str, Any], where: str) -> dict[str, dict[str, str]]:
    out = {}
    for c in meta.get("configs") or []:
        files = c.get("data_files") or []
        if isinstance(files, str | dict):
            files = [files]
        splits = {}
        for f in files:
            if isinstance(f, dict):
                path = f.get("path")
                splits[f.get("split", "train")] = path[0] if isinstance(path, list) else path
            else:
                splits["train"] = f
        out[c.get("config_name", "default")] = splits
    if not out:
        raise ReleaseDataError(f"{where}: README.md has no 'configs:' block: not a release folder")
    return out


def open_release(value: str) -> Release:
    path = Path(value).expanduser()
    if path.is_dir():
        readme = path / "README.md"
        if not readme.is_file():
            raise ReleaseDataError(
                f"{path}: no README.md: not a release folder (make one with `mathpref release`)"
            )
        lineage = None
        lin = path / "mathpref_release.json"
        if lin.is_file():
            try:
                lineage = json.loads(lin.read_text())
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg})", path=str(lin), line=exc.lineno
                ) from None
        return Release(
            "local", str(path.resolve()), None, _configs(_front_matter(readme), value), lineage
        )
    repo, at, rev = value.partition("@")
    if _HUB_ID.match(repo) and not path.exists():
        if not at or not rev:
            raise ReleaseDataError(
                f"'{value}' is a Hub id without a revision: pin one as {repo}@REVISION "
                "(a commit or tag), so the training data cannot change under the same name"
            )
        return Release("hub", repo, rev)
    raise ReleaseDataError(f"release '{value}' is neither a folder nor a Hub id ORG/NAME@REVISION")


def pick_subset(
    release: Release, method: str, subset: str | None, preferred: str | None = None
) -> str:
    """--subset if given (it must exist); else the recipe's dataset_config, then the method's."""
    candidates = ([preferred] if preferred else []) + list(SUBSETS[method])
    if release.kind == "hub":  # configs are only known once loaded
        return subset or candidates[0]
    names = list(release.configs)
    if subset is not None:
        if subset not in release.configs:
            raise ReleaseDataError(
                f"release {release.label} has no config '{subset}' (configs: {', '.join(names)})"
            )
        return subset
    for cand in candidates:
        if cand in release.configs:
            return cand
    raise ReleaseDataError(
        f"release {release.label} has no '{SUBSETS[method][0]}' config for {method} "
        f"(configs: {', '.join(names)}); pick one with --subset"
    )


def data_fingerprint(release: Release, subset: str) -> str:
    """sha256 over the config's data files (a folder), or the pinned id (the Hub)."""
    h = hashlib.sha256()
    if release.kind == "hub":
        h.update(f"hub\0{release.location}\0{release.revision}\0{subset}".encode())
    else:
        for split, rel in sorted(release.configs[subset].items()):
            for f in sorted(Path(release.location).glob(rel)):
                h.update(f"{split}\0{f.relative_to(release.location)}\0".encode())
                with open(f, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
    return "sha256:" + h.hexdigest()[:32]


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value)


def select_columns(ds: Any, method: str, where: str) -> Any:
    cols = set(ds.column_names)

    def need(*names: str) -> list[str]:
        missing = [n for n in names if n not in cols]
        if missing:
            raise ReleaseDataError(
                f"{where}: no column(s) {missing} for {method} (columns: {', '.join(sorted(cols))})"
            )
        return list(names)

    if method == "sft":
        keep = need("prompt", "completion") if "prompt" in cols else need("messages")
    elif method == "dpo":
        keep = (["prompt"] if "prompt" in cols else []) + need("chosen", "rejected")
    elif method == "kto":
        keep = need("prompt", "completion", "label")
    else:
        keep = need("prompt", "chosen", "rejected")
        if ds.num_rows:
            first = ds[0]
            if any(_is_messages(first[c]) for c in keep):
                raise ReleaseDataError(
                    f"{where}: step-dpo needs the standard (string) form; a conversational "
                    "prompt would close the reasoning prefix as a finished turn"
                )
            published = "full_chosen" in cols  # Step-DPO's own field set: prompt = question
            if "initial_reason_steps" in cols and not published:
                for p, steps in zip(ds["prompt"], ds["initial_reason_steps"], strict=True):
                    if steps and not p.endswith(steps):
                        published = True
                        break
            if published:
                raise ReleaseDataError(
                    f"{where}: 'prompt' is the bare question (the published Step-DPO fields), "
                    "not the chat prompt + 'initial_reason_steps': train on the release's "
                    "step_dpo_trl config (--subset step_dpo_trl)"
                )
    return ds.select_columns(keep)


def load_splits(release: Release, subset: str, method: str, train_split: str, test_split: str):
    """(train, test or None) as `datasets.Dataset`s with the method's columns."""
    import datasets

    where = f"release {release.label} config '{subset}'"
    try:
        if release.kind == "local":
            dd = datasets.load_dataset(release.location, subset)
        else:
            dd = datasets.load_dataset(release.location, subset, revision=release.revision)
    except ValueError as exc:
        raise ReleaseDataError(f"{where}: {str(exc).splitlines()[0]}") from None
    except (OSError, ConnectionError) as exc:
        raise ReleaseDataError(f"{where}: cannot load ({str(exc).splitlines()[0]})") from None
    if train_split not in dd:
        raise ReleaseDataError(f"{where}: no '{train_split}' split (splits: {', '.join(dd)})")
    train = select_columns(dd[train_split], method, where)
    test = select_columns(dd[test_split], method, where) if test_split in dd else None
    if train.num_rows == 0:
        raise ReleaseDataError(f"{where}: the '{train_split}' split has no rows")
    return train, test
