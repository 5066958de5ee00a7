#!/usr/bin/env python3
"""Boot crash cases of scripts/e2e/cases.toml under QEMU and keep their console logs.

    scripts/e2e/boot.py --list
    scripts/e2e/boot.py ACCESS_NULL BUG-panic       boot these cases
    scripts/e2e/boot.py --reduced | --all           the reduced / full set
    scripts/e2e/boot.py --out DIR ...               where logs go (default tests/data/e2e)

One QEMU at a time (TCG is CPU-heavy); each run is killed at its timeout.  Prints
one line per case: name, how it ended, seconds, whether the expected marker showed.
Exit codes: 0 all markers seen, 1 some run missed its marker (log kept as
<name>.log.failed), 3 cannot run here (``skipped: <reason>`` on stderr).
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2elib


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... | head` is not an error
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help="case names (CRASH or CRASH-variant)")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--reduced", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--abi")
    ap.add_argument("--timeout", type=int, help="override every case's timeout (seconds)")
    ap.add_argument("--out", type=Path, default=e2elib.REPO / "tests" / "data" / "e2e")
    args = ap.parse_args(argv)
    chosen = e2elib.choose_cases(e2elib.load_cases(), args, "boot.py", e2elib.kernel_cmdline)
    if isinstance(chosen, int):
        return chosen
    try:
        prep = e2elib.prepare(args.abi, allow_download=True)
    except e2elib.Unavailable as exc:
        return e2elib.main_error(exc)
    args.out.mkdir(parents=True, exist_ok=True)
    bad = 0
    for case in chosen:
        try:
            res = e2elib.boot(prep, case, args.timeout)
        except e2elib.Unavailable as exc:
            return e2elib.main_error(exc)
        ok = re.search(case.expect_marker, res.console) is not None
        dest = args.out / (f"{case.name}.log" if ok else f"{case.name}.log.failed")
        dest.write_text(e2elib.format_log(prep, res))
        bad += not ok
        print(f"{case.name}\t{res.ended}\t{res.seconds:.1f}s\t{'ok' if ok else 'NO-MARKER'}\t{dest}",
              flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
