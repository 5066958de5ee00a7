"""`a64triage parse [LOG|-] [--json]`: list the crash reports found in a console log."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from a64triage.commands import vmcore
from a64triage.console import parse_file, parse_text, report_to_json
from a64triage.console.jsonout import SCHEMA_VERSION
from a64triage.console.records import Frame, Report
from a64triage.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", nargs="?", default="-", metavar="LOG",
                        help="console log, mail or syslog excerpt ('-' or omitted: stdin)")
    parser.add_argument("--json", action="store_true",
                        help='print {"schema_version": "2", "reports": [...]} (schemas/report.schema.json)')
    vmcore.add_argument(parser, vmlinux=True)


def _frame(f: Frame | None) -> str:
    if f is None:
        return "-"
    if f.function:
        s = f.function
        if f.offset is not None and f.size is not None:
            s += f"+0x{f.offset:x}/0x{f.size:x}"
        if f.module:
            s += f" [{f.module}]"
        if f.address is not None:
            s += f" (0x{f.address:x})"
        return s
    return f"0x{f.address:x}" if f.address is not None else "?"


def _text(r: Report) -> str:
    out = [r.title, f"  kind: {r.kind}  arch: {r.arch}  lines: {r.span[0]}-{r.span[1]}"
           + (f"  type: {r.type}" if r.type else "") + ("  panicked" if r.panicked else "")]
    if r.headline != r.title:
        out.append(f"  headline: {r.headline}")
    if r.corrupted:
        out.append(f"  corrupted: {r.corrupted}")
    who = []
    if r.cpu is not None:
        who.append(f"CPU {r.cpu}")
    if r.comm:
        who.append(f"{r.comm}" + (f" (pid {r.pid})" if r.pid is not None else ""))
    if r.kernel_version:
        who.append(r.kernel_version)
    if who:
        out.append("  " + ", ".join(who))
    if r.message:
        out.append(f"  message: {r.message}")
    regs = []
    if r.esr is not None:
        regs.append(f"ESR 0x{r.esr:x}")
    if r.far is not None:
        regs.append(f"FAR 0x{r.far:x}")
    if regs:
        out.append("  " + "  ".join(regs))
    out.append(f"  pc: {_frame(r.pc)}   lr: {_frame(r.lr)}")
    if r.call_trace:
        out.append(f"  call trace ({len(r.call_trace)} frames):")
        out.extend(f"    {_frame(f)}" + (f"  [{f.stack}]" if f.stack != "task" else "")
                   for f in r.call_trace[:12])
        if len(r.call_trace) > 12:
            out.append(f"    ... {len(r.call_trace) - 12} more")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    if args.vmcore is not None:
        if args.log != "-":
            raise InputError("--vmcore", "reads the log from the core: give no LOG")
        reports: Iterable[Report] = parse_text(vmcore.core_text(args)[1])
    else:
        reports = parse_file(args.log)
    if args.json:
        # Stream the list so a huge log never holds every report at once.
        out = sys.stdout
        out.write(f'{{"schema_version": "{SCHEMA_VERSION}", "reports": [')
        n = 0
        for r in reports:
            out.write(("," if n else "") + "\n" + json.dumps(report_to_json(r), indent=2))
            n += 1
        out.write("\n]}\n" if n else "]}\n")
        if n == 0:
            print("no crash report found", file=sys.stderr)
        return 0
    n = 0
    for r in reports:
        print(("\n" if n else "") + _text(r))
        n += 1
    if n == 0:
        print("no crash report found", file=sys.stderr)
    return 0
