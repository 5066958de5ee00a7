"""JSON rendering: the versioned ``explain`` contract (schemas/explain.schema.json).

Addresses, instruction words and literals are ``"0x..."`` strings (JSON numbers
lose precision above 2**53); offsets, sizes, lines and confidences are numbers.
Bump :data:`SCHEMA_VERSION` on any incompatible change and keep the schema file
in step (a test checks every golden against it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from a64triage.console.records import Report
from a64triage.diagnose.types import Evidence, Explanation, Hypothesis, ReportExplanation
from a64triage.disasm.types import Instruction
from a64triage.relocs.findings import Finding
from a64triage.render import common as c
from a64triage.symbols.types import SourceLocation
from a64triage.symbols.vmcore import MemoryFact

SCHEMA_VERSION = "1.1"
SCHEMA_ID = "https://a64triage.invalid/schemas/explain-1.1.schema.json"


def explanation_to_json(explanation: Explanation) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "source": explanation.source,
        "vmlinux": explanation.vmlinux,
        "warnings": list(explanation.warnings),
        "reports": [_report(rx) for rx in explanation.reports],
    }


def render_json(explanation: Explanation) -> str:
    return json.dumps(explanation_to_json(explanation), indent=2, ensure_ascii=False) + "\n"


def json_stream(explanation: Explanation, reports: Iterator[ReportExplanation], *, compact: bool = False,
                late: list[str] | None = None) -> Iterator[str]:
    """The JSON document of ``render_json`` (or one JSON Lines line when ``compact``)
    in pieces, one per report as ``reports`` yields it.  ``"warnings"`` comes after
    ``"reports"`` so that the warnings first seen while explaining (``late``, read
    at the end) are in it; the keys are those of the schema."""
    head = explanation_to_json(explanation)
    warnings = head.pop("warnings")
    del head["reports"]
    indent = None if compact else 2

    def dump(obj: object, level: int) -> str:
        text = json.dumps(obj, indent=indent, ensure_ascii=False)
        return text if compact else text.replace("\n", "\n" + "  " * level)

    nl, pad = ("", "") if compact else ("\n", "  ")
    body = dump(head, 0)
    yield body[:-1].rstrip() + ("," if head else "") + (" " if compact else nl) + f'{pad}"reports": ['
    n = 0
    for rx in reports:
        yield ("," if n else "") + (" " if compact and n else "") + (nl + pad * 2 if not compact else "") \
            + dump(_report(rx), 2)
        n += 1
    if n and not compact:
        yield nl + pad
    yield f'],{" " if compact else nl}{pad}"warnings": {dump([*warnings, *(late or [])], 1)}{nl}}}' + "\n"


def report_context(r: Report) -> dict[str, Any]:
    """Who crashed where: the explain JSON's ``context`` and the batch record's ``facts`` start alike."""
    return {
        "kernel_version": r.kernel_version,
        "hardware": r.hardware,
        "cpu": r.cpu,
        "pid": r.pid,
        "comm": r.comm,
        "tainted": r.tainted,
        "corrupted": r.corrupted,
    }


def _report(rx: ReportExplanation) -> dict[str, Any]:
    r = rx.report
    return {
        "title": r.title,
        "kind": r.kind,
        "span": [r.span[0], r.span[1]],
        "context": report_context(r),
        "hypotheses": [_hypothesis(h) for _, h in c.iter_hypotheses(rx)],
        "registers": [t.to_json() for t in rx.registers],
        "frames": [_frame(fr) for fr in (c.frame_view(x) for x in rx.frames)],
        "disassembly": [_instruction(i) for i in rx.disassembly],
        "findings": [_finding(f) for f in rx.findings],
        "notes": list(rx.notes),
        "memory": [_memory(m) for m in rx.memory],
        "core_registers": rx.core_registers,
    }


def _memory(m: MemoryFact) -> dict[str, Any]:
    mp = m.mapping
    return {
        "role": m.role,
        "address": f"{m.address:#x}",
        "mapped": mp.mapped if mp is not None else None,
        "permissions": mp.permissions() if mp is not None else None,
        "phys": f"{mp.phys:#x}" if mp is not None and mp.phys is not None else None,
        "words_at": f"{m.words_at:#x}" if m.words_at is not None and m.words else None,
        "word_bytes": m.word_bytes,
        "words": [f"{w:#x}" for w in m.words],
        "slab": None if m.slab is None else {
            "cache": m.slab.cache, "object": f"{m.slab.start:#x}", "size": m.slab.size,
            "allocated": m.slab.allocated},
        "stack": None if m.stack is None else {
            "task": m.stack.task, "base": f"{m.stack.base:#x}", "end": f"{m.stack.end:#x}"},
        "free_poisoned": m.free_poisoned,
        "notes": list(m.notes),
        "text": m.describe(),
    }


def _hypothesis(h: Hypothesis) -> dict[str, Any]:
    return {
        "class": h.cls,
        "confidence": _unit(h.confidence),
        "summary": h.summary,
        "evidence": [_evidence(e) for e in h.evidence],
        "next_step": h.next_step,
    }


def _unit(x: float) -> float:
    """Confidence clamped to [0, 1]; NaN (a diagnose bug) becomes 0 rather than invalid JSON."""
    x = float(x)
    return 0.0 if x != x else round(max(0.0, min(1.0, x)), 4)


def _evidence(e: Evidence) -> dict[str, Any]:
    return {"kind": e.kind, "text": e.text, "line": e.line_no}


def _location(loc: SourceLocation) -> dict[str, Any]:
    return {"function": loc.function, "file": loc.file, "line": loc.line, "column": loc.column}


def _frame(v: c.FrameView) -> dict[str, Any]:
    loc = v.location
    return {
        "function": v.function,
        "offset": v.offset,
        "size": v.size,
        "module": v.module,
        "address": c.hexa(v.address),
        "link_address": c.hexa(v.link_address),
        "file": loc.file if loc else _source_part(v.frame.source, 0),
        "line": loc.line if loc else _source_line(v.frame.source),
        "column": loc.column if loc else None,
        "inlined": [_location(x) for x in v.inlined],
        "stack": v.frame.stack,
        "marker": v.frame.marker,
        "log_line": v.frame.line_no or None,
        "notes": list(v.notes),
    }


def _source_part(source: str | None, idx: int) -> str | None:
    if not source:
        return None
    return source.rsplit(":", 1)[idx] if ":" in source else source


def _source_line(source: str | None) -> int | None:
    part = _source_part(source, -1) if source and ":" in source else None
    return int(part) if part and part.isdigit() else None


def _instruction(i: Instruction) -> dict[str, Any]:
    return {
        "address": c.hexa(i.address),
        "word": f"0x{i.word:08x}",
        "text": c.instruction_text(i),
        "mnemonic": i.mnemonic,
        "relocation": i.relocation,
        "target": i.target,
        "literal": c.hexa(i.literal),
        "function": i.source.function if i.source else None,
        "file": i.source.file if i.source else None,
        "line": i.source.line if i.source else None,
        "faulting": i.faulting,
        "note": i.note,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "class": str(f.cls),
        "region": f.region,
        "function": f.function,
        "offset": f.offset,
        "instruction": f.instruction,
        "relocation": f.relocation,
        "target": f.target,
        "severity": str(f.severity),
        "safe_by": f.safe_by,
        "fix": f.fix,
        "file": f.file,
        "line": f.line,
        "address": c.hexa(f.address),
        "section": f.section,
        "why": f.why,
        "slot": f.slot,
        "pc": c.hexa(f.pc) if f.code_section is None else None,
    }
