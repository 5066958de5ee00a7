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


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """The a64triage modules a file imports at run time, wherever the import statement is
    (module level or inside a function), but not under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in known else node.module)
    return {m for m in out if m in known}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (depth-first search), None when there is none."""
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> list[str] | None:
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return [*path[path.index(d):], d]
            if d not in state:
                found = visit(d, [*path, d])
                if found:
                    return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m, [m])
            if found:
                return found
    return None


def test_no_import_cycle_inside_a_package() -> None:
    """Within each stage, the modules' imports form no cycle (``symtab -> warmup -> symtab``
    made every change to one a change to the other)."""
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    known = set(files)
    for stage in [*ORDER, "commands"]:
        prefix = f"a64triage.{stage}."
        graph = {m: {d for d in _runtime_imports(p, known) if d.startswith(prefix) and d != m}
                 for m, p in files.items() if m.startswith(prefix)}
        cycle = _cycle(graph)
        assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
