#!/usr/bin/env python3
"""Crash Debian's arm64 kernel under QEMU and take core dumps of it (issue #15).

    scripts/e2e/dump.py --list
    scripts/e2e/dump.py ACCESS_NULL WRITE_AFTER_FREE     dump these cases
    scripts/e2e/dump.py --reduced | --all                the reduced / full set
    scripts/e2e/dump.py --out DIR ...                    where cores go
                                                         (default: <cache>/e2e/dumps)

Each case writes DIR/<case>.log (console, with the header of tests/data/e2e logs) and
one core per format, DIR/<case>.elf and DIR/<case>.kdump-zlib.  Cases come from
scripts/e2e/dumps.toml.  Prints one line per case: name, how it ended, boot seconds,
each core's size and dump seconds.  Exit codes: 0 every case dumped, 1 some did not
(console kept as <case>.log.failed), 3 cannot run here (``skipped: <reason>``).
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dumplib
import e2elib


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names of dumps.toml")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--reduced", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--abi")
    ap.add_argument("--out", type=Path, help="directory for cores and logs")
    args = ap.parse_args(argv)
    chosen = e2elib.choose_cases(dumplib.load_dump_cases(), args, "dump.py",
                                 lambda c: f"-m {c.memory_mib}\t{dumplib.kernel_cmdline(c)}")
    if isinstance(chosen, int):
        return chosen
    try:
        prep = e2elib.prepare(args.abi, allow_download=True)
    except e2elib.Unavailable as exc:
        return e2elib.main_error(exc)
    out = args.out or prep.workdir / "dumps"
    bad = 0
    for case in chosen:
        try:
            res = dumplib.boot_and_dump(prep, case, out)
        except e2elib.Unavailable as exc:
            return e2elib.main_error(exc)
        ok = res.ended == "panic" and re.search(case.marker, res.console) is not None
        log = out / (f"{case.name}.log" if ok else f"{case.name}.log.failed")
        log.write_text(dumplib.format_log(prep, res))
        bad += not ok
        sizes = " ".join(f"{fmt}={p.stat().st_size / 2**20:.1f}MiB/{res.dump_seconds[fmt]:.1f}s"
                         for fmt, p in res.cores.items())
        print(f"{case.name}\t{res.ended}\t{res.boot_seconds:.1f}s\t{sizes or '-'}\t{log}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
