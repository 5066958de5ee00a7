"""The CI fuzz smoke run: every target of fuzz/targets.py, coverage-guided, a few seconds each.

Each target runs under atheris (libFuzzer) in its own process from a fresh copy of
its seeds, with A64TRIAGE_FUZZ_KNOWN=skip (the defects already filed and owned, in
fuzz/known.py, are reported as warnings, not failures) and a per-input timeout.  A
new crash, hang or out-of-memory input fails the test with the input attached (base64)
and libFuzzer's seed, so it can be replayed with fuzz/run.py.  A64TRIAGE_FUZZ_SECONDS
sets the time per target (default 10); the long run is fuzz/campaign.py.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import targets

pytest.importorskip("atheris", reason="atheris (libFuzzer for CPython) has wheels for x86_64 Linux only")

RUN = Path(__file__).resolve().parents[2] / "fuzz" / "run.py"
SECONDS = int(os.environ.get("A64TRIAGE_FUZZ_SECONDS", "10"))


@pytest.mark.parametrize("name", list(targets.TARGETS))
def test_fuzz_smoke(name: str, tmp_path: Path) -> None:
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    env = {**os.environ, "A64TRIAGE_FUZZ_KNOWN": "skip", "A64TRIAGE_FUZZ_SCRATCH": str(tmp_path / "scratch")}
    proc = subprocess.run(
        [sys.executable, str(RUN), name, f"-max_total_time={SECONDS}", "-timeout=10", "-rss_limit_mb=2048",
         f"-artifact_prefix={crashes}/", "-print_final_stats=1", str(tmp_path / "corpus")],
        capture_output=True, text=True, env=env, timeout=SECONDS * 10 + 120, check=False)
    found = sorted(crashes.iterdir())
    inputs = "\n".join(f"{p.name}: {base64.b64encode(p.read_bytes()[:4096]).decode()}" for p in found)
    assert proc.returncode == 0 and not found, f"{proc.stderr[-6000:]}\n{inputs}"
    runs = [ln for ln in proc.stderr.splitlines() if ln.startswith("stat::number_of_executed_units:")]
    assert runs and int(runs[0].split()[-1]) > 0, proc.stderr[-3000:]
    for line in proc.stderr.splitlines():
        if line.startswith("fuzz: known defect"):
            warnings.warn(line, stacklevel=1)
