"""Fixtures every test folder shares: Debian's real arm64 kernel in the download cache,
and Debian's real ``debuginfod`` serving its -dbg package on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from debuginfod_util import dbg_deb, free_port, wait_scanned

# The committed logs of tests/data/e2e come from this kernel (scripts/test.sh pins it too).
DEBIAN_ABI = os.environ.get("A64TRIAGE_E2E_ABI", "6.1.0-56")
DEBIAN_CACHE = Path(os.environ.get("A64TRIAGE_CACHE") or Path.home() / ".cache" / "a64triage") / "debian" / DEBIAN_ABI


@pytest.fixture(scope="session")
def debian_vmlinux() -> str:
    """The -dbg vmlinux (DWARF 5) of DEBIAN_ABI; skipped, with the command, when not cached."""
    dbg = DEBIAN_CACHE / "dbg"
    vmlinux = dbg / "usr" / "lib" / "debug" / "boot" / f"vmlinux-{DEBIAN_ABI}-cloud-arm64"
    if not (dbg / ".complete").exists() or not vmlinux.exists():
        pytest.skip(f"Debian {DEBIAN_ABI} -dbg package not in the cache ({dbg}): "
                    f"run scripts/debian_kernel.py --abi {DEBIAN_ABI} dbg")
    return str(vmlinux)


@pytest.fixture(scope="session")
def debian_modules() -> str | None:
    """lkdtm.ko and the -dbg module tree as the e2e suite lays them out (None: not prepared)."""
    mods = DEBIAN_CACHE / "e2e" / "debug-modules"
    return str(mods) if mods.is_dir() else None


@pytest.fixture(scope="session")
def debian_debuginfod(debian_vmlinux: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of Debian's ``debuginfod`` (elfutils) on 127.0.0.1, serving the folder that holds
    the arm64 ``-dbg`` .deb of DEBIAN_ABI (``scripts/debian_kernel.py dbgdeb``), scanned."""
    server = shutil.which("debuginfod")
    if server is None:
        pytest.skip("needs debuginfod (scripts/setup.sh test installs it)")
    deb = dbg_deb(DEBIAN_ABI)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db = tmp_path_factory.mktemp("debuginfod") / "db.sqlite"
    # -U: .deb archives; -t 0 -g 0: scan once, no grooming; no source scan (not needed).  Without
    # DEBUGINFOD_URLS in its environment the server forwards no request anywhere (federation).
    env = {k: v for k, v in os.environ.items() if k != "DEBUGINFOD_URLS"}
    proc = subprocess.Popen([server, "-U", "-p", str(port), "-d", str(db), "-t", "0", "-g", "0", "-c", "1",
                             "--disable-source-scan", str(deb.parent)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_scanned(url, proc, 900)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
