"""scripts/build_replay.sh rebuilds the committed replay.elf bit for bit from its sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from diag_helpers import EXAMPLE, REPO

TOOLS = ("clang", "ld.lld", "llvm-objdump", "llvm-nm", "llvm-readelf", "llvm-symbolizer")


def test_replay_rebuilds_identically(tmp_path: Path) -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install clang lld llvm)")
    out = tmp_path / "replay.elf"
    res = subprocess.run(["bash", str(REPO / "scripts" / "build_replay.sh"), str(out)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    assert "38/38 words match the report" in res.stdout
    assert out.read_bytes() == (EXAMPLE / "replay.elf").read_bytes(), \
        "replay.elf is stale: run scripts/build_replay.sh and commit the result"
