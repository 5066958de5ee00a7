"""explain with Debian's real 6.1 arm64 vmlinux (DWARF) and the e2e crash logs it produced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from diag_helpers import DATA

from a64triage.diagnose import explain_log

ABI = "6.1.0-56"
CACHE = Path(os.environ.get("A64TRIAGE_CACHE") or Path.home() / ".cache" / "a64triage") / "debian" / ABI
VMLINUX = CACHE / "dbg" / "usr" / "lib" / "debug" / "boot" / f"vmlinux-{ABI}-cloud-arm64"
MODULES = CACHE / "e2e" / "debug-modules"

pytestmark = pytest.mark.realkernel


@pytest.fixture(scope="module")
def vmlinux() -> str:
    if not (CACHE / "dbg" / ".complete").exists() or not VMLINUX.exists():
        pytest.skip(f"Debian {ABI} dbg package not cached: python scripts/debian_kernel.py {ABI} dbg")
    return str(VMLINUX)


@pytest.mark.parametrize("crash,cls", [("WRITE_RO", "write-read-only"), ("ACCESS_NULL", "null-deref")])
def test_debian_vmlinux(vmlinux: str, crash: str, cls: str) -> None:
    log = DATA / "e2e" / f"{crash}.log"
    if not log.exists():
        pytest.skip(f"{log.name} not produced yet")
    modules = str(MODULES) if MODULES.is_dir() else None
    expl = explain_log(str(log), vmlinux=vmlinux, modules_dir=modules)
    assert not [w for w in expl.warnings if "using the log alone" in w], expl.warnings
    rep = expl.reports[0]
    assert rep.hypotheses[0].cls == cls
    located = [f for f in rep.frames if f.symbolized and any(loc.file for loc in f.symbolized.locations)]
    assert located, "no frame got a file:line from the Debian vmlinux"
    assert any(loc.file and loc.file.startswith("fs/") for f in located for loc in f.symbolized.locations)
