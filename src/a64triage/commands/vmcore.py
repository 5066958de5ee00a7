"""`--vmcore CORE`: the commands' way into a kernel core dump (issue #15).

The core gives the log (the printk ring buffer), the KASLR offset (VMCOREINFO's
KERNELOFFSET, not a guess from the log) and the build id that names the vmlinux; the
log then goes through the same pipeline as a console log, and explain adds the
memory facts of each report read from the core.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from a64triage.diagnose import explain_log
from a64triage.diagnose.types import Explanation
from a64triage.errors import InputError
from a64triage.symbols import open_symbolizer
from a64triage.symbols.vmcore import CoreHeader, Vmcore, open_vmcore, read_header


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vmcore", metavar="CORE",
                        help="read the crash from a kernel core dump (ELF vmcore or QEMU dump-guest-memory "
                             "ELF dump) instead of a log; needs --vmlinux of the same build")


def vmlinux_for(header: CoreHeader, given: str | None) -> str:
    """The vmlinux to use: the one given, else one the build id in the core names."""
    if given is not None:
        return given
    raise InputError("--vmcore", f"needs --vmlinux: the debug vmlinux of {header.release} "
                                 f"(build id {header.build_id or 'not recorded'})")


def open_core(args: argparse.Namespace) -> Vmcore:
    if [log for log in getattr(args, "log", []) if log != "-"]:
        raise InputError("--vmcore", "reads the log from the core: give no LOG")
    header = read_header(args.vmcore)  # a bad core is refused before any vmlinux is read
    vmlinux = vmlinux_for(header, args.vmlinux)
    return open_vmcore(args.vmcore, vmlinux, modules_dir=args.modules)


def core_log(core: Vmcore) -> str:
    text = core.log_text()
    if not text.strip():
        raise InputError(core.path, "the kernel log in the core is empty")
    return text if text.endswith("\n") else text + "\n"


def explain_core(args: argparse.Namespace) -> Explanation:
    """explain's answer for a core: the ring buffer's reports, with memory evidence."""
    core = open_core(args)
    sym = open_symbolizer(core.vmlinux, modules_dir=args.modules, source_dir=args.source,
                          kaslr_offset=core.header.kaslr_offset)
    expl = explain_log(core_log(core), vmlinux=core.vmlinux, modules_dir=args.modules,
                       source_dir=args.source, symbolizer=sym, core=core)
    warnings = (*core.problems, *expl.warnings)
    return replace(expl, source=args.vmcore, warnings=tuple(dict.fromkeys(warnings)))
