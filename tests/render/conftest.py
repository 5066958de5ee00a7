"""Golden-file helper for the renderer tests.

``A64TRIAGE_UPDATE_GOLDEN=1 pytest tests/render`` rewrites the files under
tests/data/render/ instead of comparing against them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "render"
sys.path.insert(0, str(HERE))

Golden = Callable[[str, str], None]


@pytest.fixture
def golden() -> Golden:
    update = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"

    def check(name: str, actual: str) -> None:
        path = DATA / name
        if update:
            DATA.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"missing golden {path}; run with A64TRIAGE_UPDATE_GOLDEN=1")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{name} differs from its golden (A64TRIAGE_UPDATE_GOLDEN=1 regenerates)"

    return check
