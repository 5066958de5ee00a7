"""Thin command-line shell: argument parsing and exit codes only.

Each sub-command lives in ``a64triage.commands.<name>`` and exposes
``add_arguments(parser)`` and ``run(args) -> int``.  Exit codes follow the
conventions of grep/diff-style filters: 0 ok/clean, 1 findings (audit), 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from a64triage import __version__, compiled
from a64triage.errors import InputError

COMMANDS: dict[str, str] = {
    "decode": "decode an Arm system register value (ESR, SPSR, FAR, MIDR, ...)",
    "parse": "find crash reports in a console log and print them as records",
    "symbolize": "annotate a crash log with file:line from vmlinux and modules",
    "disasm": "annotated disassembly around a function, an address or an oops Code: line",
    "audit": "find absolute addresses in code that runs at another virtual address",
    "explain": "ranked root cause of each crash report, with evidence",
    "batch": "triage a corpus of logs into groups (local cores or a Dask cluster)",
}


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Command:
    return cast(_Command, importlib.import_module(f"a64triage.commands.{name}"))


class _Parser(argparse.ArgumentParser):
    """Argument errors in the form of every other bad input: one line naming the
    argument and the problem, exit code 2 (the usage block stays behind --help).
    Sub-command parsers are of this class too (argparse copies the parent's)."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("a64triage").strip()
        self.exit(2, f"a64triage: {where + ': ' if where else ''}{message} (see {self.prog} --help)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (fast start, and one
    broken optional dependency cannot take the other commands down)."""
    parser = _Parser(
        prog="a64triage",
        description="Explain arm64 Linux kernel and KVM hypervisor crashes.",
    )
    parser.add_argument("--version", action="version",
                        version=f"a64triage {__version__} (console parser: {compiled.MODE})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            _load(name).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return _load(args.command).run(args)
    except InputError as exc:
        print(f"a64triage: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Downstream closed the pipe (`| head`): not an error for a filter.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
