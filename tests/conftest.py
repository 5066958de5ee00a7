"""Fixtures every test folder shares: Debian's real arm64 kernel in the download cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
