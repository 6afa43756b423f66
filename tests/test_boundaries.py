"""The architecture's import rules: solvers know numbers, not people."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_solvers_never_import_matcher() -> None:
    files = sorted((ROOT / "solvers").rglob("*.py"))
    assert files
    for path in files:
        offending = {m for m in imported_modules(path) if m.split(".")[0] == "matcher"}
        assert not offending, f"{path.name} imports {offending}"


def test_only_solvers_import_ortools() -> None:
    for path in sorted((ROOT / "matcher").rglob("*.py")):
        offending = {m for m in imported_modules(path) if m.split(".")[0] == "ortools"}
        assert not offending, f"{path.name} imports {offending}"
