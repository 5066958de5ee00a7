"""Shared paths and the golden-file switch of the diagnose tests.

Goldens are regenerated with ``A64TRIAGE_UPDATE_GOLDEN=1 pytest tests/diagnose``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
EXAMPLE = REPO / "examples" / "hyp-panic-2017"
GOLDEN = DATA / "diagnose" / "golden"
UPDATE = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with the golden file ``name`` (or rewrite it when updating)."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"missing golden {path}: run with A64TRIAGE_UPDATE_GOLDEN=1")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs (A64TRIAGE_UPDATE_GOLDEN=1 regenerates)"
