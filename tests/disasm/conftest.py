"""Disassembly tests write decompressed modules and indexes to a temporary cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))
