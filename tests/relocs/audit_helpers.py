"""Shared paths and helpers for the audit (relocs) tests."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from a64triage.relocs.findings import Finding

ROOT = Path(__file__).resolve().parents[2]
FX = ROOT / "tests" / "fixtures" / "audit"
DATA = ROOT / "tests" / "data" / "relocs"
CACHE = Path(os.environ.get("A64TRIAGE_CACHE", Path.home() / ".cache" / "a64triage"))
FULL_VMLINUX = CACHE / "audit" / "build" / "clang-vmlinux" / "vmlinux"
UPDATE_GOLDEN = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"


def fx(rel: str) -> str:
    p = FX / rel
    if not p.exists():
        pytest.fail(f"fixture {rel} missing: run scripts/build_audit_fixtures.sh")
    return str(p)


def pick(findings: Iterable[Finding], **kw: object) -> list[Finding]:
    out = []
    for f in findings:
        if all((f.cls.value if k == "cls" else getattr(f, k)) == v
               if not k.endswith("_prefix") else str(getattr(f, k[:-7]) or "").startswith(str(v))
               for k, v in kw.items()):
            out.append(f)
    return out
