#!/usr/bin/env python3
"""Prepare Debian's arm64 kernel, LKDTM and an initramfs for the QEMU end-to-end suite.

    scripts/e2e/prepare.py                 fetch what is missing, build, print paths
    scripts/e2e/prepare.py --print-paths   only print key=value paths (no download;
                                           exit 3 "skipped: <reason>" when not prepared)

Keys printed: abi, kernel_release, kernel_version, source_version, vmlinux,
debug_modules (lkdtm.ko + the -dbg module tree, for ``--modules``), image (what QEMU
boots), initramfs, lkdtm_ko, busybox, logs (the committed console logs), ...
Exit codes: 0 ok, 3 cannot run here (reason on stderr, prefixed ``skipped:``).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2elib


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... | head` is not an error
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--abi", help="Debian kernel ABI, e.g. 6.1.0-56 (default: newest cached)")
    ap.add_argument("--print-paths", action="store_true",
                    help="print key=value paths of an already prepared cache; never download")
    ap.add_argument("--module", action="append", default=[],
                    help="extra image module to put in the initramfs (with its deps)")
    args = ap.parse_args(argv)
    try:
        prep = e2elib.prepare(args.abi, allow_download=not args.print_paths,
                              extra_modules=args.module)
    except e2elib.Unavailable as exc:
        return e2elib.main_error(exc)
    print("\n".join(prep.as_lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
