"""Real Debian 6.1 crashes from QEMU (tests/data/e2e/, another stage's data, read-only).

expected.toml names, per LKDTM crash type, the class explain must rank first
(``also`` lists the alternatives the log alone cannot tell apart).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from diag_helpers import DATA

from a64triage.diagnose import explain_log

E2E = DATA / "e2e"


def _expected() -> dict[str, dict[str, object]]:
    path = E2E / "expected.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _logs() -> list[Path]:
    return sorted(E2E.glob("*.log")) if E2E.is_dir() else []


@pytest.mark.parametrize("log", _logs(), ids=lambda p: p.stem)
def test_e2e_first_class(log: Path) -> None:
    crash = log.stem.split("-")[0]
    want = _expected().get(crash)
    if want is None:
        pytest.skip(f"{crash} has no entry in expected.toml")
    accepted = {str(want["class"]), *(str(c) for c in want.get("also", []))}  # type: ignore[attr-defined]
    expl = explain_log(str(log))
    if not expl.reports:
        # The parse stage owns report detection; its own e2e test fails for this log.
        pytest.xfail(f"{log.name}: the console stage finds no report (expected kind {want.get('kind')})")
    top = expl.reports[0].hypotheses[0]
    assert top.cls in accepted, f"{log.name}: {top.cls} ({top.summary}); expected {sorted(accepted)}: {want.get('why')}"


def test_e2e_corpus_present_or_skipped() -> None:
    if not _logs():
        pytest.skip("tests/data/e2e has no logs yet (produced by scripts/e2e with QEMU)")
    assert _expected(), "tests/data/e2e/*.log without expected.toml"
