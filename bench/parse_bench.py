"""Parse throughput and peak memory on a large log made of the golden corpus.

    .venv/bin/python bench/parse_bench.py [--mb 200] [--keep PATH]

Concatenates tests/data/console/*.log (bodies) until the file reaches --mb
megabytes, writes it to a temporary file, then streams it through
``a64triage.console.parse_file`` twice: once for wall-clock throughput, once
under tracemalloc for the peak of Python allocations (flat memory = the peak
does not grow with the file).  Also reports the process's max RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from a64triage.console import parse_file  # noqa: E402

DATA = ROOT / "tests" / "data" / "console"


def corpus_chunk() -> bytes:
    bodies = []
    for path in sorted(DATA.glob("*.log")):
        raw = path.read_bytes()
        bodies.append(raw.partition(b"\n\n")[2])
    return b"\n".join(bodies) + b"\n"


def build(path: Path, megabytes: float) -> int:
    chunk = corpus_chunk()
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=200.0, help="size of the generated log (default 200)")
    ap.add_argument("--traced-mb", type=float, default=20.0,
                    help="size of the prefix parsed under tracemalloc (slow; default 20)")
    ap.add_argument("--keep", type=Path, help="write the generated log here and keep it")
    args = ap.parse_args()

    tmpdir = tempfile.TemporaryDirectory(prefix="a64triage-bench-")
    try:
        big = args.keep or Path(tmpdir.name) / "big.log"
        size = build(big, args.mb)
        small = Path(tmpdir.name) / "traced.log"
        small_size = build(small, min(args.traced_mb, args.mb))

        elapsed, reports, _ = run(big, traced=False)
        _, small_reports, peak = run(small, traced=True)
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        rows = [
            ("input", f"{size / (1 << 20):.1f} MiB ({size:,} bytes)"),
            ("reports found", f"{reports:,}"),
            ("wall time", f"{elapsed:.2f} s"),
            ("throughput", f"{size / (1 << 20) / elapsed:.2f} MiB/s"),
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
