"""Debian's real ``debuginfod`` in the tests: its .deb, its readiness, its counters
(tests/conftest.py starts it; the tests read its /metrics)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dbg_deb(abi: str) -> Path:
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "debian_kernel.py"), "--abi", abi,
                          "dbgdeb"], capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        pytest.skip(f"Debian's -dbg .deb unavailable: {(res.stderr.strip() or 'failed').splitlines()[-1]}")
    kv = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    return Path(kv["deb"])


def debuginfod_metric(url: str, name: str) -> list[str]:
    """The server's /metrics lines of one metric (Prometheus text format)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        return [line for line in resp.read().decode().splitlines() if line.startswith(name)]


def wait_scanned(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
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
