"""`explain` streams report by report (issue 16 D6 / item 3): the command's output is the
renderers' output for the whole explanation, and memory does not grow with the reports."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from batch_helpers import E2E

from a64triage.diagnose import explain_log
from a64triage.render import render

OOPS = "Unable to handle kernel paging request at virtual address 0000000000000008\n"
LOGS = [E2E / "ACCESS_NULL.log", E2E / "BUG.log", E2E / "CORRUPT_LIST_ADD.log", E2E / "HUNG_TASK.log",
        Path("tests/data/console/kvmarm-2022-nvhe-hyp-panic-overflow.log")]


def _explain(*argv: str, mem_mb: int = 1024) -> tuple[subprocess.CompletedProcess[str], int]:
    """The command in a child under an address-space ceiling; (result, the child's peak RSS in MB,
    from its own rusage as wait4 returns it)."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "a64triage", "explain", "--color", "never", *argv],
                                stdout=out, stderr=err, preexec_fn=limit, env={**os.environ, "NO_COLOR": "1"})
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read()), usage.ru_maxrss >> 10


@pytest.mark.parametrize("fmt", ["text", "mail", "json"])
def test_streamed_output_is_the_whole_rendering(fmt: str, in_repo: Path) -> None:
    for log in LOGS:
        res, _ = _explain("--format", fmt, str(log))
        assert res.returncode == 0, res.stderr
        want = render(explain_log(str(log)), fmt)
        if fmt == "json":
            assert json.loads(res.stdout) == json.loads(want), log
        else:
            assert res.stdout == want, log


def test_many_reports_in_several_logs_flat_memory(tmp_path: Path) -> None:
    """4 logs of 5,000 crash headers each, JSON Lines: every report out, RSS bounded."""
    logs = []
    for i in range(4):
        p = tmp_path / f"many{i}.log"
        p.write_text(OOPS * 5000)
        logs.append(str(p))
    res, peak = _explain("--format", "json", *logs)
    assert res.returncode == 0, res.stderr
    docs = [json.loads(line) for line in res.stdout.splitlines()]
    assert [len(d["reports"]) for d in docs] == [5000] * 4
    assert peak < 150, f"{peak} MB for 20,000 reports"


def test_caps_on_one_huge_report_are_said(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    frames = "".join(f" f{i}+0x4/0x10\n" for i in range(600))
    big.write_text(OOPS + "Call trace:\n" + frames + "Call trace:\n" * 20000)
    res, peak = _explain("--format", "json", str(big))
    assert res.returncode == 0, res.stderr
    (report,) = json.loads(res.stdout)["reports"]
    notes = " ".join(report["notes"])
    assert "spans 20602 lines: only its first 3000 were kept" in notes
    assert "call trace was cut at 512 frames" in notes
    assert peak < 150


@pytest.fixture
def in_repo() -> Path:
    root = Path(__file__).resolve().parents[2]
    old = os.getcwd()
    os.chdir(root)
    yield root  # type: ignore[misc]
    os.chdir(old)
