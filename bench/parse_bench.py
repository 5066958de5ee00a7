"""Parse throughput and peak memory on a large log made of the golden corpus.

    .venv/bin/python bench/parse_bench.py [--mb 200] [--keep PATH] [--baseline SRC_DIR] [--noise N]

Concatenates tests/data/console/*.log (bodies) until the file reaches --mb
megabytes, writes it to a temporary file, then streams it through
``a64triage.console.parse_file`` twice: once for wall-clock throughput, once
under tracemalloc for the peak of Python allocations (flat memory = the peak
does not grow with the file).  Also reports the process's max RSS.

``--noise N`` puts N ordinary boot-log lines between consecutive corpus logs, a
closer model of a real console capture (mostly not crash lines) than the
crash-only corpus.  ``--baseline SRC_DIR`` also times another copy of the package (a ``src``
directory, e.g. ``git archive HEAD src | tar -x -C /tmp/base``) on the same
file in a child process, for a before/after comparison in one run.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from a64triage.console import parse_file  # noqa: E402

DATA = ROOT / "tests" / "data" / "console"


# Ordinary lines of a Raspberry Pi / Debian arm64 boot (none is part of a crash report).
NOISE = [
    b"[   12.345678] usb 1-1: new high-speed USB device number 2 using xhci-hcd",
    b"[   12.400001] EXT4-fs (mmcblk0p2): mounted filesystem with ordered data mode. Quota mode: none.",
    b"[   13.000002] systemd[1]: Started systemd-journald.service - Journal Service.",
    b"[   13.100003] brcmfmac: brcmf_fw_alloc_request: using brcm/brcmfmac43455-sdio for chip BCM4345/6",
    b"[   14.200004] IPv6: ADDRCONF(NETDEV_CHANGE): wlan0: link becomes ready",
    b"[   15.300005] audit: type=1400 audit(1700000000.123:42): apparmor=\"STATUS\" operation=\"profile_load\"",
    b"[   16.400006] random: crng init done",
    b"[   17.500007] bcmgenet fd580000.ethernet eth0: Link is Up - 1Gbps/Full - flow control rx/tx",
]


def corpus_chunk(noise: int = 0) -> bytes:
    bodies = []
    for n, path in enumerate(sorted(DATA.glob("*.log"))):
        raw = path.read_bytes()
        bodies.append(raw.partition(b"\n\n")[2])
        if noise:
            bodies.append(b"\n".join(NOISE[(n + i) % len(NOISE)] for i in range(noise)))
    return b"\n".join(bodies) + b"\n"


def build(path: Path, megabytes: float, noise: int = 0) -> int:
    chunk = corpus_chunk(noise)
    target = int(megabytes * (1 << 20))
    written = 0
    with path.open("wb") as out:
        while written < target:
            out.write(chunk)
            written += len(chunk)
    return written


def run(path: Path, traced: bool) -> tuple[float, int, int]:
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    reports = sum(1 for _ in parse_file(str(path)))
    elapsed = time.perf_counter() - start
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, reports, peak


_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from a64triage.console import parse_file
start = time.perf_counter()
n = sum(1 for _ in parse_file(sys.argv[2]))
print(n, time.perf_counter() - start)
"""


def run_baseline(src: Path, path: Path) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(path)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[1]), int(out[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=200.0, help="size of the generated log (default 200)")
    ap.add_argument("--traced-mb", type=float, default=20.0,
                    help="size of the prefix parsed under tracemalloc (slow; default 20)")
    ap.add_argument("--keep", type=Path, help="write the generated log here and keep it")
    ap.add_argument("--noise", type=int, default=0, help="ordinary lines between corpus logs (default 0)")
    ap.add_argument("--baseline", type=Path, help="a src directory with another version to time on the same file")
    args = ap.parse_args()

    tmpdir = tempfile.TemporaryDirectory(prefix="a64triage-bench-")
    try:
        big = args.keep or Path(tmpdir.name) / "big.log"
        size = build(big, args.mb, args.noise)
        small = Path(tmpdir.name) / "traced.log"
        small_size = build(small, min(args.traced_mb, args.mb), args.noise)

        base = run_baseline(args.baseline, big) if args.baseline else None
        elapsed, reports, _ = run(big, traced=False)
        _, small_reports, peak = run(small, traced=True)
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        rows = [
            ("input", f"{size / (1 << 20):.1f} MiB ({size:,} bytes)"),
            ("reports found", f"{reports:,}"),
            ("wall time", f"{elapsed:.2f} s"),
            ("throughput", f"{size / (1 << 20) / elapsed:.2f} MiB/s"),
            *([("baseline", f"{size / (1 << 20) / base[0]:.2f} MiB/s ({base[0]:.2f} s, {base[1]:,} reports)"
                            f" from {args.baseline}")] if base else []),
            ("tracemalloc peak", f"{peak / (1 << 20):.2f} MiB while parsing {small_size / (1 << 20):.1f} MiB"
                                 f" ({small_reports:,} reports)"),
            ("max RSS (process)", f"{rss_kib / 1024:.1f} MiB"),
        ]
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            print(f"{key:<{width}}  {value}")
    finally:
        tmpdir.cleanup()  # --keep writes outside the temporary directory
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
