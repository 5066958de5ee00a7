"""`--vmcore CORE`: the commands' way into a kernel core dump (issue #15).

The core gives the log (the printk ring buffer), the KASLR offset (VMCOREINFO's
KERNELOFFSET, not a guess from the log) and the build id that names the vmlinux; the
log then goes through the same pipeline as a console log, and explain adds the
memory facts of each report read from the core.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from a64triage.commands import symargs
from a64triage.errors import InputError
from a64triage.symbols import open_symbolizer
from a64triage.symbols.vmcore import Vmcore, open_vmcore, read_header

if TYPE_CHECKING:
    from a64triage.diagnose.types import Explanation


def add_argument(parser: argparse.ArgumentParser, *, vmlinux: bool = False) -> None:
    """``vmlinux``: also declare ``--vmlinux`` (for commands without the symbol-source options)."""
    if vmlinux:
        parser.add_argument("--vmlinux", metavar="V", help="with --vmcore: the vmlinux of the crashed kernel")
    parser.add_argument("--vmcore", metavar="CORE",
                        help="read the crash from a kernel core dump (ELF vmcore or QEMU dump-guest-memory "
                             "ELF dump) instead of a log; the vmlinux is found by the build id it records")


def resolve(args: argparse.Namespace) -> None:
    """``args.vmlinux``/``args.modules``: the debug files of the build the core's VMCOREINFO
    names (its build id and release), through the symbol sources (--vmlinux, the cache,
    /usr/lib/debug, debuginfod, --fetch); a bad core is refused before any is looked for."""
    if [log for log in getattr(args, "log", []) if log != "-"]:
        raise InputError("--vmcore", "reads the log from the core: give no LOG")
    from a64triage.symbols.sources import BuildQuery, find_debug_files

    header = read_header(args.vmcore)
    query = BuildQuery(build_id=header.build_id, release=header.release)
    defaults = argparse.ArgumentParser(add_help=False)
    symargs.add_arguments(defaults)  # commands without every symbol-source option (parse)
    for key, value in vars(defaults.parse_args([])).items():
        if not hasattr(args, key):
            setattr(args, key, value)
    files = find_debug_files(query, symargs.source_options(args))
    if files.origin not in ("path", ""):
        print(f"a64triage: using {files.vmlinux} ({files.origin})", file=sys.stderr)
    args.vmlinux = str(files.vmlinux)
    dirs = [str(d) for d in (files.modules or symargs.source_options(args).modules)]
    args.modules = os.pathsep.join(dirs) or None


def open_core(args: argparse.Namespace) -> Vmcore:
    if args.vmlinux is None:
        resolve(args)
    modules = getattr(args, "modules", None)  # --modules: a list (append), or resolve()'s joined string
    if isinstance(modules, list):
        modules = os.pathsep.join(modules)
    return open_vmcore(args.vmcore, args.vmlinux, modules_dir=modules or None)


def core_text(args: argparse.Namespace) -> tuple[Vmcore, str]:
    """The core and its kernel log, for the commands that take the log as text (parse, symbolize)."""
    core = open_core(args)
    return core, core_log(core)


def core_log(core: Vmcore) -> str:
    text = core.log_text()
    if not text.strip():
        raise InputError(core.path, "the kernel log in the core is empty")
    return text if text.endswith("\n") else text + "\n"


def explain_core(args: argparse.Namespace) -> Explanation:
    """explain's answer for a core: the ring buffer's reports, with memory evidence."""
    from a64triage.diagnose import explain_log  # parse and symbolize do not need the diagnose stage

    core = open_core(args)
    sym = open_symbolizer(core.vmlinux, modules_dir=args.modules, source_dir=args.source)
    expl = explain_log(core_log(core), vmlinux=core.vmlinux, modules_dir=args.modules,
                       source_dir=args.source, symbolizer=sym, core=core)
    warnings = (*core.problems, *expl.warnings)
    return replace(expl, source=args.vmcore, warnings=tuple(dict.fromkeys(warnings)))
