"""`a64triage explain [LOG|-] [--vmlinux V] ...`: ranked root causes of each crash report."""

from __future__ import annotations

import argparse
import os
import sys

from a64triage.diagnose import explain_log
from a64triage.errors import InputError
from a64triage.render import FORMATS, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", nargs="?", default="-", metavar="LOG",
                        help="console log, mail or syslog excerpt ('-' or omitted: stdin)")
    parser.add_argument("--vmlinux", metavar="V", help="vmlinux of the crashed kernel (with DWARF for file:line)")
    parser.add_argument("--modules", metavar="DIR", help="directory tree with the kernel's .ko files (needs --vmlinux)")
    parser.add_argument("--source", metavar="DIR", help="kernel source tree: quote the source lines")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text output (auto: when stdout is a terminal and NO_COLOR is unset)")


def _use_color(choice: str, to_file: bool) -> bool:
    if choice == "always":
        return True
    if choice == "never" or to_file:
        return False
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    if args.source is not None and args.vmlinux is None:
        raise InputError("--source", "needs --vmlinux (source lines come from its DWARF file:line)")
    expl = explain_log(args.log, vmlinux=args.vmlinux, modules_dir=args.modules, source_dir=args.source)
    name = "stdin" if args.log == "-" else args.log
    if not expl.reports:
        print(f"a64triage: no crash report found in {name}", file=sys.stderr)
    if args.output is not None or args.format in ("json", "html"):
        for warning in expl.warnings:
            print(f"a64triage: warning: {warning}", file=sys.stderr)
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
