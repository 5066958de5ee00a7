"""Golden text, mail and JSON output of the headline example (A64TRIAGE_UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

from pathlib import Path

import pytest
from diag_helpers import check_golden

from a64triage.diagnose import explain_log
from a64triage.render import render

LOG = "examples/hyp-panic-2017/console.log"
ELF = "examples/hyp-panic-2017/replay.elf"
SRC = "examples/hyp-panic-2017/linux"


@pytest.mark.parametrize("fmt,ext", [("text", "txt"), ("mail", "mail"), ("json", "json")])
def test_hyp_panic_2017_golden(in_repo: Path, fmt: str, ext: str) -> None:
    expl = explain_log(LOG, vmlinux=ELF, source_dir=SRC)
    check_golden(f"hyp-panic-2017.{ext}", render(expl, fmt, color=False))


def test_hyp_panic_2017_log_only_golden(in_repo: Path) -> None:
    check_golden("hyp-panic-2017-log-only.txt", render(explain_log(LOG), "text", color=False))
