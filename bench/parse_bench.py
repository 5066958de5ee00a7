"""Parse throughput and memory against ``grep -c`` on the same file, in the same run.

    .venv/bin/python bench/parse_bench.py [--mb 100] [--shape quiet|dense|both] [--rss-gb 1] [--baseline SRC]

Two shapes of log, generated under a temporary directory (never committed):

- ``dense``: the project's 45 real QEMU console logs (tests/data/e2e/*.log, every
  one a crash) repeated until the file reaches --mb megabytes;
- ``quiet``: ordinary boot lines of a Raspberry Pi / Debian arm64 console with one
  of those crash logs every 20,000 lines (a machine that crashes now and then).

For each, ``grep -c 'Call trace'`` reads the file first (warm page cache for both;
grep is the bound for one pass over the bytes), then ``a64triage.console.parse_file``
streams it in a child process that reports its CPU time and peak RSS: once with the
console modules mypyc compiled at install (setup.py; "plain" if the build made none),
once with their plain source (``A64TRIAGE_PURE=1``), the speed-up's plain twin.  Times are CPU
time (user + system), not wall time: on a shared machine wall time measures the
neighbours.  ``--rss-gb``
also parses a file of that many GiB (the quiet shape, the cheaper to generate) to
show that RSS does not grow with the file.  Ratios are parse / grep.

``--baseline SRC`` also parses each log (after the twins) with another copy of the package:
a ``src`` directory, e.g. a ``git worktree`` of an earlier commit, built in place or not.
The machine's speed drifts by up to a third between runs (and grep's with it, less), so a
before/after figure is only sound within one run: the "x baseline" column is the baseline's
CPU time over each row's on the same file.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "data" / "e2e"
QUIET_EVERY = 20_000  # ordinary lines between two crash logs in the quiet shape

# Ordinary lines of a Raspberry Pi / Debian arm64 boot (none is part of a crash report).
NOISE = [
    b"usb 1-1: new high-speed USB device number 2 using xhci-hcd",
    b"EXT4-fs (mmcblk0p2): mounted filesystem with ordered data mode. Quota mode: none.",
    b"systemd[1]: Started systemd-journald.service - Journal Service.",
    b"brcmfmac: brcmf_fw_alloc_request: using brcm/brcmfmac43455-sdio for chip BCM4345/6",
    b"IPv6: ADDRCONF(NETDEV_CHANGE): wlan0: link becomes ready",
    b"audit: type=1400 audit(1700000000.123:42): apparmor=\"STATUS\" operation=\"profile_load\"",
    b"random: crng init done",
    b"bcmgenet fd580000.ethernet eth0: Link is Up - 1Gbps/Full - flow control rx/tx",
]


def crash_logs() -> list[bytes]:
    return [p.read_bytes() for p in sorted(E2E.glob("*.log"))]


def dense_chunk() -> bytes:
    return b"".join(log if log.endswith(b"\n") else log + b"\n" for log in crash_logs())


def quiet_chunk() -> bytes:
    out = []
    for n, log in enumerate(crash_logs()):
        out += [b"[%6d.%06d] %s\n" % (n * 40 + i // 1000, i % 1000 * 997, NOISE[(n + i) % len(NOISE)])
                for i in range(QUIET_EVERY)]
        out.append(log if log.endswith(b"\n") else log + b"\n")
    return b"".join(out)


def build(path: Path, size: int, chunk: bytes) -> int:
    written = 0
    with path.open("wb") as out:
        while written < size:
            part = chunk[: size - written]
            out.write(part)
            written += len(part)
    return written


# VmHWM (peak RSS of this process image), not ru_maxrss: Linux keeps the latter across
# fork+exec, so a child would report the parent's peak (the generator's buffers).
_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from a64triage.console import parse_file
try:
    from a64triage.compiled import compiled
except ImportError:  # a baseline from before the compiled modules
    def compiled(): return False
start = time.process_time()
n = sum(1 for _ in parse_file(sys.argv[2]))
secs = time.process_time() - start
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
print(n, secs, hwm, "compiled" if compiled() else "plain")
"""


def parse_child(path: Path, plain: bool = False, src: Path = ROOT / "src") -> tuple[int, float, int, str]:
    """(reports, seconds, max RSS in KiB, parser) of parsing ``path`` in a fresh interpreter
    with the package in ``src``: its compiled console modules when built, or (``plain``) their source."""
    env = {k: v for k, v in os.environ.items() if k != "A64TRIAGE_PURE"} | ({"A64TRIAGE_PURE": "1"} if plain else {})
    out = subprocess.run([sys.executable, "-c", _CHILD, str(src), str(path)], check=True,
                         capture_output=True, text=True, env=env).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]), out[3]


def grep_seconds(path: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["grep", "-c", "Call trace", str(path)], check=False, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return max(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1e-3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=100.0, help="size of each generated log in MiB (default 100)")
    ap.add_argument("--shape", choices=("quiet", "dense", "both"), default="both")
    ap.add_argument("--rss-gb", type=float, default=0.0, help="also parse a quiet log of this many GiB (RSS)")
    ap.add_argument("--baseline", type=Path, metavar="SRC",
                    help="also parse each log with the package in SRC (an earlier commit's src directory)")
    args = ap.parse_args()
    if args.baseline is not None and not (args.baseline / "a64triage" / "console").is_dir():
        print(f"parse_bench: --baseline {args.baseline}: no a64triage/console package there", file=sys.stderr)
        return 2
    shapes = ("quiet", "dense") if args.shape == "both" else (args.shape,)
    rows = [("shape", "size", "code", "parser", "reports", "parse MiB/s", "parse MB/s", "grep -c MiB/s",
             "parse/grep", "max RSS", "x baseline")]
    with tempfile.TemporaryDirectory(prefix="a64triage-bench-") as tmp:
        jobs = [(s, args.mb * (1 << 20), False) for s in shapes]  # (shape, size, the RSS run?)
        if args.rss_gb:
            jobs.append(("quiet", args.rss_gb * (1 << 30), True))
        for shape, want, rss_run in jobs:
            path = Path(tmp) / f"{shape}.log"
            size = build(path, int(want), quiet_chunk() if shape == "quiet" else dense_chunk())
            mib = size / (1 << 20)
            grep = min(grep_seconds(path) for _ in range(2))
            # The compiled parser (what the install builds), then its plain twin on the same file,
            # then the baseline's own build (the RSS run: compiled only).
            runs = [("this", False, ROOT / "src")]
            if not rss_run:
                runs.append(("this", True, ROOT / "src"))
                if args.baseline is not None:
                    runs.append(("baseline", False, args.baseline))
            measured = [(code, *parse_child(path, plain, src)) for code, plain, src in runs]
            base = next((secs for code, _, secs, _, _ in measured if code == "baseline"), None)
            for code, reports, secs, rss, parser in measured:
                rows.append((shape, f"{mib:,.0f} MiB", code, parser, f"{reports:,}", f"{mib / secs:,.1f}",
                             f"{size / secs / 1e6:,.1f}", f"{mib / grep:,.0f}", f"1/{secs / grep:,.0f}",
                             f"{rss / 1024:,.0f} MiB", "" if base is None else f"{base / secs:.2f}x"))
            path.unlink()
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
