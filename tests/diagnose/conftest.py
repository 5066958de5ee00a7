"""Fixtures of the diagnose tests (helpers live in diag_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from diag_helpers import REPO


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from the repository root so paths in outputs are the short relative ones."""
    monkeypatch.chdir(REPO)
    return REPO
