"""The per-input work, the same on a local process and on a Dask worker.

``triage_input`` runs parse -> explain on one log's bytes and returns its
reports.jsonl lines finished (UTF-8 bytes) with the few keys the group fold
needs: cheap to pickle back, equal whichever engine ran it, and leaving the
client — whose work is serial while the workers' is not — byte writes and
dict updates only.  The symbolizer is opened once per worker
process and per kernel build (``Symbols``), and reused for every log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from a64triage.diagnose import explain_log
from a64triage.diagnose.types import Explanation, ReportExplanation
from a64triage.errors import InputError
from a64triage.render import render
from a64triage.render.jsonout import report_context
from a64triage.symbols import Symbolizer, open_symbolizer
from a64triage.triage.groups import ReportKeys, report_keys
from a64triage.triage.outputs import InputResult, json_line
from a64triage.triage.signature import SIGNATURE_VERSION, signature

REPORT_SCHEMA_VERSION = "1.0"
TOP_HYPOTHESES = 3
# Fault injection for the tests of worker death (a real process exit, not an exception).
CRASH_ENV = "A64TRIAGE_BATCH_TEST_CRASH"


@dataclass(frozen=True)
class Symbols:
    """Where a worker finds the kernel's symbols: the same paths on every machine."""

    vmlinux: str | None = None
    modules: str | None = None


_OPEN: dict[Symbols, Symbolizer] = {}  # per worker process: one symbolizer per kernel build


def _symbolizer(symbols: Symbols) -> Symbolizer | None:
    if symbols.vmlinux is None:
        return None
    sym = _OPEN.get(symbols)
    if sym is None:
        if not os.path.isfile(symbols.vmlinux):
            raise InputError(symbols.vmlinux, "no such file (on this worker)")
        sym = open_symbolizer(symbols.vmlinux, modules_dir=symbols.modules)
        _OPEN[symbols] = sym
    return sym


def explain_bytes(name: str, data: bytes, symbols: Symbols) -> Explanation:
    text = data.decode("utf-8", "replace")
    if "\n" not in text:
        text += "\n"  # explain_log takes a string with a newline as the log itself
    sym = _symbolizer(symbols)  # shared across logs; explain_log keeps each log's KASLR offset apart
    expl = explain_log(text, vmlinux=symbols.vmlinux, modules_dir=symbols.modules, symbolizer=sym)
    return replace(expl, source=name)


def _hex(v: int | None) -> str | None:
    return None if v is None else f"{v:#x}"


def _frame_text(rx: ReportExplanation) -> str | None:
    pc = rx.report.pc
    if pc is None or not pc.function:
        return None
    off = f"+{pc.offset:#x}" if pc.offset is not None else ""
    return pc.function + off + (f" [{pc.module}]" if pc.module else "")


def report_record(name: str, sha: str, index: int, rx: ReportExplanation) -> dict[str, Any]:
    """One line of reports.jsonl (schemas/batch-report.schema.json)."""
    r = rx.report
    sig = signature(r)
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "input": name,
        "input_sha256": sha,
        "report": index,
        "span": [r.span[0], r.span[1]],
        "title": r.title,
        "alt_titles": list(r.alt_titles),
        "type": r.kind,
        "syz_type": r.type,
        "signature": sig.exact,
        "cluster": sig.cluster,
        "signature_version": SIGNATURE_VERSION,
        "hypotheses": [{"class": h.cls, "confidence": round(max(0.0, min(1.0, float(h.confidence))), 4)}
                       for h in rx.hypotheses[:TOP_HYPOTHESES]],
        "facts": {
            **report_context(r),
            "esr": _hex(r.esr),
            "far": _hex(r.far),
            "pc": _frame_text(rx),
            "frames": len(r.call_trace),
        },
    }


def triage_input(index: int, name: str, data: bytes, sha: str, symbols: Symbols) -> InputResult:
    """Parse and explain one input (``index``: its place in the walk); a bad input is
    an error in the result, never an exception."""
    crash = os.environ.get(CRASH_ENV)
    if crash and crash in name:
        os._exit(70)
    try:
        expl = explain_bytes(name, data, symbols)
    except InputError as exc:
        return InputResult(error=str(exc))
    except Exception as exc:  # a defect elsewhere must cost one input, not the batch
        return InputResult(error=f"{name}: internal error: {type(exc).__name__}: {exc}")
    lines: list[str] = []
    keys: list[ReportKeys] = []
    for i, rx in enumerate(expl.reports):
        rec = report_record(name, sha, i, rx)
        rec["input_index"] = index
        lines.append(json_line(rec))
        keys.append(report_keys(rec))
    return InputResult("".join(lines).encode("utf-8"), tuple(keys))


def triage_inputs(items: list[tuple[int, str, bytes, str]], symbols: Symbols) -> list[InputResult]:
    """Several inputs in one task: (input index, name, bytes, sha256) each, results in the same order."""
    return [triage_input(index, name, data, sha, symbols) for index, name, data, sha in items]


def example_html(name: str, data: bytes, symbols: Symbols) -> str:
    """The full ``explain`` HTML page of one input (a group's example)."""
    return render(explain_bytes(name, data, symbols), "html")
