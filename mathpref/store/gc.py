"""Garbage collection of a store, and the clean-up of what killed runs leave behind.

Rules (all under the store lock):
- A dataset version reachable from `refs/<pipeline>.json` or any `refs/history/` entry is never
  deleted (with `--prune-history`, history entries other than each pipeline's newest are deleted
  first, and then only the versions they alone used go).
- A pipeline whose `refs/<pipeline>.json` is missing gets it back from its newest history entry.
- A ref or history file that cannot be read stops gc before it deletes anything.
- A dataset folder without a manifest (a killed older gc, a deleted file) is removed.
- Deletion renames into `trash/` first, then removes the trash; a gc killed half-way leaves only
  `trash/` entries, which the next gc or build removes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mathpref.errors import StoreError
from mathpref.store.atomic import discard, read_json, remove_tree, write_json_atomic
from mathpref.store.refs import BuildRef

if TYPE_CHECKING:
    from mathpref.store.store import Store


@dataclass
class GcReport:
    dry_run: bool = False
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [*self.removed, *self.restored, *self.problems]


def _leftovers(store: Store) -> list[Path]:
    root = store.root
    found = [p for sub in ("tmp", "trash") if (root / sub).is_dir() for p in (root / sub).iterdir()]
    for folder in (root, root / "refs", root / "stages", *(root / "refs" / "history").glob("*")):
        if folder.is_dir():
            found.extend(folder.glob(".*.tmp"))
    return sorted(found)


def clean_leftovers(store: Store, *, dry_run: bool = False) -> list[str]:
    """Remove tmp/ and trash/ entries and torn `*.tmp` JSON files; returns what went."""
    gone = []
    for p in _leftovers(store):
        gone.append(str(p.relative_to(store.root)))
        if not dry_run:
            remove_tree(p)
    return gone


def _read_ref(path: Path) -> BuildRef:
    try:
        ref = BuildRef(read_json(path))
        ref.dataset_ids()
        return ref
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(
            f"cannot read {path} ({type(exc).__name__}: {exc}); gc deletes nothing while a ref "
            "is unreadable: fix the file or remove it, then rerun gc"
        ) from None


def collect(store: Store, *, dry_run: bool = False, keep_history: bool = True) -> GcReport:
    report = GcReport(dry_run)
    root = store.root
    report.removed += clean_leftovers(store, dry_run=dry_run)
    refs = {p.stem: _read_ref(p) for p in sorted((root / "refs").glob("*.json"))}
    history: dict[str, list[tuple[Path, BuildRef]]] = {}
    for d in sorted((root / "refs" / "history").glob("*")):
        if d.is_dir():
            history[d.name] = [(p, _read_ref(p)) for p in sorted(d.glob("*.json"))]

    for name, entries in history.items():
        if name not in refs and entries:
            path, newest = entries[-1]
            refs[name] = newest
            report.restored.append(f"restored refs/{name}.json from {path.relative_to(root)}")
            if not dry_run:
                write_json_atomic(root / "refs" / f"{name}.json", newest.to_json())
    if not keep_history:
        for name, entries in history.items():
            for path, _ in entries[:-1]:
                report.removed.append(str(path.relative_to(root)))
                if not dry_run:
                    path.unlink()
            history[name] = entries[-1:]

    keep: dict[str, str] = {}
    for name, ref in refs.items():
        keep.update(dict.fromkeys(ref.dataset_ids(), name))
    for name, entries in history.items():
        for _, ref in entries:
            for d in ref.dataset_ids():
                keep.setdefault(d, name)

    present = set()
    for d in sorted((root / "datasets").glob("*/*")):
        if not (d / "manifest.json").is_file():
            why = " (no manifest)"
        elif d.name not in keep:
            why = ""
        else:
            present.add(d.name)
            continue
        report.removed.append(f"{d.parent.name}/{d.name}{why}")
        if not dry_run:
            discard(d, store.trash)
    for did, name in sorted(keep.items()):
        if did not in present:
            report.problems.append(
                f"missing: dataset {did}, used by a build of pipeline '{name}', is not in the "
                f"store; rebuild '{name}' to recompute it"
            )

    for p in sorted((root / "work").iterdir()):
        report.removed.append(f"work/{p.name}")
        if not dry_run:
            discard(p, store.trash)
    if not dry_run:
        for rec in (root / "stages").glob("*.json"):
            try:
                outputs = read_json(rec)["outputs"].values()
                if all(store.has_dataset(o["kind"], o["dataset_id"]) for o in outputs):
                    continue
            except (ValueError, KeyError, TypeError, AttributeError):
                pass  # an unreadable cache entry only costs a recomputation
            rec.unlink()
        remove_tree(store.trash)
    return report
