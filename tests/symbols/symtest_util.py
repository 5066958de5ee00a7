"""Paths, backends and golden-file checking shared by the symbolize tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "c" / "out"
DATA = ROOT / "tests" / "data" / "symbols"
GOLDEN = DATA / "golden"
UPDATE = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"


def drgn_installed() -> bool:
    try:
        import drgn  # noqa: F401
    except ImportError:
        return False
    return True


BACKENDS = ["pyelftools", pytest.param("drgn", marks=pytest.mark.skipif(
    not drgn_installed(), reason="drgn not installed (pip install drgn)"))]


def check_golden(path: Path, text: str) -> None:
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing golden {path}: run with A64TRIAGE_UPDATE_GOLDEN=1")
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path} (A64TRIAGE_UPDATE_GOLDEN=1 to accept)"
