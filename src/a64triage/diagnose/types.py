"""Result type of the diagnose stage (issue 6 contract)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    kind: str  # "log", "register", "symbol", "disasm", "audit", "note"
    text: str
    line_no: int | None = None


@dataclass(frozen=True)
class Hypothesis:
    cls: str  # JSON key "class": a stable id from diagnose.classes
    confidence: float  # 0..1
    summary: str
    evidence: tuple[Evidence, ...] = ()
    next_step: str = ""
