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
import json
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


def test_campaign_runs(tmp_path: Path) -> None:
    """fuzz/campaign.py at a tiny size: it completes, writes its summary, and every
    finding is a defect already filed (fuzz/known.py)."""
    proc = subprocess.run(
        [sys.executable, str(RUN.parent / "campaign.py"), "--phases", "logs,elf,cli", "--lines", "400",
         "--elfs", "20", "--cli", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    doc = json.loads((tmp_path / "summary.json").read_text())
    logs, elfs, cli = doc["phases"]
    assert logs["lines"] >= 400 and elfs["inputs"] == 20 and cli["inputs"] == 8
    new = [s for p in doc["phases"] for s in p["findings"] if "[known " not in s]
    assert not new, new
