"""The per-input work, the same on a local process and on a Dask worker.

``triage_input`` runs parse -> explain on one log's bytes and returns its
reports.jsonl lines finished (UTF-8 bytes) with the few keys the group fold
needs: cheap to pickle back, equal whichever engine ran it, and leaving the
client — whose work is serial while the workers' is not — byte writes and
dict updates only.  The symbol options come as plain data (a
``SymbolRequest``); each log's own build is looked up (``log_symbols``), once per
worker process and build, and that build's symbolizer is opened once and reused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from a64triage.diagnose import explain_log
from a64triage.diagnose.types import Explanation, ReportExplanation
from a64triage.errors import InputError
from a64triage.render import render
from a64triage.render.common import location_text
from a64triage.render.jsonout import report_context
from a64triage.symbols import Symbolizer, open_symbolizer
from a64triage.symbols.sources import BuildQuery, DebugFiles, SymbolRequest, find_debug_files
from a64triage.triage.groups import ReportKeys, report_keys
from a64triage.triage.outputs import InputResult, journal_line, json_line
from a64triage.triage.signature import SIGNATURE_VERSION, signature

REPORT_SCHEMA_VERSION = "1.1"
TOP_HYPOTHESES = 3
# Fault injection for the tests of worker death (a real process exit, not an exception).
CRASH_ENV = "A64TRIAGE_BATCH_TEST_CRASH"


# Per worker process, for the whole run (and, on a long-lived Dask worker, the next runs):
# each build looked up once, a failure included (10,000 logs of an unknown kernel ask a
# debuginfod server once), and each build's files opened once.  Both are bounded, least
# recently used out first: an open symbolizer holds ~150 MB (Debian's 6.1 vmlinux).
_FOUND: dict[tuple[SymbolRequest, BuildQuery], DebugFiles | str] = {}
_OPEN: dict[tuple[Path, tuple[Path, ...]], Symbolizer | str] = {}
MAX_FOUND = 4096
MAX_OPEN = 4
STATS = {"lookups": 0, "opened": 0}  # what this process did: the tests read it


def _recent(cache: dict[Any, Any], key: Any) -> Any:
    """``cache[key]`` (None if absent), now the most recently used (dicts keep insertion order)."""
    value = cache.pop(key, None)
    if value is not None:
        cache[key] = value
    return value


def _keep(cache: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    while len(cache) >= limit:
        del cache[next(iter(cache))]
    cache[key] = value


@dataclass(frozen=True)
class LogSymbols:
    """The symbols one log gets: an open symbolizer (None: the log alone) and what the
    records say about it."""

    symbolizer: Symbolizer | None = None
    files: DebugFiles | None = None
    info: dict[str, Any] | None = None


def _resolve(req: SymbolRequest, build: BuildQuery) -> DebugFiles | str:
    key = (req, build)
    found: DebugFiles | str | None = _recent(_FOUND, key)
    if found is None:
        STATS["lookups"] += 1
        try:
            found = find_debug_files(build, req.options())
        except InputError as exc:
            found = str(exc)
        _keep(_FOUND, key, found, MAX_FOUND)
    return found


def _open(files: DebugFiles) -> Symbolizer | str:
    key = (files.vmlinux, files.modules)
    sym: Symbolizer | str | None = _recent(_OPEN, key)
    if sym is None:
        STATS["opened"] += 1
        try:
            sym = open_symbolizer(str(files.vmlinux), modules_dir=os.pathsep.join(map(str, files.modules)) or None)
        except InputError as exc:
            sym = str(exc)
        _keep(_OPEN, key, sym, MAX_OPEN)
    return sym


def log_symbols(text: str, req: SymbolRequest) -> LogSymbols:
    """The debug files of the build this log comes from (symargs' rules, per log): a
    lookup that fails, or a vmlinux of another build (unless --force), leaves the log
    to be explained alone and says why in ``info``."""
    if not req.may_look():
        return LogSymbols()
    try:
        q = req.query(text)
    except InputError as exc:
        return LogSymbols(info=_info(None, None, str(exc)))
    if not req.wants_lookup(q):
        return LogSymbols()
    # the build, without the module build ids this log's frames happen to name
    build = BuildQuery(q.build_id, q.release, q.banner)
    found = _resolve(req, build)
    if isinstance(found, str):
        return LogSymbols(info=_info(build, None, found))
    sym = _open(found)
    if isinstance(sym, str):
        return LogSymbols(info=_info(build, found, sym))
    return LogSymbols(sym, found, _info(build, found, None))


def _info(build: BuildQuery | None, files: DebugFiles | None, problem: str | None) -> dict[str, Any]:
    return {"build_id": build.build_id if build else None, "release": build.release if build else None,
            "vmlinux": str(files.vmlinux) if files else None, "origin": files.origin if files else None,
            "problem": problem}


def explain_bytes(name: str, data: bytes, req: SymbolRequest) -> tuple[Explanation, LogSymbols]:
    text = data.decode("utf-8", "replace")
    if "\n" not in text:
        text += "\n"  # explain_log takes a string with a newline as the log itself
    got = log_symbols(text, req)
    # the symbolizer (its modules included) is shared across logs; explain_log keeps each
    # log's KASLR offset apart
    vmlinux = str(got.files.vmlinux) if got.files else None
    expl = explain_log(text, vmlinux=vmlinux, symbolizer=got.symbolizer)
    return replace(expl, source=name), got


def _hex(v: int | None) -> str | None:
    return None if v is None else f"{v:#x}"


def _frame_text(rx: ReportExplanation) -> str | None:
    pc = rx.report.pc
    if pc is None or not pc.function:
        return None
    off = f"+{pc.offset:#x}" if pc.offset is not None else ""
    return pc.function + off + (f" [{pc.module}]" if pc.module else "")


def _pc_source(rx: ReportExplanation) -> str | None:
    """The faulting pc's file:line (innermost of its inline chain), when it was symbolized."""
    fr = rx.frames[0] if rx.frames else None
    if fr is None or fr.frame is not rx.report.pc or fr.symbolized is None or not fr.symbolized.locations:
        return None
    return location_text(fr.symbolized.locations[0])


def report_record(name: str, sha: str, index: int, rx: ReportExplanation,
                  symbols: dict[str, Any] | None = None) -> dict[str, Any]:
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
            "pc_source": _pc_source(rx),
            "frames": len(r.call_trace),
        },
        "symbols": symbols,
    }


def triage_input(index: int, name: str, data: bytes, sha: str, symbols: SymbolRequest) -> InputResult:
    """Parse and explain one input (``index``: its place in the walk); a bad input is
    an error in the result, never an exception."""
    crash = os.environ.get(CRASH_ENV)
    if crash and crash in name:
        os._exit(70)
    try:
        expl, got = explain_bytes(name, data, symbols)
    except InputError as exc:
        return InputResult(error=str(exc))
    except Exception as exc:  # a defect elsewhere must cost one input, not the batch
        return InputResult(error=f"{name}: internal error: {type(exc).__name__}: {exc}")
    lines: list[str] = []
    keys: list[ReportKeys] = []
    for i, rx in enumerate(expl.reports):
        rec = report_record(name, sha, i, rx, got.info)
        rec["input_index"] = index
        lines.append(json_line(rec))
        keys.append(report_keys(rec))
    found = None if got.info is None else got.info["problem"] is None
    return InputResult("".join(lines).encode("utf-8"), journal_line(index, name, sha, len(keys), "ok"), tuple(keys),
                       symbols_found=found)


def triage_inputs(items: list[tuple[int, str, bytes, str]], symbols: SymbolRequest) -> list[InputResult]:
    """Several inputs in one task: (input index, name, bytes, sha256) each, results in the same order."""
    return [triage_input(index, name, data, sha, symbols) for index, name, data, sha in items]


def example_pages(items: list[tuple[str, bytes]], symbols: SymbolRequest) -> list[bytes | None]:
    """The full ``explain`` HTML page (UTF-8) of each (name, log) — groups' examples —
    or None for one that could not be rendered (the page is left out, not the batch)."""
    pages: list[bytes | None] = []
    for name, data in items:
        try:
            pages.append(render(explain_bytes(name, data, symbols)[0], "html").encode("utf-8"))
        except Exception:  # an example's page is a convenience: its group and reports stand without it
            pages.append(None)
    return pages
