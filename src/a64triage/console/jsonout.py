"""JSON rendering of ``Report`` (the contract in schemas/report.schema.json).

Addresses and register values become ``"0x..."`` strings (JSON numbers lose
precision above 2**53); offsets and sizes too, for uniformity.  Everything
else is a plain JSON value.  No printing here: commands do the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from a64triage.console.records import Frame, KvmInfo, Report

SCHEMA_VERSION = "2"
SCHEMA_ID = "https://a64triage.invalid/schemas/report.schema.json"


def _hex(v: int | None) -> str | None:
    return None if v is None else f"0x{v:x}"


def frame_to_json(f: Frame | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "function": f.function,
        "offset": _hex(f.offset),
        "size": _hex(f.size),
        "module": f.module,
        "address": _hex(f.address),
        "marker": f.marker,
        "inline": f.inline,
        "source": f.source,
        "stack": f.stack,
        "line": f.line_no,
    }


def kvm_to_json(k: KvmInfo | None) -> dict[str, Any] | None:
    if k is None:
        return None
    return {
        "hyp_va_start": _hex(k.hyp_va_start),
        "hyp_va_end": _hex(k.hyp_va_end),
        "idmap_page": _hex(k.idmap_page),
        "initialized": k.initialized,
        "mode": k.mode,
        "ipa_limit": k.ipa_limit,
        "vmid_bits": k.vmid_bits,
        "hyp_offset": _hex(k.hyp_offset),
        "panic": {name: _hex(v) for name, v in k.panic},
        "panic_at": frame_to_json(k.panic_at),
        "bug_file": k.bug_file,
        "bug_line": k.bug_line,
    }


def report_to_json(r: Report) -> dict[str, Any]:
    """One report as a JSON-ready dict (key order is stable)."""
    extra: dict[str, list[str]] = {}
    for key, value in r.extra:
        extra.setdefault(key, []).append(value)
    return {
        "kind": str(r.kind),
        "title": r.title,
        "headline": r.headline,
        "alt_titles": list(r.alt_titles),
        "type": r.type,
        "panicked": r.panicked,
        "guilty": r.guilty,
        "guilty_file": r.guilty_file,
        "arch": r.arch,
        "span": [r.span[0], r.span[1]],
        "corrupted": r.corrupted,
        "message": r.message,
        "kernel_version": r.kernel_version,
        "build": r.build,
        "hardware": r.hardware,
        "cpu": r.cpu,
        "pid": r.pid,
        "comm": r.comm,
        "tainted": r.tainted,
        "modules": list(r.modules),
        "esr": _hex(r.esr),
        "far": _hex(r.far),
        "pc": frame_to_json(r.pc),
        "lr": frame_to_json(r.lr),
        "sp": _hex(r.sp),
        "pstate": _hex(r.pstate),
        "registers": {name: f"0x{v:x}" for name, v in r.registers},
        "code": {"words": list(r.code), "faulting": r.faulting_code},
        "call_trace": [frame_to_json(f) for f in r.call_trace],
        "exception_entry": r.exception_entry,
        "kvm": kvm_to_json(r.kvm),
        "kernel_offset": _hex(r.kernel_offset),
        "phys_offset": _hex(r.phys_offset),
        "cpu_features": r.cpu_features,
        "extra": extra,
    }


def reports_document(reports: Iterable[Report]) -> dict[str, Any]:
    """The top-level JSON object printed by ``a64triage parse --json``."""
    return {"schema_version": SCHEMA_VERSION, "reports": [report_to_json(r) for r in reports]}
