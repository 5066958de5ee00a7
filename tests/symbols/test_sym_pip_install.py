"""What a user gets from a plain ``pip install .``: the fast DWARF backend and the
compiled console parser, no extras.

The package is installed the way a user installs it (no extras, no editable
mode) into a fresh venv, and the installed ``a64triage`` command symbolizes a
fixture log: on Linux drgn must come with it.  Then drgn is removed from that
venv: the pure-Python path must still answer and say once, on stderr, that it
is the slow one and how to get the fast one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from symtest_util import FIXTURES, ROOT

from a64triage.symbols.dwarf import SLOW_PATH_NOTE

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="drgn ships wheels for Linux only")

LOG = ROOT / "tests" / "data" / "symbols" / "fixture-oops-6x.log"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("A64TRIAGE_NO_DRGN", "PYTHONPATH"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _symbolize(venv: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = _env() | {"A64TRIAGE_CACHE": str(cache)}
    return subprocess.run([str(venv / "bin" / "a64triage"), "symbolize", "--json",
                           "--vmlinux", str(FIXTURES / "image-clang.elf"), str(LOG)],
                          capture_output=True, text=True, env=env, timeout=300, cwd=venv)


def test_plain_pip_install_gets_drgn(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    res = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], capture_output=True,
                         text=True, env=_env(), timeout=1200)
    if res.returncode != 0 and "Could not find a version" in res.stderr + res.stdout:
        pytest.skip(f"no package index reachable: {res.stderr.strip().splitlines()[-1]}")
    assert res.returncode == 0, res.stderr

    # ... and the console parser compiled by mypyc (setup.py), not its plain source.
    version = subprocess.run([str(venv / "bin" / "a64triage"), "--version"], capture_output=True, text=True,
                             env=_env(), timeout=60, cwd=venv, check=True).stdout
    assert version.endswith("(console parser: compiled)\n"), version

    fast = _symbolize(venv, tmp_path / "cache")
    assert fast.returncode == 0, fast.stderr
    assert json.loads(fast.stdout)["backend"] == "drgn"
    assert SLOW_PATH_NOTE not in fast.stderr

    subprocess.run([str(venv / "bin" / "pip"), "uninstall", "-q", "-y", "drgn"], check=True,
                   env=_env(), timeout=300)
    slow = _symbolize(venv, tmp_path / "cache2")
    assert slow.returncode == 0, slow.stderr
    doc = json.loads(slow.stdout)
    assert doc["backend"] == "pyelftools"
    assert any(f["locations"] for f in doc["frames"])  # the slow path still gives file:line
    assert slow.stderr.count(SLOW_PATH_NOTE) == 1
