"""Cross-check kernel-style decoding against what real kernels printed.

Each file under tests/data/arm64/kernel-decodes/ holds one real ``Mem abort
info:`` block from a public bug report (``source: URL`` header, blank line,
raw log lines).  The test strips console prefixes, reads ``ESR = 0x...``,
regenerates the block in the era's style (detected from the block's shape)
and compares it line by line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from a64triage.arm64 import detect_style, kernel_mem_abort_lines

DATA = Path(__file__).resolve().parents[1] / "data" / "arm64" / "kernel-decodes"
FILES = sorted(DATA.glob("*.txt"))
_PREFIX = re.compile(r"^(?:.*?kernel: |\[\s*\d+\.\d+\] )")


def _block(path: Path) -> tuple[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    header, _, body = text.partition("\n\n")
    assert header.startswith("source: http"), f"{path.name}: missing source header"
    lines = [_PREFIX.sub("", ln, count=1) for ln in body.splitlines()]
    start = lines.index("Mem abort info:")
    block = [lines[start]]
    for ln in lines[start + 1:]:
        if ln.startswith("  ") or ln == "Data abort info:":
            block.append(ln)
        else:
            break
    return header, block


def test_there_are_enough_real_decodes() -> None:
    assert len(FILES) >= 8
    styles = {detect_style(_block(p)[1]) for p in FILES}
    assert {"old", "v5.4", "v6.1", "modern"} <= styles


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_kernel_style_matches_real_log(path: Path) -> None:
    _, printed = _block(path)
    esr_line = next(ln for ln in printed if ln.strip().startswith("ESR = 0x"))
    esr = int(esr_line.split("0x", 1)[1], 16)
    style = detect_style(printed)
    generated = kernel_mem_abort_lines(esr, style)
    assert generated == printed, f"style {style}"
