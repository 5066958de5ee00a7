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
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace

from a64triage.commands import symargs, vmcore
from a64triage.commands.symbolize import for_each_log, log_paths, read_log
from a64triage.diagnose import explain_log
from a64triage.diagnose.explain import LogStream, stream_log
from a64triage.diagnose.types import Explanation
from a64triage.errors import InputError
from a64triage.render import FORMATS, render
from a64triage.render.jsonout import json_stream
from a64triage.render.mail import mail_stream
from a64triage.render.text import text_head, text_report, text_tail
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


def _report_stderr(args: argparse.Namespace, expl: Explanation, name: str, prefix: str = "",
                   quiet_empty: bool = False) -> None:
    if not expl.reports and not quiet_empty:
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
    if args.vmcore is not None:  # a core: one explanation, held
        expl = vmcore.explain_core(args)
        _report_stderr(args, expl, args.vmcore)
        _write(args.output, [_whole(render(expl, args.format, color=_use_color(args.color, args.output is not None)))])
        return 0
    logs = log_paths(args)
    if len(logs) > 1:
        return _run_batch(args, logs)
    log = logs[0]
    if args.format == "html":  # one page: held, then written
        expl = explain_log(log, vmlinux=args.vmlinux, modules_dir=args.modules, source_dir=args.source)
        _report_stderr(args, expl, "stdin" if log == "-" else log)
        _write(args.output, [render(expl, "html")])
        return 0
    stream = stream_log(log, vmlinux=args.vmlinux, modules_dir=args.modules, source_dir=args.source)
    color = _use_color(args.color, args.output is not None)
    _write(args.output, _pieces(stream, args.format, color, compact=False))
    _stream_stderr(args, stream, "stdin" if log == "-" else log)
    return 0


def _whole(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _write(path: str | None, pieces: Iterable[str]) -> None:
    """Each piece written (and flushed) as it is made: nothing waits for the whole log."""
    if path is None:
        for piece in pieces:
            sys.stdout.write(piece)
            sys.stdout.flush()
        return
    try:
        with open(path, "w", encoding="utf-8") as fh:
            for piece in pieces:
                fh.write(piece)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot write") from None


def _pieces(stream: LogStream, fmt: str, color: bool, *, compact: bool) -> Iterator[str]:
    """The rendering of a streamed log in pieces, one report at a time (text, mail, json)."""
    head = Explanation(stream.source, (), stream.vmlinux, tuple(stream.warnings))
    if fmt == "json":
        yield from json_stream(head, stream.reports, compact=compact, late=stream.late_warnings)
    elif fmt == "mail":
        yield from mail_stream(head, stream.total, stream.reports, late=stream.late_warnings)
    else:
        yield text_head(head, stream.total, color=color)
        for i, rx in enumerate(stream.reports, 1):
            yield text_report(rx, i, stream.total, color=color)
        yield text_tail(stream.late_warnings, color=color)


def _stream_stderr(args: argparse.Namespace, stream: LogStream, name: str, prefix: str = "") -> None:
    """As _report_stderr, once the stream is done (its late warnings are known then)."""
    if not stream.total:
        print(f"a64triage: no crash report found in {name}", file=sys.stderr)
    expl = Explanation(stream.source, (), stream.vmlinux, (*stream.warnings, *stream.late_warnings))
    _report_stderr(args, expl, name, prefix, quiet_empty=True)


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

    def _target(self, log: str) -> str:
        if log != "-":
            return log
        target = read_log("-")  # stdin cannot be read twice (survey, then explain)
        return target + ("" if "\n" in target else "\n")

    def explain(self, log: str) -> Explanation:
        if self.sym is None:
            return replace(explain_log(self._target(log), modules_dir=self.args.modules), source=log)
        expl = explain_log(self._target(log), vmlinux=self.args.vmlinux, modules_dir=self.args.modules,
                           source_dir=self.args.source, symbolizer=self.sym)
        return replace(expl, source=log)

    def stream(self, log: str) -> LogStream:
        """The log explained report by report (text, mail, JSON): one report held at a time."""
        if self.sym is None:
            stream = stream_log(self._target(log), modules_dir=self.args.modules)
        else:
            stream = stream_log(self._target(log), vmlinux=self.args.vmlinux, modules_dir=self.args.modules,
                                source_dir=self.args.source, symbolizer=self.sym)
        stream.source = log
        return stream


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
        name = "stdin" if log == "-" else log
        if html is not None:
            expl = batch.explain(log)
            out.flush()
            _report_stderr(args, expl, name, f"{log}: ")
            _write(html[log], [render(expl, "html")])
            return
        stream = batch.stream(log)
        out.flush()
        if args.format != "json":
            out.write(f"==> {log} <==\n")
        for piece in _pieces(stream, args.format, color, compact=True):
            out.write(piece)
        out.flush()
        _stream_stderr(args, stream, name, f"{log}: ")

    try:
        return for_each_log(logs, one)
    finally:
        if out is not sys.stdout:
            out.close()
