"""`a64triage explain [LOG|-]... [--vmlinux V] ...`: ranked root causes of each crash report.

Several logs are explained in one process with the vmlinux and modules opened
once (one Symbolizer, drgn's debug info loaded once): text and mail print a
``==> PATH <==`` line before each log, JSON is one document per line (JSON
Lines), HTML writes ``DIR/BASENAME.html`` per log (``--output DIR``).  An
unreadable log is a one-line error on stderr; the others are still explained
and the exit code is 2 at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace

from a64triage.commands import vmcore
from a64triage.commands.symbolize import ProblemTracker, for_each_log, log_paths, read_log
from a64triage.diagnose import explain_log
from a64triage.diagnose.explain import file_lines
from a64triage.diagnose.types import Explanation
from a64triage.errors import InputError
from a64triage.render import FORMATS, explanation_to_json, render
from a64triage.symbols import Symbolizer, open_symbolizer, warmup
from a64triage.symbols.frameline import match_line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", nargs="*", default=["-"], metavar="LOG",
                        help="console log, mail or syslog excerpt ('-' or omitted: stdin); "
                             "several share one open vmlinux")
    parser.add_argument("--vmlinux", metavar="V", help="vmlinux of the crashed kernel (with DWARF for file:line)")
    parser.add_argument("--modules", metavar="DIR", help="directory tree with the kernel's .ko files (needs --vmlinux)")
    parser.add_argument("--source", metavar="DIR", help="kernel source tree: quote the source lines")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE",
                        help="write to FILE instead of stdout (several logs with --format html: a directory)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text output (auto: when stdout is a terminal and NO_COLOR is unset)")
    vmcore.add_argument(parser)


def _use_color(choice: str, to_file: bool) -> bool:
    if choice == "always":
        return True
    if choice == "never" or to_file:
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _report_stderr(args: argparse.Namespace, expl: Explanation, name: str, prefix: str = "") -> None:
    if not expl.reports:
        print(f"a64triage: no crash report found in {name}", file=sys.stderr)
    if args.output is not None or args.format in ("json", "html"):
        for warning in expl.warnings:
            print(f"a64triage: warning: {prefix}{warning}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.source is not None and args.vmlinux is None:
        raise InputError("--source", "needs --vmlinux (source lines come from its DWARF file:line)")
    with warmup.helping(args.vmlinux):  # the disk reads the vmlinux while the logs are parsed
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    if args.vmcore is not None:
        log = args.vmcore
        expl = vmcore.explain_core(args)
    else:
        logs = log_paths(args)
        if len(logs) > 1:
            return _run_batch(args, logs)
        log = logs[0]
        expl = explain_log(log, vmlinux=args.vmlinux, modules_dir=args.modules, source_dir=args.source)
    _report_stderr(args, expl, "stdin" if log == "-" else log)
    text = render(expl, args.format, color=_use_color(args.color, args.output is not None))
    if not text.endswith("\n"):
        text += "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise InputError(args.output, exc.strerror or "cannot write") from None
    return 0


# --- several logs ---------------------------------------------------------------------


def _html_names(logs: list[str], out_dir: str | None) -> dict[str, str]:
    """log -> DIR/BASENAME.html; refused up front when names collide or DIR is missing."""
    if out_dir is None:
        raise InputError("--format html", "several logs need --output DIR (one BASENAME.html per log)")
    if not os.path.isdir(out_dir):
        raise InputError(out_dir, "not a directory (several logs with --format html write DIR/BASENAME.html)")
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for log in logs:
        base = "stdin" if log == "-" else os.path.basename(os.path.normpath(log))
        if base in seen:
            raise InputError(log, f"same basename as {seen[base]}: both would write {base}.html")
        seen[base] = log
        names[log] = os.path.join(out_dir, base + ".html")
    return names


class _Batch:
    """One Symbolizer (when --vmlinux) shared by every log; per-log warnings as a fresh run's."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sym: Symbolizer | None = None
        self.tracker: ProblemTracker | None = None
        if args.vmlinux is not None:
            if not os.path.isfile(args.vmlinux):
                raise InputError(args.vmlinux, "no such file")
            self.sym = open_symbolizer(args.vmlinux, modules_dir=args.modules, source_dir=args.source)
            # __bug_table is read lazily by the first report with a PC: read it now so that
            # a problem with it is one of every log's warnings, not only the first's.
            self.sym.bug_site(0)
            self.tracker = ProblemTracker(self.sym)

    def explain(self, log: str) -> Explanation:
        sym, tracker = self.sym, self.tracker
        target = log
        if log == "-":  # stdin cannot be read twice (pre-scan, then explain)
            target = read_log("-")
            target += "" if "\n" in target else "\n"
        if sym is None or tracker is None:
            return replace(explain_log(target, modules_dir=self.args.modules), source=log)
        lines = target.splitlines() if log == "-" else file_lines(log)
        for no, line in enumerate(lines, start=1):
            for hit in match_line(line.rstrip("\r\n"), no):
                if hit.frame.module:
                    tracker.touch(hit.frame.module)
        sym.kaslr_offset = None  # each log has its own KASLR offset
        before = len(sym.problems)
        expl = explain_log(target, vmlinux=self.args.vmlinux, modules_dir=self.args.modules,
                           source_dir=self.args.source, symbolizer=sym)
        shared = set(sym.problems)
        modules = [f.frame.module for r in expl.reports for f in r.frames
                   if f.frame.module and f.symbolized is not None]
        # A fresh run lists: the problems found when opening, the log's own warnings (a vmlinux
        # that does not match), then the problems of the modules the log names.
        warnings = [*tracker.opened, *(w for w in expl.warnings if w not in shared),
                    *tracker.problems_for(modules), *sym.problems[before:]]
        return replace(expl, source=log, warnings=tuple(dict.fromkeys(warnings)))


def _run_batch(args: argparse.Namespace, logs: list[str]) -> int:
    html = _html_names(logs, args.output) if args.format == "html" else None
    batch = _Batch(args)
    color = _use_color(args.color, args.output is not None)
    out = sys.stdout
    if args.output is not None and html is None:
        try:
            out = open(args.output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(args.output, exc.strerror or "cannot write") from None

    def one(log: str) -> None:
        expl = batch.explain(log)
        out.flush()
        _report_stderr(args, expl, "stdin" if log == "-" else log, f"{log}: ")
        if html is not None:
            try:
                with open(html[log], "w", encoding="utf-8") as fh:
                    fh.write(render(expl, "html"))
            except OSError as exc:
                raise InputError(html[log], exc.strerror or "cannot write") from None
            return
        if args.format == "json":
            out.write(json.dumps(explanation_to_json(expl), ensure_ascii=False) + "\n")
        else:
            text = render(expl, args.format, color=color)
            out.write(f"==> {log} <==\n" + text + ("" if text.endswith("\n") else "\n"))
        out.flush()

    try:
        return for_each_log(logs, one)
    finally:
        if out is not sys.stdout:
            out.close()
