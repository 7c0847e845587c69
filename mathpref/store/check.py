"""`mathpref datasets verify` and `datasets repair`: check every stored version, remove a bad one.

verify: each dataset folder's part files against its manifest (sizes, hashes, row counts); with
`full`, also the fingerprint recomputed from the rows. Manifests from before part hashes are
reported as `unhashed` (rows checked; `full` checks their content). A folder without a manifest
is `incomplete` (gc removes it). Refs that name a missing version are reported too.

repair: moves a corrupt (or incomplete) version out of the store, with the stage records that
name it, so the next build of its pipeline recomputes it under the same id.
"""

from __future__ import annotations

from dataclasses import dataclass

from mathpref.errors import StoreError
from mathpref.schemas import get_schema
from mathpref.store import integrity
from mathpref.store.atomic import discard, read_json
from mathpref.store.fingerprint import fingerprint
from mathpref.store.store import Store


@dataclass(frozen=True)
class Finding:
    dataset_id: str
    kind: str
    status: str  # ok | unhashed | corrupt | incomplete | missing
    detail: str = ""

    @property
    def bad(self) -> bool:
        return self.status in ("corrupt", "incomplete", "missing")

    def line(self) -> str:
        return f"{self.status:<10} {self.kind}/{self.dataset_id}" + (
            f": {self.detail}" if self.detail else ""
        )


def check_dataset(store: Store, folder, *, full: bool = False) -> Finding:
    kind, did = folder.parent.name, folder.name
    try:
        man = read_json(folder / "manifest.json")
    except FileNotFoundError:
        return Finding(did, kind, "incomplete", "no manifest (run `mathpref datasets gc`)")
    except (ValueError, UnicodeDecodeError) as exc:
        return Finding(did, kind, "corrupt", f"manifest.json is not valid JSON ({exc})")
    problems = integrity.check_parts(folder, man)
    if problems:
        return Finding(did, kind, "corrupt", "; ".join(problems))
    if full:
        schema = get_schema(man["kind"])
        try:
            fp = fingerprint(store.read(did), schema.key, schema.volatile)
        except StoreError as exc:
            return Finding(did, kind, "corrupt", str(exc))
        if fp != man["fingerprint"]:
            return Finding(
                did, kind, "corrupt", f"fingerprint {fp} != manifest {man['fingerprint']}"
            )
    if "parts" not in man:
        how = "content matches the fingerprint" if full else "use --full to check content"
        return Finding(did, kind, "unhashed", f"manifest has no part hashes; rows checked, {how}")
    return Finding(did, kind, "ok")


def verify_store(store: Store, *, full: bool = False) -> list[Finding]:
    found = [
        check_dataset(store, d, full=full)
        for d in sorted((store.root / "datasets").glob("*/*"))
        if d.is_dir()
    ]
    present = {f.dataset_id for f in found if f.status != "incomplete"}
    for ref in store.list_refs():
        for stage, outs in ref.outputs().items():
            for out in outs.values():
                if out["dataset_id"] not in present:
                    found.append(
                        Finding(
                            out["dataset_id"],
                            out["kind"],
                            "missing",
                            f"named by the last build of '{ref.pipeline}' (stage '{stage}'); "
                            "rebuild it",
                        )
                    )
    return found


def repair(store: Store, dataset_id: str, *, force: bool = False) -> list[str]:
    """Remove one corrupt version (and its stage records); call with the store lock held."""
    folder = store.dataset_dir(dataset_id)
    finding = check_dataset(store, folder, full=True)
    if not finding.bad and not force:
        raise StoreError(
            f"dataset {finding.kind}/{dataset_id} verifies clean ({finding.status}); nothing to "
            "repair (pass --force to remove it anyway)"
        )
    lines = [f"removed {finding.kind}/{dataset_id} ({finding.status}: {finding.detail})"]
    for rec in sorted((store.root / "stages").glob("*.json")):
        try:
            outs = read_json(rec)["outputs"].values()
            names = any(o["dataset_id"] == dataset_id for o in outs)
        except (ValueError, KeyError, TypeError, AttributeError):
            names = False
        if names:
            rec.unlink()
            lines.append(f"removed stage record {rec.stem}: the next build recomputes it")
    discard(folder, store.trash)
    return lines
