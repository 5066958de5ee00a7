"""`a64triage batch` throughput, scaling, Dask overhead and memory on a generated corpus.

    .venv/bin/python bench/batch_bench.py [--logs 10000] [--vmlinux V] [--sym-logs 2000] [--no-dask]

The corpus (under a temporary directory, never committed) is the project's real logs —
the 45 QEMU/LKDTM logs (tests/data/e2e), the public console logs (tests/data/console) and
syzkaller's report corpus (tests/data/syzkaller/report, the log part) — repeated with every
printk timestamp shifted by the copy number, so each copy has its own content hash, until
it holds --logs logs.  Each figure is one run of the real command in a child process:

- logs/s per core without symbols: ``-j 1``, wall clock, and logs per CPU-second (user+sys
  of the client and its workers: the figure that holds when other work shares the cores);
- the same with one vmlinux (``--vmlinux``, default: the Debian -dbg vmlinux the e2e suite
  caches) on the first --sym-logs logs, and with ``--kernel-release auto --offline`` (each
  log's own build looked up in the cache: found for the QEMU logs, not for the others);
- speed-up from 1 to 2 local workers (wall clock; CPU time shows whether the cores were free);
- Dask: a ``dask scheduler`` and two ``dask worker`` processes (1 thread each) on 127.0.0.1,
  the same job with ``--scheduler``, against the local pool with 2 workers;
- peak RSS (largest process: the client, or a worker) for a corpus of --logs/10 and --logs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DASK = str(Path(PY).with_name("dask"))
_STAMP = re.compile(r"\[\s*(\d{1,6})\.(\d{6})\]")


def base_logs() -> list[bytes]:
    logs = [p.read_bytes() for p in sorted((ROOT / "tests" / "data" / "e2e").glob("*.log"))]
    logs += [p.read_bytes() for p in sorted((ROOT / "tests" / "data" / "console").glob("*.log"))]
    syz = ROOT / "tests" / "data" / "syzkaller" / "report"
    for p in sorted(syz.iterdir()) if syz.is_dir() else []:
        body = p.read_bytes().replace(b"\r", b"").partition(b"\n\n")[2].partition(b"\nREPORT:\n")[0]
        if body.strip():
            logs.append(body + b"\n")
    return logs


def make_corpus(dest: Path, n: int, logs: list[bytes]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        copy, base = divmod(i, len(logs))
        text = logs[base].decode("utf-8", "replace")
        if copy:
            text = _STAMP.sub(lambda m, k=copy: f"[{int(m.group(1)) + k:5d}.{m.group(2)}]", text)
            text = text if text != logs[base].decode("utf-8", "replace") else f"copy {copy}\n{text}"
        sub = dest / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        (sub / f"log{i:06d}.log").write_text(text, encoding="utf-8")
    return dest


@dataclass
class Run:
    seconds: float
    cpu: float
    peak_mb: float
    inputs: int


def run_batch(corpus: Path, out: Path, *extra: str) -> Run:
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    proc = subprocess.Popen([PY, "-m", "a64triage", "batch", str(corpus), "--out", str(out), "--progress", "never",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    stdout = proc.stdout.read() if proc.stdout else ""
    stderr = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"batch failed: {stderr.strip()}")
    m = re.search(r"(\d+) input\(s\)", stdout)
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, int(m.group(1)) if m else 0)


class Cluster:
    """A local Dask scheduler and two single-threaded workers (stopped by close())."""

    def __init__(self, tmp: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{port}"
        log = open(tmp / "dask.log", "w")  # noqa: SIM115 - closed in close()
        self.log = log
        self.procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                        "--dashboard-address", ":0"], stdout=log, stderr=log)]
        for i in range(2):
            self.procs.append(subprocess.Popen([DASK, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                                                "--dashboard-address", ":0", "--local-directory", str(tmp / f"w{i}")],
                                               stdout=log, stderr=log))
        from distributed import Client

        client = Client(self.address, timeout="60s")
        client.wait_for_workers(2, timeout=120)
        client.close()

    def cpu(self) -> float:
        """CPU seconds the scheduler and workers used so far (from /proc)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for p in self.procs:
            for pid in [p.pid, *_children(p.pid)]:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / tick
                except (OSError, IndexError, ValueError):
                    pass
        return total

    def close(self) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.log.close()


def _children(pid: int) -> list[int]:
    """Every descendant (a dask worker's Nanny starts the Worker through a forkserver)."""
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [d for k in kids for d in (k, *_children(k))]


def default_vmlinux() -> str | None:
    out = subprocess.run([PY, str(ROOT / "scripts" / "e2e" / "prepare.py"), "--print-paths"], capture_output=True,
                         text=True, check=False).stdout
    m = re.search(r"^vmlinux=(.+)$", out, re.M)
    return m.group(1) if m and os.path.isfile(m.group(1)) else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logs", type=int, default=10000)
    ap.add_argument("--sym-logs", type=int, default=2000)
    ap.add_argument("--vmlinux", default=None)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="a64triage-batch-bench-"))
    root = args.keep or tmp
    try:
        logs = base_logs()
        small = make_corpus(root / "small", max(1, args.logs // 10), logs)
        big = make_corpus(root / "big", args.logs, logs)
        size = sum(f.stat().st_size for f in big.rglob("*.log")) / 1e6
        print(f"corpus: {args.logs} logs ({size:.0f} MB) from {len(logs)} real logs; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        one = run_batch(big, tmp / "o1", "-j", "1")
        print(f"1 worker, no symbols: {one.inputs / one.seconds:7.0f} logs/s wall, "
              f"{one.inputs / one.cpu:7.0f} logs per CPU-second ({one.seconds:.1f} s, peak {one.peak_mb:.0f} MB)")
        two = run_batch(big, tmp / "o2", "-j", "2")
        print(f"2 workers, no symbols: {two.inputs / two.seconds:6.0f} logs/s wall, speed-up {one.seconds / two.seconds:.2f}x "
              f"(CPU {two.cpu:.1f} s vs {one.cpu:.1f} s; peak {two.peak_mb:.0f} MB)")
        tenth = run_batch(small, tmp / "o3", "-j", "2")
        print(f"peak RSS, 2 workers: {tenth.peak_mb:.0f} MB for {tenth.inputs} logs, {two.peak_mb:.0f} MB for "
              f"{two.inputs} logs ({two.peak_mb / tenth.peak_mb:.2f}x for 10x the logs)")
        vmlinux = args.vmlinux or default_vmlinux()
        if vmlinux:
            sub = make_corpus(root / "sym", args.sym_logs, logs)
            sym = run_batch(sub, tmp / "o4", "-j", "1", "--vmlinux", vmlinux)
            print(f"1 worker, --vmlinux {Path(vmlinux).name}: {sym.inputs / sym.seconds:.0f} logs/s wall, "
                  f"{sym.inputs / sym.cpu:.0f} logs per CPU-second ({sym.inputs} logs, peak {sym.peak_mb:.0f} MB)")
            auto = run_batch(sub, tmp / "o6", "-j", "1", "--kernel-release", "auto", "--offline")
            print(f"1 worker, --kernel-release auto --offline (each log's build, from the cache): "
                  f"{auto.inputs / auto.seconds:.0f} logs/s wall, {auto.inputs / auto.cpu:.0f} logs per CPU-second")
        else:
            print("no vmlinux (run scripts/e2e/prepare.py or give --vmlinux): skipped the symbols figure")
        if not args.no_dask:
            cluster = Cluster(tmp)
            try:
                before = cluster.cpu()
                dask = run_batch(big, tmp / "o5", "--scheduler", cluster.address)
                cpu = dask.cpu + cluster.cpu() - before
            finally:
                cluster.close()
            print(f"Dask, 2 workers: {dask.inputs / dask.seconds:.0f} logs/s wall: {dask.seconds / two.seconds:.2f}x the "
                  f"local pool's time, {cpu / two.cpu:.2f}x its CPU ({cpu:.1f} s vs {two.cpu:.1f} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"(max RSS of this bench process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
