#!/usr/bin/env python3
"""What a plain ``pip install .`` gives: backend and speed on five real logs, vs llvm-symbolizer.

A fresh venv gets the package the way a user installs it (``pip install .``, no
extras).  Then, on the five Debian 6.1.0-56 logs of tests/data/symbols
(ACCESS_NULL, BUG, WARNING, EXHAUST_STACK, EXEC_DATA) against Debian's -dbg
vmlinux, one ``a64triage symbolize --json`` process for the five logs (median
of --runs, after one run that saves the symbol index) is timed next to the same
command in the development environment (pair by pair) and to one
``llvm-symbolizer -i -f`` process given the same vmlinux addresses (the
link-time addresses a64triage looked up).  ``--slow`` also removes drgn from the
venv and times the pure-Python path (what a plain install gave before drgn
became a dependency).  Usage::

    .venv/bin/python bench/pip_install_bench.py [--vmlinux V] [--runs N] [--slow] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CASES = ("ACCESS_NULL", "BUG", "WARNING", "EXHAUST_STACK", "EXEC_DATA")
LOGS = [ROOT / "tests" / "data" / "symbols" / f"debian-6.1.0-56-{c}.log" for c in CASES]


def _vmlinux(arg: str | None) -> str:
    if arg:
        return arg
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "debian_kernel.py"), "--abi", "6.1.0-56", "dbg"],
                         capture_output=True, text=True, check=False)
    for line in res.stdout.splitlines():
        if line.startswith("vmlinux="):
            return line.split("=", 1)[1]
    sys.exit(f"pip_install_bench: no vmlinux ({res.stderr.strip()})")


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"pip_install_bench: {cmd[0]} failed: {res.stderr.strip()}")
    return took, res.stdout


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmlinux")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--slow", action="store_true", help="also time the venv without drgn")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    vmlinux = _vmlinux(args.vmlinux)
    llvm = shutil.which("llvm-symbolizer")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="a64triage-pip-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        start = time.perf_counter()
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(ROOT)],
                       check=True)
        out["pip_install_s"] = round(time.perf_counter() - start, 1)
        env = {k: v for k, v in os.environ.items() if k not in ("A64TRIAGE_NO_DRGN", "PYTHONPATH")}
        env["A64TRIAGE_CACHE"] = str(Path(tmp) / "cache")
        cmd = [str(venv / "bin" / "a64triage"), "symbolize", "--json", "--vmlinux", vmlinux, *map(str, LOGS)]

        # the development checkout's environment (drgn from the [test] install) for the same
        # command: runs alternate pair by pair (this machine's speed drifts)
        here = [sys.executable, "-m", "a64triage", *cmd[1:]]

        def series(name: str) -> list[dict[str, Any]]:
            _first, text = _timed(cmd, env)  # saves the symbol index, as a user's first run does
            times, dev = [], []
            for _ in range(args.runs):
                times.append(_timed(cmd, env)[0])
                dev.append(_timed(here, env)[0])
            out[name] = round(statistics.median(times), 3)
            out[f"{name}_dev_checkout"] = round(statistics.median(dev), 3)
            return [json.loads(line) for line in text.splitlines()]

        docs = series("a64triage_s")
        out["backend"] = docs[0]["backend"]
        addrs = [f["looked_up"] for d in docs for f in d["frames"]
                 if f["module"] is None and f["looked_up"] and f["function"]]
        out["frames"] = len(addrs)
        out["with_file_line"] = sum(1 for d in docs for f in d["frames"]
                                    if f["module"] is None and f["locations"] and f["locations"][-1]["file"])
        if llvm:
            ref = [_timed([llvm, f"--obj={vmlinux}", "-i", "-f", *addrs], env)[0] for _ in range(args.runs)]
            out["llvm_symbolizer_s"] = round(statistics.median(ref), 3)
            out["ratio"] = round(out["a64triage_s"] / out["llvm_symbolizer_s"], 2)
        if args.slow:
            subprocess.run([str(venv / "bin" / "pip"), "uninstall", "-q", "-y", "drgn"], check=True)
            slow = series("pyelftools_s")
            out["slow_backend"] = slow[0]["backend"]
            if llvm:
                out["slow_ratio"] = round(out["pyelftools_s"] / out["llvm_symbolizer_s"], 1)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            print(f"{key:20} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
