"""Result type of the diagnose stage (issue 6 contract)."""

from __future__ import annotations

from dataclasses import dataclass

from a64triage.arm64.fields import FieldTree
from a64triage.console.records import Frame, Report
from a64triage.disasm.types import Instruction
from a64triage.relocs.findings import Finding
from a64triage.symbols.types import Symbolized
from a64triage.symbols.vmcore import MemoryFact


@dataclass(frozen=True)
class Evidence:
    kind: str  # "log", "register", "symbol", "disasm", "audit", "note", "memory" (from a core)
    text: str
    line_no: int | None = None


@dataclass(frozen=True)
class Hypothesis:
    cls: str  # JSON key "class": a stable id from diagnose.classes
    confidence: float  # 0..1
    summary: str
    evidence: tuple[Evidence, ...] = ()
    next_step: str = ""


@dataclass(frozen=True)
class FrameResult:
    """A call-trace frame as printed, and what symbolization made of it (None without vmlinux)."""

    frame: Frame
    symbolized: Symbolized | None = None


@dataclass(frozen=True)
class ReportExplanation:
    """Everything explain knows about one report: what the renderers walk."""

    report: Report
    hypotheses: tuple[Hypothesis, ...]  # best first
    registers: tuple[FieldTree, ...] = ()  # decoded ESR, SPSR/pstate, FAR, HPFAR, PAR ...
    frames: tuple[FrameResult, ...] = ()  # pc first when known, then the call trace
    disassembly: tuple[Instruction, ...] = ()  # around the faulting PC, faulting one marked
    findings: tuple[Finding, ...] = ()  # audit findings in the faulting function/region
    notes: tuple[str, ...] = ()  # e.g. "with --vmlinux: file:line for 12 frames"
    memory: tuple[MemoryFact, ...] = ()  # from a core dump (explain --vmcore): FAR, PC, SP, objects
    core_registers: str | None = None  # the core's crash-time registers against the oops text


@dataclass(frozen=True)
class Explanation:
    """The result of ``explain`` for one log."""

    source: str  # the log's name ("-" for stdin)
    reports: tuple[ReportExplanation, ...]
    vmlinux: str | None = None
    warnings: tuple[str, ...] = ()  # e.g. vmlinux does not match the log's kernel version
