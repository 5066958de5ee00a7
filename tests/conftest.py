"""Fixtures every test folder shares: Debian's real arm64 kernel in the download cache,
and Debian's real ``debuginfod`` serving its -dbg package on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dbg_deb() -> Path:
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "debian_kernel.py"), "--abi", DEBIAN_ABI,
                          "dbgdeb"], capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        pytest.skip(f"Debian's -dbg .deb unavailable: {(res.stderr.strip() or 'failed').splitlines()[-1]}")
    kv = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    return Path(kv["deb"])


def debuginfod_metric(url: str, name: str) -> list[str]:
    """The server's /metrics lines of one metric (Prometheus text format)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        return [line for line in resp.read().decode().splitlines() if line.startswith(name)]


def _wait_scanned(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the server's scanner has indexed the .deb (its /metrics)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"debuginfod exited with {proc.returncode}")
        try:
            done = debuginfod_metric(url, "scanned_files_total")
            busy = debuginfod_metric(url, "thread_work_pending{role=\"scan\"}") + \
                debuginfod_metric(url, "thread_busy{role=\"scan\"}")
        except OSError:
            time.sleep(0.5)
            continue
        if done and all(line.endswith(" 0") for line in busy):
            return
        time.sleep(1)
    pytest.fail("debuginfod did not finish scanning the .deb")


@pytest.fixture(scope="session")
def debian_debuginfod(debian_vmlinux: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of Debian's ``debuginfod`` (elfutils) on 127.0.0.1, serving the folder that holds
    the arm64 ``-dbg`` .deb of DEBIAN_ABI (``scripts/debian_kernel.py dbgdeb``), scanned."""
    server = shutil.which("debuginfod")
    if server is None:
        pytest.skip("needs debuginfod (scripts/setup.sh test installs it)")
    deb = _dbg_deb()
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
        _wait_scanned(url, proc, 900)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
