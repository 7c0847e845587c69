"""The quarantine share check of reading stages (problems, import).

A source whose rows go to the quarantine beyond `max_quarantine_fraction` (default 1 %) fails
the build: a wrong field mapping or join quarantines most rows, and a build that quietly drops
them gives a dataset that is wrong in a way nobody sees. The error lists the top reasons with
their counts and one example line each.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from mathpref.errors import InputError
from mathpref.stages.base import opt

DEFAULT_MAX_QUARANTINE_FRACTION = 0.01
TOP_REASONS = 3
_DIGITS = re.compile(r"\d+")


def max_quarantine_option():
    return opt(
        DEFAULT_MAX_QUARANTINE_FRACTION,
        "Fail the build when more than this share of the source's rows is quarantined (0-1).",
    )


def check_fraction(value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"max_quarantine_fraction must be in [0, 1], got {value}")


def check_quarantine(stage: str, bad: list[dict], kept: int, max_fraction: float) -> None:
    """Raise when `bad` (quarantine rows) is more than `max_fraction` of all rows read."""
    total = len(bad) + kept
    if not bad or len(bad) <= max_fraction * total:
        return
    groups: Counter[str] = Counter()
    example: dict[str, dict] = {}
    for row in bad:
        reason = _DIGITS.sub("N", str(row["reason"]))
        groups[reason] += 1
        example.setdefault(reason, row)
    parts = []
    for reason, n in groups.most_common(TOP_REASONS):
        ex = example[reason]
        where = f"{Path(str(ex['source'])).name}:{ex['line']}" if ex.get("line") else ex["source"]
        raw = str(ex.get("raw") or "")
        raw = raw if len(raw) <= 100 else raw[:100] + "…"
        parts.append(f"{n} x '{reason}' (e.g. {where}: {raw})")
    more = len(groups) - TOP_REASONS
    raise InputError(
        f"stage '{stage}': {len(bad)} of {total} row(s) ({100 * len(bad) / total:.1f} %) "
        f"quarantined, above max_quarantine_fraction = {max_fraction:g}: "
        + "; ".join(parts)
        + (f"; and {more} other reason(s)" if more > 0 else "")
        + f". Fix the mapping, or allow it with --set {stage}.max_quarantine_fraction=1"
    )
