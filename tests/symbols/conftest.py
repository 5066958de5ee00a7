"""Shared fixtures of the symbolize tests: fixture paths, backends, golden files.

Goldens are regenerated with ``A64TRIAGE_UPDATE_GOLDEN=1`` (the line-table goldens
from llvm-symbolizer, the CLI goldens from our own output after review).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from symtest_util import BACKENDS


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   request: pytest.FixtureRequest) -> None:
    """Unit tests write decompressed modules and symbol indexes to a temporary cache."""
    if request.node.get_closest_marker("realkernel") is None:
        monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with each DWARF backend."""
    if request.param == "pyelftools":
        monkeypatch.setenv("A64TRIAGE_NO_DRGN", "1")
    else:
        monkeypatch.delenv("A64TRIAGE_NO_DRGN", raising=False)
    yield str(request.param)
