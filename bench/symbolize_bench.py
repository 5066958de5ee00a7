#!/usr/bin/env python3
"""Symbolizing a 30-frame oops against Debian's arm64 vmlinux: a64triage vs llvm-symbolizer vs addr2line.

All tools get the same 30 frames (tests/data/symbols/debian-6.1.0-56-30frames.log,
real frames printed by 6.1.0-56-cloud-arm64) and the same 273 MB vmlinux with
DWARF 5.  The reference tools get the addresses a64triage looks up (link-time;
return addresses minus 4), all in one process each, with inline frames
(``llvm-symbolizer -i -f``, ``aarch64-linux-gnu-addr2line -i -f -e``).

Measured, each in a fresh process unless said otherwise (median of --runs):

* ``cold``   a64triage with an empty cache (no symbol index yet)
* ``warm``   a64triage again, the build-id keyed symbol index in the cache (the
  first run's helper saves it, with its name hash tables, after the answer)
* ``server`` the 30 frames again in a long-lived process (an open Symbolizer)
* llvm-symbolizer and addr2line runs
* ``decode_stacktrace.sh`` the kernel's own filter (scripts/decode_stacktrace.sh of
  Debian's linux-source-6.1, read from the cached tarball at run time), run as users
  run it, ``CROSS_COMPILE=aarch64-linux-gnu- decode_stacktrace.sh VMLINUX < LOG``:
  it starts nm/readelf/addr2line processes per frame.
* ``batch`` the 45 QEMU logs of tests/data/e2e in one ``a64triage symbolize``
  process (warm index), seconds per log, next to one llvm-symbolizer process
  per log on the vmlinux addresses a64triage looked up in that log.

The page cache is not dropped for the whole machine (it is shared): every tool
reads a file the kernel already holds, so "cold" means "no index of our own
yet".  The ``page-cold`` rows evict the vmlinux alone from the page cache
(``posix_fadvise(POSIX_FADV_DONTNEED)``, no root needed) before every run, for
llvm-symbolizer and for a64triage with no index: a first look at a freshly
installed -dbg package.

The cold and page-cold runs alternate with llvm-symbolizer's, pair by pair: this
machine's speed drifts by a third over minutes, and a series of one tool then a
series of the other compares two machines.  ``*_per_pair`` ratios are the median
of the per-pair ratios.  a64triage forks helper processes (symbols/warmup.py)
that may outlive it by a fraction of a second: this script is their subreaper,
waits for them before the next run (runs never overlap) and adds their CPU
time to the run's ``cpu s`` (user+system of every process of the run).
a64triage runs with its bytecode cached, as after ``pip install`` (a private
``PYTHONPYCACHEPREFIX``, warmed first) even when the shell sets
``PYTHONDONTWRITEBYTECODE``; ``--no-bytecode`` measures recompiling every run.
Peak memory is the max RSS reported by GNU time.  Usage::

    .venv/bin/python bench/symbolize_bench.py [--vmlinux V] [--runs N] [--json] [--no-bytecode]
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
LOG = ROOT / "tests" / "data" / "symbols" / "debian-6.1.0-56-30frames.log"
E2E = ROOT / "tests" / "data" / "e2e"
ABI = "6.1.0-56"


def _vmlinux(arg: str | None) -> str:
    if arg:
        return arg
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "debian_kernel.py"), "--abi", ABI, "dbg"],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"symbolize_bench: no vmlinux: {res.stderr.strip()}")
    for line in res.stdout.splitlines():
        if line.startswith("vmlinux="):
            return line.split("=", 1)[1]
    sys.exit("symbolize_bench: debian_kernel.py printed no vmlinux=")


def _evict(path: str) -> None:
    """Drop one file's pages from the page cache (the next read comes from disk)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _subreaper() -> None:
    """Become the child subreaper (prctl PR_SET_CHILD_SUBREAPER): the helper processes a64triage
    forks (symbols/warmup.py) that outlive it are then re-parented to this script, which
    waits for them and counts their CPU time."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        raise SystemExit("symbolize_bench: prctl(PR_SET_CHILD_SUBREAPER) failed")


def _orphans_cpu() -> float:
    """Wait for the processes left by the last run (helpers still at work when it exited):
    their user+system seconds.  The next run never overlaps them."""
    cpu = 0.0
    while True:
        try:
            _pid, _status, ru = os.wait4(-1, 0)
        except ChildProcessError:
            return cpu
        cpu += ru.ru_utime + ru.ru_stime


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str, float]:
    """Wall seconds, peak RSS in MB (GNU time), stdout, CPU seconds (user+system) of the run
    and every process it started."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r") as tf:
        t0 = time.perf_counter()
        res = subprocess.run([gnu_time, "-f", "%M %U %S", "-o", tf.name, *cmd], capture_output=True,
                             text=True, env=env)
        wall = time.perf_counter() - t0
        if res.returncode != 0:
            raise SystemExit(f"symbolize_bench: {' '.join(cmd[:3])} failed: {res.stderr.strip()[:300]}")
        peak_kb, user, system = tf.read().strip().splitlines()[-1].split()
    cpu = float(user) + float(system) + _orphans_cpu()
    return wall, int(peak_kb) // 1024, res.stdout, cpu


def _decode_stacktrace(workdir: str) -> str | None:
    """scripts/decode_stacktrace.sh from the cached linux-source-6.1 tarball (None: not cached)."""
    res = subprocess.run([sys.executable, str(ROOT / "scripts" / "debian_kernel.py"), "--abi", ABI, "source"],
                         capture_output=True, text=True)
    tarballs = [line.split("=", 1)[1] for line in res.stdout.splitlines() if line.startswith("source_tarball=")]
    if res.returncode != 0 or not tarballs:
        return None
    member = "linux-source-6.1/scripts/decode_stacktrace.sh"
    if subprocess.run(["tar", "-xJf", tarballs[0], "-C", workdir, member], capture_output=True).returncode:
        return None
    return os.path.join(workdir, member)


def _addresses(vmlinux: str) -> tuple[list[int], list[Any]]:
    """The link-time addresses a64triage looks up for the 30 frames, and its answers."""
    sys.path.insert(0, str(ROOT / "src"))
    from a64triage.console.records import Frame
    from a64triage.symbols import open_symbolizer
    from a64triage.symbols.frameline import match_line

    sym = open_symbolizer(vmlinux)
    frames = [h.frame for line in LOG.read_text().splitlines() for h in match_line(line)]
    assert len(frames) == 30, len(frames)
    addrs: list[int] = []
    results: list[Any] = []
    for i, fr in enumerate(frames):
        res = sym.symbolize_frame(Frame(function=fr.function, offset=fr.offset, size=fr.size),
                                  is_return=i > 0)
        assert res.looked_up is not None, res
        addrs.append(res.looked_up)
        results.append(res)
    return addrs, results


def _server(vmlinux: str, runs: int) -> tuple[float, float]:
    """Seconds for the 30 frames in a process that already has the Symbolizer open:
    the first pass (names never looked up before) and the median of the next ones."""
    from a64triage.symbols import open_symbolizer
    from a64triage.symbols.frameline import match_line

    sym = open_symbolizer(vmlinux)
    frames = [h.frame for line in LOG.read_text().splitlines() for h in match_line(line)]
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        for i, fr in enumerate(frames):
            sym.symbolize_frame(fr, is_return=i > 0)
        times.append(time.perf_counter() - t0)
    return times[0], statistics.median(times[1:])


def _batch(vmlinux: str, env: dict[str, str], runs: int, llvm: str | None) -> dict[str, Any] | None:
    """Seconds per log: every e2e log in one a64triage process vs one llvm-symbolizer per log."""
    logs = sorted(str(p) for p in E2E.glob("*.log"))
    if not logs:
        return None
    cmd = [str(ROOT / ".venv" / "bin" / "a64triage"), "symbolize", "--json", "--vmlinux", vmlinux, *logs]
    walls = []
    out = ""
    for _ in range(runs):
        wall, _peak, out, _cpu = _timed(cmd, env)
        walls.append(wall)
    # the link-time addresses looked up in the vmlinux (module frames have private addresses)
    per_log = [[f["looked_up"] for f in json.loads(line)["frames"]
                if f["looked_up"] is not None and f["module"] is None] for line in out.splitlines()]
    row: dict[str, Any] = {"logs": len(logs), "addresses": sum(map(len, per_log)),
                           "a64triage_s_per_log": statistics.median(walls) / len(logs)}
    if llvm:
        totals = []
        for _ in range(min(runs, 3)):
            total = 0.0
            for addrs in per_log:
                if addrs:
                    total += _timed([llvm, "-i", "-f", f"--obj={vmlinux}", *addrs])[0]
            totals.append(total)
        row["llvm_symbolizer_s_per_log"] = statistics.median(totals) / len(logs)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--vmlinux")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-bytecode", action="store_true", help="recompile a64triage in every run")
    args = ap.parse_args()
    vmlinux = _vmlinux(args.vmlinux)
    a64 = [str(ROOT / ".venv" / "bin" / "a64triage"), "symbolize", "--vmlinux", vmlinux, str(LOG)]
    rows: dict[str, dict[str, float]] = {}

    _subreaper()

    def one(cmd: list[str], env: dict[str, str] | None, fresh: tempfile.TemporaryDirectory[str] | None,
            evict: bool) -> tuple[float, int, str, float]:
        if fresh is not None:  # empty the private cache before every run
            shutil.rmtree(fresh.name, ignore_errors=True)
            os.makedirs(fresh.name)
        if evict:
            _evict(vmlinux)
        return _timed(cmd, env)

    def record(name: str, runs: list[tuple[float, int, str, float]]) -> None:
        walls = [r[0] for r in runs]
        rows[name] = {"median_s": statistics.median(walls), "min_s": min(walls),
                      "peak_mb": max(r[1] for r in runs), "cpu_s": statistics.median(r[3] for r in runs)}

    def series(name: str, cmd: list[str], env: dict[str, str] | None = None,
               fresh: tempfile.TemporaryDirectory[str] | None = None, evict: bool = False) -> None:
        record(name, [one(cmd, env, fresh, evict) for _ in range(args.runs)])

    def paired(names: tuple[str, str], cmds: tuple[list[str], list[str]], env: dict[str, str],
               fresh: tempfile.TemporaryDirectory[str], evict: bool) -> float:
        """Both commands in turn, ``runs`` times (the machine's speed drifts: a series of
        one then a series of the other would compare two different machines); the
        median of the per-pair ratios."""
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(one(cmds[0], env, fresh, evict))
            theirs.append(one(cmds[1], None, None, evict))
        record(names[0], ours)
        record(names[1], theirs)
        return statistics.median(a[0] / b[0] for a, b in zip(ours, theirs, strict=True))

    with tempfile.TemporaryDirectory() as warm_dir, tempfile.TemporaryDirectory() as pyc:
        base = dict(os.environ)
        if not args.no_bytecode:
            base.pop("PYTHONDONTWRITEBYTECODE", None)
            base["PYTHONPYCACHEPREFIX"] = pyc
        os.environ["A64TRIAGE_CACHE"] = warm_dir  # in-process runs: the warm index
        addrs, ours_results = _addresses(vmlinux)
        hexes = [hex(a) for a in addrs]
        llvm = shutil.which("llvm-symbolizer")
        cold = tempfile.TemporaryDirectory()
        cold_env = dict(base, A64TRIAGE_CACHE=cold.name)
        _timed(a64, cold_env)  # writes the bytecode
        pair_ratios: dict[str, float] = {}
        if llvm:
            llvm_cmd = [llvm, "-i", "-f", f"--obj={vmlinux}", *hexes]
            pair_ratios["cold"] = paired(("a64triage cold (no index)", "llvm-symbolizer -i -f"),
                                         (a64, llvm_cmd), cold_env, cold, False)
            pair_ratios["page_cold"] = paired(("a64triage page-cold (no index)", "llvm-symbolizer page-cold"),
                                              (a64, llvm_cmd), cold_env, cold, True)
        else:
            series("a64triage cold (no index)", a64, cold_env, fresh=cold)
            series("a64triage page-cold (no index)", a64, cold_env, fresh=cold, evict=True)
        cold.cleanup()
        warm_env = dict(base, A64TRIAGE_CACHE=warm_dir)
        _timed(a64, warm_env)  # its helper saves the index with the name hash tables
        series("a64triage warm (index)", a64, warm_env)
        server_first, server = _server(vmlinux, args.runs)
        batch = _batch(vmlinux, warm_env, args.runs, llvm)
    a2l = shutil.which("aarch64-linux-gnu-addr2line")
    if a2l:
        series("aarch64-linux-gnu-addr2line -i -f", [a2l, "-i", "-f", "-e", vmlinux, *hexes])
        with tempfile.TemporaryDirectory() as work:  # the script runs ${CROSS_COMPILE}addr2line too
            script = _decode_stacktrace(work)
            if script:
                env = dict(os.environ, CROSS_COMPILE="aarch64-linux-gnu-")
                series("decode_stacktrace.sh (kernel's)", ["bash", "-c", 'exec bash "$0" "$1" < "$2"',
                                                           script, vmlinux, str(LOG)], env)

    agree = None
    if llvm:
        out = subprocess.run([llvm, "--output-style=JSON", "-i", "-f", f"--obj={vmlinux}", *hexes],
                             capture_output=True, text=True).stdout
        agree = sum(1 for d, r in zip(json.loads(out), ours_results, strict=True)
                    if [f["Line"] for f in d["Symbol"]] == [loc.line for loc in r.locations])

    ref = rows.get("llvm-symbolizer -i -f")
    doc = {"frames": len(addrs), "vmlinux": vmlinux, "runs": args.runs, "results": rows,
           "a64triage_server_s": server, "a64triage_server_first_pass_s": server_first,
           "inline_chains_equal_to_llvm": agree, "batch": batch}
    if ref:
        doc["bytecode_cached"] = not args.no_bytecode
        doc["ratios_vs_llvm"] = {
            "cold": rows["a64triage cold (no index)"]["median_s"] / ref["median_s"],
            "warm_index": rows["a64triage warm (index)"]["median_s"] / ref["median_s"],
            "server": server / ref["median_s"],
            "server_first_pass": server_first / ref["median_s"],
            "peak_memory_cold": rows["a64triage cold (no index)"]["peak_mb"] / ref["peak_mb"],
            "page_cold": rows["a64triage page-cold (no index)"]["median_s"]
            / rows["llvm-symbolizer page-cold"]["median_s"],
            "cold_per_pair": pair_ratios.get("cold"),
            "page_cold_per_pair": pair_ratios.get("page_cold"),
        }
        if "decode_stacktrace.sh (kernel's)" in rows:
            doc["ratios_vs_decode_stacktrace"] = {
                "cold": rows["a64triage cold (no index)"]["median_s"]
                / rows["decode_stacktrace.sh (kernel's)"]["median_s"],
                "warm_index": rows["a64triage warm (index)"]["median_s"]
                / rows["decode_stacktrace.sh (kernel's)"]["median_s"],
            }
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{len(addrs)} frames, {Path(vmlinux).name}, median of {args.runs} runs")
    print(f"{'tool':40} {'median s':>9} {'min s':>7} {'peak MB':>8} {'cpu s':>7}")
    for name, r in rows.items():
        print(f"{name:40} {r['median_s']:9.3f} {r['min_s']:7.3f} {r['peak_mb']:8d} {r['cpu_s']:7.3f}")
    print(f"{'a64triage long-lived process':40} {server:9.4f}")
    print(f"{'  its first pass (new names)':40} {server_first:9.4f}")
    if batch is not None:
        name = f"batch: {batch['logs']} logs in one process"
        llvm_per_log = batch.get("llvm_symbolizer_s_per_log")
        print(f"{name:40} {batch['a64triage_s_per_log']:9.4f} s/log ({batch['addresses']} addresses)"
              + (f"; llvm-symbolizer, one process per log: {llvm_per_log:.4f} s/log" if llvm_per_log else ""))
    if "ratios_vs_llvm" in doc:
        print("ratios vs llvm-symbolizer: " + ", ".join(f"{k} {v:.2f}x" for k, v in doc["ratios_vs_llvm"].items()
                                                        if v is not None))
    if "ratios_vs_decode_stacktrace" in doc:
        print("ratios vs decode_stacktrace.sh: "
              + ", ".join(f"{k} {v:.3f}x" for k, v in doc["ratios_vs_decode_stacktrace"].items()))
    if agree is not None:
        print(f"inline chains (line numbers) equal to llvm-symbolizer's: {agree}/{len(addrs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
