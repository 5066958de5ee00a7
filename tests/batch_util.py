"""Helpers for the several-logs tests of `symbolize` and `explain` (tests/conftest.py puts
this folder on sys.path)."""

from __future__ import annotations

from typing import Any

import pytest

from a64triage.symbols import symbolizer


def split_sections(out: str) -> list[tuple[str, str]]:
    """``==> PATH <==`` sections of a batch output: (path, text)."""
    parts: list[tuple[str, str]] = []
    for line in out.splitlines(keepends=True):
        if line.startswith("==> ") and line.endswith(" <==\n"):
            parts.append((line[4:-5], ""))
        else:
            assert parts, f"output before the first header: {line!r}"
            parts[-1] = (parts[-1][0], parts[-1][1] + line)
    return parts


def count_opens(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Record every Symbolizer construction (each one opens the vmlinux and its DWARF)."""
    opened: list[str | None] = []
    real = symbolizer.Symbolizer.__init__

    def counting(self: symbolizer.Symbolizer, vmlinux: str | None = None, **kw: Any) -> None:
        opened.append(vmlinux)
        real(self, vmlinux, **kw)

    monkeypatch.setattr(symbolizer.Symbolizer, "__init__", counting)
    return opened
