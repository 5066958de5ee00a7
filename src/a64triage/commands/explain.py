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

from a64triage.commands import symargs, vmcore
from a64triage.commands.symbolize import for_each_log, log_paths, read_log
from a64triage.diagnose import explain_log
from a64triage.diagnose.types import Explanation
from a64triage.errors import InputError
from a64triage.render import FORMATS, explanation_to_json, render
from a64triage.symbols import Symbolizer, open_symbolizer, warmup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", nargs="*", default=["-"], metavar="LOG",
                        help="console log, mail or syslog excerpt ('-' or omitted: stdin); "
                             "several share one open vmlinux")
    symargs.add_arguments(parser)
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


def _resolve(args: argparse.Namespace) -> None:
    """``args.vmlinux``/``args.modules`` from the symbol sources (the first log's build)."""
    if args.vmcore is not None:
        return vmcore.resolve(args)  # the build the core's VMCOREINFO names
    logs = log_paths(args)
    text = "" if logs == ["-"] else symargs.first_text(logs, read_log)
    files = symargs.debug_files(args, text)
    args.vmlinux = str(files.vmlinux) if files else None
    dirs = [str(d) for d in (files.modules if files else symargs.source_options(args).modules)]
    args.modules = os.pathsep.join(dirs) or None


def run(args: argparse.Namespace) -> int:
    _resolve(args)
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
    """One Symbolizer (when --vmlinux) shared by every log; each log's state is its own."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sym: Symbolizer | None = None
        if args.vmlinux is not None:
            if not os.path.isfile(args.vmlinux):
                raise InputError(args.vmlinux, "no such file")
            self.sym = open_symbolizer(args.vmlinux, modules_dir=args.modules, source_dir=args.source)

    def explain(self, log: str) -> Explanation:
        target = log
        if log == "-":  # stdin cannot be read twice (pre-scan, then explain)
            target = read_log("-")
            target += "" if "\n" in target else "\n"
        if self.sym is None:
            return replace(explain_log(target, modules_dir=self.args.modules), source=log)
        expl = explain_log(target, vmlinux=self.args.vmlinux, modules_dir=self.args.modules,
                           source_dir=self.args.source, symbolizer=self.sym)
        return replace(expl, source=log)


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
