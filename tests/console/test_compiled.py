"""The compiled console modules against their plain twin, and the switch between them.

setup.py compiles the parser's hot modules with mypyc (a64triage/compiled.py says which
run).  Compiled code must answer exactly what the source answers: every report of every
real log in tests/data, of the dense benchmark shape and of seeded shuffles of those logs'
lines is compared, as JSON, between this process and one started with ``A64TRIAGE_PURE=1``
(the source).  In CI the compiled modules must be the ones in use: the README's install
command builds them, and a silent fall-back would leave them untested.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from a64triage import compiled
from a64triage.console import parse_file, parse_lines, report_to_json

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
E2E = DATA / "e2e"


def _logs() -> list[Path]:
    """Every real log: the project's (*.log) and syzkaller's report and guilty corpora."""
    syz = [p for d in ("report", "guilty") for p in (DATA / "syzkaller" / d).iterdir()]
    return sorted([*DATA.rglob("*.log"), *syz])


def _inputs(tmp: Path) -> list[Path]:
    """The real logs, the dense shape once, and shuffles of their lines (reports cut,
    interleaved and glued to other reports' lines: states no single log reaches)."""
    logs = _logs()
    dense = tmp / "dense.log"
    dense.write_bytes(b"".join(p.read_bytes() for p in sorted(E2E.glob("*.log"))))
    lines = [ln for p in logs for ln in p.read_bytes().splitlines(keepends=True)]
    rnd = random.Random(11)
    out = [*logs, dense]
    for k in range(12):
        start = rnd.randrange(len(lines))
        piece = lines[start:start + 4000]
        for _ in range(200):  # move short runs around
            i, j = rnd.randrange(len(piece)), rnd.randrange(len(piece))
            piece[i:i + 3], piece[j:j + 3] = piece[j:j + 3], piece[i:i + 3]
        shuffled = tmp / f"shuffle-{k}.log"
        shuffled.write_bytes(b"".join(piece))
        out.append(shuffled)
    return out


def _digests(paths: list[Path]) -> dict[str, str]:
    """Per input, a digest of its reports' JSON from both readers (blocks and lines)."""
    out = {}
    for p in paths:
        h = hashlib.sha256()
        for r in parse_file(p):
            h.update(json.dumps(report_to_json(r), sort_keys=True).encode())
        h.update(b"--lines--")
        for r in parse_lines(p.read_bytes().splitlines()):
            h.update(json.dumps(report_to_json(r), sort_keys=True).encode())
        out[str(p)] = h.hexdigest()
    return out


_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_compiled import _digests
from a64triage import compiled
from pathlib import Path
assert not compiled.compiled(), compiled.MODE
print(json.dumps(_digests([Path(p) for p in sys.argv[2:]])))
"""


def test_compiled_modules_are_in_use_in_ci() -> None:
    if os.environ.get("CI") != "true":
        pytest.skip(f"outside CI a build may be stale or absent: {compiled.MODE}")
    assert compiled.compiled(), compiled.MODE
    import a64triage.console.parser as parser

    assert not parser.__file__ or not parser.__file__.endswith(".py")


def test_compiled_equals_plain(tmp_path: Path) -> None:
    if not compiled.compiled():
        pytest.skip(f"nothing compiled to compare: {compiled.MODE}")
    paths = _inputs(tmp_path)
    env = {**os.environ, "A64TRIAGE_PURE": "1"}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(Path(__file__).parent), *map(str, paths)],
                         capture_output=True, text=True, env=env, timeout=1200, check=False)
    assert res.returncode == 0, res.stderr
    plain = json.loads(res.stdout)
    mine = _digests(paths)
    differ = [Path(p).name for p in mine if mine[p] != plain[p]]
    assert not differ, f"compiled and plain parsers differ on {len(differ)} inputs: {differ[:10]}"
    assert len(mine) > 150


def test_pure_switch_and_stale_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "RECORD", tmp_path / "absent.json")
    assert compiled._choose() == ((), "plain Python: not compiled at install")
    record = tmp_path / "compiled.json"
    name = "a64triage.console.lines"
    digest = hashlib.sha256(compiled._source(name).read_bytes()).hexdigest()
    record.write_text(json.dumps({"modules": {name: digest}}))
    monkeypatch.setattr(compiled, "RECORD", record)
    monkeypatch.setenv("A64TRIAGE_PURE", "1")
    assert compiled._choose() == ((name,), "plain Python: A64TRIAGE_PURE=1")
    monkeypatch.delenv("A64TRIAGE_PURE")
    if compiled._extension(name) is None:
        assert compiled._choose()[1] == f"plain Python: {name} was not compiled"
    else:
        assert compiled._choose()[1] == "compiled"
        record.write_text(json.dumps({"modules": {name: "0" * 64}}))
        assert "changed since it was compiled" in compiled._choose()[1]


def test_source_finder_loads_the_source() -> None:
    env = {**os.environ, "A64TRIAGE_PURE": "1"}
    code = "import a64triage.console.parser as p, a64triage.compiled as c; print(p.__file__, c.MODE)"
    file, mode = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                timeout=120, check=True).stdout.strip().split(" ", 1)
    if mode == "plain Python: not compiled at install":
        pytest.skip(mode)
    assert (file, mode) == (str(compiled._source("a64triage.console.parser")), "plain Python: A64TRIAGE_PURE=1")


def _rebound(tree: ast.Module) -> set[str]:
    """Names a module binds more than once at top level, or inside a loop, branch or ``with``
    there, or declares ``global``: no constants."""
    seen: dict[str, int] = {}
    nested: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
            nested.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for n in (n for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)):
            seen[n.id] = seen.get(n.id, 0) + 1
    glob = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
    return {n for n, k in seen.items() if k > 1} | nested | glob


def _is_type(value: ast.expr) -> bool:
    """A type alias or a TypeVar (``X = dict[str, Any]``, ``T = TypeVar(...)``): these stay bare."""
    if isinstance(value, ast.Subscript):
        return True
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "TypeVar"


def _compiled_names() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        names: list[str] = tomllib.load(f)["tool"]["a64triage"]["compiled"]
    return names


@pytest.mark.parametrize("name", _compiled_names())
def test_compiled_module_constants_are_final(name: str) -> None:
    """mypyc reads a module-level name declared ``Final`` from a C static and a bare one from the
    module's dict at every use: that lookup was 4% of the dense benchmark's instructions.  Each
    name a compiled module binds once at top level is ``Final`` (or a type alias or TypeVar)."""
    path = ROOT / "src" / (name.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    rebound = _rebound(tree)
    bare = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value, annotation = node.targets[0].id, node.value, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value, annotation = node.target.id, node.value, ast.unparse(node.annotation)
        else:
            continue
        if target in rebound or target.startswith("__") or _is_type(value):
            continue
        if annotation is None or not annotation.startswith("Final"):
            bare.append(f"{path.name}:{node.lineno} {target}")
    assert not bare, bare
