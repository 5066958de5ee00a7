"""`a64triage symbolize`: a decode_stacktrace.sh-style filter over a console log.

Every frame line (call trace, pc/lr, hyp trace, raw ``[<addr>]``) comes back
with ``(file.c:123)`` appended and one indented line per inlined frame
(innermost first, as ``addr2line -i`` lists them); findings (offset beyond the
function, module not found, vmlinux not matching the log) follow as ``!`` lines.
Warnings about the inputs go to stderr; ``--json`` prints the frames instead.

Several logs are symbolized in one process against one open Symbolizer (the
vmlinux, its index and drgn's debug info are loaded once): each log's output
follows a ``==> PATH <==`` line, or is one JSON document per line with
``--json``.  An unreadable log is reported on stderr and skipped; the exit
code is then 2 once every other log is done.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from a64triage.commands import symargs, vmcore
from a64triage.commands.argtypes import u64
from a64triage.errors import InputError
from a64triage.symbols import warmup

if TYPE_CHECKING:  # imported when first used: run() starts the warmup helpers before them
    from a64triage.console.records import Frame, Report
    from a64triage.symbols import Symbolized, Symbolizer
    from a64triage.symbols.frameline import FrameHit
    from a64triage.symbols.sources import DebugFiles
    from a64triage.symbols.symbolizer import LogSymbols

MAX_LOG_BYTES = 256 * 1024 * 1024
_ENTRY_PREFIXES = ("el1h_64_", "el0t_64_", "el0t_32_", "el1_", "el0_")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", nargs="*", default=["-"], metavar="LOG",
                        help="console log(s) (default: stdin); several share one open vmlinux")
    symargs.add_arguments(parser)
    parser.add_argument("--system-map", help="System.map (when no vmlinux)")
    parser.add_argument("--kallsyms", help="a /proc/kallsyms dump (when no vmlinux)")
    parser.add_argument("--source", metavar="DIR", help="kernel source tree: show the source lines")
    parser.add_argument("--kaslr-offset", type=u64, help="KASLR offset (default: from the log)")
    parser.add_argument("--json", action="store_true", help="print the symbolized frames as JSON")
    vmcore.add_argument(parser)


def read_log(path: str) -> str:
    if path == "-":
        return sys.stdin.read(MAX_LOG_BYTES)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read(MAX_LOG_BYTES)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot read") from exc


def _reports(text: str) -> list[Report]:
    """Reports from the console stage; a parser failure must not stop the filter."""
    try:
        from a64triage.console import parse_text
    except ImportError:
        return []
    try:
        return parse_text(text)
    except Exception:  # the filter must go on with its own frame recogniser
        return []


@dataclass(frozen=True)
class Annotated:
    line_no: int
    kind: str
    frame: Frame
    result: Symbolized
    is_return: bool


def _claimed(reports: list[Report]) -> dict[int, list[tuple[str, Frame, bool]]]:
    """line number -> frames the report parser found there, with the return-address rule."""
    from a64triage.symbols import is_return_frame

    out: dict[int, list[tuple[str, Frame, bool]]] = {}
    for r in reports:
        for kind, fr, ret in (("pc", r.pc, False), ("lr", r.lr, True)):
            if fr is not None and fr.line_no:
                out.setdefault(fr.line_no, []).append((kind, fr, ret))
        for i, fr in enumerate(r.call_trace):
            if fr.line_no and not fr.inline:
                out.setdefault(fr.line_no, []).append(("trace", fr, is_return_frame(r.call_trace, i)))
    return out


def _loc(res: Symbolized) -> str | None:
    if not res.locations:
        return None
    last = res.locations[-1]
    if last.file is None:
        return None
    return f"{last.file}:{last.line}" if last.line else last.file


def _symbol_text(res: Symbolized) -> str:
    if res.function is None:
        return "?"
    size = f"/0x{res.size:x}" if res.size else ""
    mod = f" [{res.module}]" if res.module else ""
    return f"{res.function}+0x{res.offset or 0:x}{size}{mod}"


def _extra_lines(prefix: str, res: Symbolized, with_source: bool) -> list[str]:
    out = []
    for loc in res.locations[:-1]:
        where = f"{loc.file}:{loc.line}" if loc.file and loc.line else (loc.file or "??")
        out.append(f"{prefix}    {loc.function} ({where}) [inlined]")
        if with_source and loc.text is not None:
            out.append(f"{prefix}      | {loc.text.strip()}")
    if with_source and res.locations and res.locations[-1].text is not None:
        out.append(f"{prefix}      | {res.locations[-1].text.strip()}")
    out.extend(f"{prefix}    ! {note}" for note in res.notes)
    return out


def _annotate(line: str, hits: list[tuple[FrameHit, Symbolized]], with_source: bool) -> list[str]:
    from a64triage.symbols.frameline import line_prefix

    extra: list[str] = []
    prefix = line_prefix(line)
    pieces = []
    pos = 0
    for hit, res in sorted(hits, key=lambda h: h[0].end):
        add = ""
        if hit.frame.function is None and res.function is not None:
            add += f" {_symbol_text(res)}"
        elif res.function is not None and res.function != hit.frame.function and \
                res.function.removeprefix("__kvm_nvhe_") != (hit.frame.function or "").removeprefix("__kvm_nvhe_"):
            add += f" => {_symbol_text(res)}"
        loc = _loc(res)
        if loc:
            add += f" ({loc})"
        pieces.append(line[pos:hit.end] + add)
        pos = hit.end
        extra.extend(_extra_lines(prefix, res, with_source))
    pieces.append(line[pos:])
    return ["".join(pieces), *extra]


def symbolize_log(sym: Symbolizer, text: str,
                  log: LogSymbols | None = None) -> tuple[list[str], list[Annotated], list[str]]:
    """The annotated lines, the frames and the warnings for one log; ``log`` holds the
    log's own state (KASLR offset, warnings) over a Symbolizer shared by several logs."""
    from a64triage.symbols.frameline import match_line

    log = log or sym.open_log()
    reports = _reports(text)
    warnings: list[str] = []
    for r in reports:
        log.use_report(r)
        if log.kaslr_offset is not None:
            break
    for r in reports:
        for w in sym.check_match(r):
            if w not in warnings:
                warnings.append(w)
    claimed = _claimed(reports)
    out: list[str] = []
    frames: list[Annotated] = []
    prev_func: str | None = None
    first_in_trace = True
    for no, line in enumerate(text.splitlines(), start=1):
        if "Call trace:" in line or "call trace:" in line:
            first_in_trace, prev_func = True, None
        hits = match_line(line, no)
        by_report = {(f.function, f.offset, f.address): ret for _k, f, ret in claimed.get(no, [])}
        done: list[tuple[FrameHit, Symbolized]] = []
        for hit in hits:
            fr = hit.frame
            key = (fr.function, fr.offset, fr.address)
            if key in by_report:
                ret = by_report[key]
            elif hit.kind == "trace":
                ret = not first_in_trace and fr.marker != "P" and \
                    not (prev_func or "").startswith(_ENTRY_PREFIXES)
            else:
                ret = hit.is_return
            if hit.kind == "trace":
                first_in_trace, prev_func = False, fr.function
            if hit.kind == "hyp-pc":
                res = log.symbolize_address(fr.address or 0, is_return=False)
            else:
                res = log.symbolize_frame(fr, is_return=ret)
            done.append((hit, res))
            frames.append(Annotated(no, hit.kind, fr, res, ret))
        out.extend(_annotate(line, done, sym.source_dir is not None) if done else [line])
    return out, frames, warnings + [p for p in log.warnings if p not in warnings]


def _hex(v: int | None) -> str | None:
    return None if v is None else f"0x{v:x}"


def frame_json(a: Annotated) -> dict[str, Any]:
    r = a.result
    return {
        "line": a.line_no, "kind": a.kind, "is_return": a.is_return,
        "printed": {"function": a.frame.function, "offset": _hex(a.frame.offset),
                    "size": _hex(a.frame.size), "module": a.frame.module,
                    "address": _hex(a.frame.address)},
        "function": r.function, "offset": _hex(r.offset), "size": _hex(r.size),
        "module": r.module, "section": r.section, "address": _hex(r.address),
        "looked_up": _hex(r.looked_up),
        "locations": [{"function": loc.function, "file": loc.file, "line": loc.line,
                       "column": loc.column, **({"text": loc.text} if loc.text is not None else {})}
                      for loc in r.locations],
        "notes": list(r.notes),
    }


def log_paths(args: argparse.Namespace) -> list[str]:
    """The LOG arguments as a list (a single string from callers of the old signature)."""
    logs: list[str] = [args.log] if isinstance(args.log, str) else list(args.log or [])
    if not logs:
        logs = ["-"]
    if logs.count("-") > 1:
        raise InputError("-", "stdin given more than once")
    return logs


def for_each_log(logs: list[str], work: Callable[[str], None]) -> int:
    """Run ``work`` on every log; one that fails is a one-line error and the others go on."""
    failed = False
    for path in logs:
        try:
            work(path)
        except InputError as exc:
            sys.stdout.flush()
            print(f"a64triage: {exc}", file=sys.stderr)
            failed = True
    return 2 if failed else 0


def _document(files: DebugFiles | None, sym: Symbolizer, log: LogSymbols, frames: list[Annotated],
              warnings: list[str]) -> dict[str, Any]:
    return {"vmlinux": str(files.vmlinux) if files else None, "build_id": sym.build_id,
            "release": sym.release, "kaslr_offset": _hex(log.kaslr_offset), "backend": sym.backend,
            "warnings": warnings, "frames": [frame_json(a) for a in frames]}


def _open(args: argparse.Namespace, files: DebugFiles | None) -> Symbolizer:
    import os

    from a64triage.symbols import open_symbolizer

    return open_symbolizer(str(files.vmlinux) if files else None, system_map=args.system_map,
                           kallsyms=args.kallsyms,
                           modules_dir=os.pathsep.join(map(str, files.modules if files else args.modules)) or None,
                           kaslr_offset=args.kaslr_offset, source_dir=args.source,
                           debug_dirs=args.debug_dir)


def run(args: argparse.Namespace) -> int:
    logs = log_paths(args)
    if args.vmcore is not None:  # the log, the vmlinux (by build id) and the KASLR offset of a core
        core, text = vmcore.core_text(args)
        logs = ["-"]
        if args.kaslr_offset is None:
            args.kaslr_offset = core.header.kaslr_offset
    # the build asked for: the first log's (several logs share one vmlinux)
    elif len(logs) == 1:
        text = read_log(logs[0])
    else:
        text = symargs.first_text(logs, read_log)
    files = symargs.debug_files(args, text)
    if files is None and not (args.system_map or args.kallsyms):
        raise InputError("symbolize", "nothing to symbolize with: give --vmlinux, --kernel-release, "
                         "--build-id, --system-map or --kallsyms")
    # first: helpers read the vmlinux ahead and look its names up while the rest is imported
    with warmup.helping(str(files.vmlinux) if files else None, warmup.printed_names(text)):
        if len(logs) > 1:
            return _run_batch(args, files, logs)
        return _run_one(args, files, text)


def _run_one(args: argparse.Namespace, files: DebugFiles | None, text: str) -> int:
    sym = _open(args, files)
    log = sym.open_log()
    lines, frames, warnings = symbolize_log(sym, text, log)
    if args.json:
        doc = _document(files, sym, log, frames, warnings)
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for w in warnings:
            print(f"a64triage: warning: {w}", file=sys.stderr)
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))
    return 0


def _run_batch(args: argparse.Namespace, files: DebugFiles | None, logs: list[str]) -> int:
    """Several logs against one Symbolizer: headers, or JSON Lines with a "source" key."""
    sym = _open(args, files)

    def one(path: str) -> None:
        text = read_log(path)
        log = sym.open_log()  # each log has its own KASLR offset and warnings
        lines, frames, warnings = symbolize_log(sym, text, log)
        if args.json:
            doc = {"source": path, **_document(files, sym, log, frames, warnings)}
            sys.stdout.write(json.dumps(doc) + "\n")
        else:
            sys.stdout.flush()
            for w in warnings:
                print(f"a64triage: warning: {path}: {w}", file=sys.stderr)
            sys.stdout.write(f"==> {path} <==\n" + "\n".join(lines) + ("\n" if lines else ""))
        sys.stdout.flush()

    return for_each_log(logs, one)
