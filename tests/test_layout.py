"""The pipeline's import direction: a stage imports only earlier stages.

console -> arm64 -> symbols -> disasm -> relocs -> diagnose -> render -> triage; ``cli`` and
``commands`` may import anything.  Only symbols/ touches ELF/DWARF (pyelftools,
drgn) and only disasm/ imports capstone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "a64triage"
ORDER = ["console", "arm64", "symbols", "disasm", "relocs", "diagnose", "render", "triage"]
EXCLUSIVE = {"elftools": {"symbols"}, "drgn": {"symbols"}, "capstone": {"disasm"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", ORDER)
def test_stage_imports_point_one_way(stage: str) -> None:
    allowed = set(ORDER[: ORDER.index(stage) + 1])
    for path in sorted((PKG / stage).rglob("*.py")):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "a64triage" and len(parts) > 1 and parts[1] in ORDER:
                assert parts[1] in allowed, f"{path.relative_to(PKG)} imports {name}"
            owners = EXCLUSIVE.get(parts[0])
            if owners is not None:
                assert stage in owners, f"{path.relative_to(PKG)} imports {name}"


def test_no_stage_imports_cli() -> None:
    for stage in ORDER:
        for path in (PKG / stage).rglob("*.py"):
            for name in _imports(path):
                assert not name.startswith(("a64triage.cli", "a64triage.commands")), path
