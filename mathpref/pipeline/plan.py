"""What a build would do and why: plan entries and the reasons a stage version changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PlanEntry:
    name: str
    kind: str
    action: str  # cached | run
    reasons: list[str]
    version_id: str | None


def why(ident: dict[str, Any], last: dict[str, Any] | None) -> list[str]:
    if last is None:
        return ["not built before in this pipeline"]
    reasons = []
    if last.get("code_version") != ident["code_version"]:
        reasons.append(f"code version {last.get('code_version')} -> {ident['code_version']}")
    old, new = last.get("config", {}), ident["config"]
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            reasons.append(f"setting {key}: {old.get(key)!r} -> {new.get(key)!r}")
    if last.get("parts") != ident["parts"]:
        reasons.append(f"library versions {last.get('parts')} -> {ident['parts']}")
    for role in sorted(set(last.get("inputs", {})) | set(ident["inputs"])):
        if last.get("inputs", {}).get(role) != ident["inputs"].get(role):
            reasons.append(f"input '{role}' changed")
    return reasons or ["output missing from the store"]
