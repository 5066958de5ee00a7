"""explain with Debian's real 6.1 arm64 vmlinux (DWARF) and the e2e crash logs it produced."""

from __future__ import annotations

import pytest
from diag_helpers import DATA

from a64triage.diagnose import explain_log

pytestmark = pytest.mark.realkernel


@pytest.mark.parametrize("crash,cls", [("WRITE_RO", "write-read-only"), ("ACCESS_NULL", "null-deref")])
def test_debian_vmlinux(debian_vmlinux: str, debian_modules: str | None, crash: str, cls: str) -> None:
    log = DATA / "e2e" / f"{crash}.log"
    if not log.exists():
        pytest.skip(f"{log.name} not produced yet")
    expl = explain_log(str(log), vmlinux=debian_vmlinux, modules_dir=debian_modules)
    assert not [w for w in expl.warnings if "using the log alone" in w], expl.warnings
    rep = expl.reports[0]
    assert rep.hypotheses[0].cls == cls
    located = [f for f in rep.frames if f.symbolized and any(loc.file for loc in f.symbolized.locations)]
    assert located, "no frame got a file:line from the Debian vmlinux"
    assert any(loc.file and loc.file.startswith("fs/") for f in located for loc in f.symbolized.locations)
