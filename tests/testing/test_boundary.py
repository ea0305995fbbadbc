"""`replicheck.testing` makes histories for tests and benchmarks: nothing that checks a
history or runs a campaign may depend on it (the reason it left `checker/`)."""

from __future__ import annotations

import ast
from pathlib import Path

import replicheck

PACKAGE = Path(replicheck.__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def test_no_production_module_imports_the_testing_package() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in _imported_modules(path) if m.split(".")[:2] == ["replicheck", "testing"]
        )
        for path in PACKAGE.rglob("*.py")
        if "testing" not in path.relative_to(PACKAGE).parts
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_scan_sees_an_import_of_the_testing_package(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text("from replicheck.testing.log_gen import GenConfig\nimport os\n")
    assert _imported_modules(source) == {"replicheck.testing.log_gen", "os"}
