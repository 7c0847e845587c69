"""The dependency direction: CLI -> runner -> stages -> (verify, generation, store, schemas)."""

import ast
from pathlib import Path

from mathpref.resources import resource_dir
from mathpref.stages.base import REGISTRY, stage_class

PKG = Path(__file__).resolve().parents[2] / "mathpref"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_stages_never_import_the_runner():
    offenders = {
        str(p.relative_to(PKG)): sorted(m for m in _imports(p) if m.startswith("mathpref.pipeline"))
        for p in (PKG / "stages").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_libraries_import_neither_stages_nor_runner_nor_cli():
    for lib in ("verify", "generation", "store", "evaluation"):
        for p in (PKG / lib).rglob("*.py"):
            bad = [
                m
                for m in _imports(p)
                if m.startswith(("mathpref.pipeline", "mathpref.stages", "mathpref.cli"))
            ]
            assert not bad, f"{p.relative_to(PKG)} imports {bad}"


def test_declared_audits_exist():
    stage_class("pairs")  # registers the built-in stages
    audits = {p.stem for p in (resource_dir("sql") / "audits").glob("*.sql")}
    declared = {a for cls in REGISTRY.values() for a in cls.audits}
    assert declared and declared <= audits
    # every shipped audit is declared by some stage, so none is silently never run
    assert audits <= declared
