#!/usr/bin/env python3
"""The long fuzz campaign: mutated logs and ELF files, the grammar's adversarial shapes,
and a sample of real CLI runs, counting tracebacks, hangs and peak memory.

    .venv/bin/python fuzz/campaign.py                      # the README's figures (~1 h, one core)
    .venv/bin/python fuzz/campaign.py --lines 20000 --elfs 500 --cli 20   # a quick look

Phases (``--phases``, default all):

- ``logs``:   mutated console logs (windows of the test data's real logs, mutated line by
              line: hex runs, numbers, NULs, invalid UTF-8, spliced headers, dropped and
              repeated lines) through parse and explain (log only; one in ten also with
              the clang fixture vmlinux); ``--lines`` counts their lines.
- ``elf``:    mutated ELF files (fuzz/elfmut.py over the clang/GCC fixtures) through
              symbolize, disasm, audit and explain (targets.elf); ``--elfs`` counts files.
- ``shapes``: the grammar's adversarial shapes, in process and through the CLI: hex runs
              of growing length, 100,000 crash headers, a 1 GiB line fed through a pipe by
              a generator, NUL runs, invalid UTF-8, one report of 400,000 lines.
- ``cli``:    ``--cli`` of the mutated logs and ELF files again, through ``python -m
              a64triage`` in a subprocess (exit code, stderr, wall time, peak RSS).

In-process phases run in a worker process (niced to 19, one core, an address-space
ceiling of ``--mem-mb``) with a per-input CPU-time limit (``--timeout``): an exception
other than ``InputError`` is a traceback, a timeout is a hang, and a worker that dies
(a crash in C code, the kernel's OOM killer) is a crash; the worker restarts after the
input that killed it.  Each finding's input is saved under ``--out``/inputs/ and
summary.json holds the counts; the last lines printed are the README's table.
Inputs are a pure function of (``--seed``, phase, index): a finding is replayed with
``--phases P --start I --count 1`` or from its saved input with fuzz/run.py.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

PROGRESS_EVERY = 2.0  # seconds between the worker's progress lines


# --- mutated logs ---------------------------------------------------------------------------

HEADERS = (
    b"Unable to handle kernel paging request at virtual address dead000000000108",
    b"Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008",
    b"Internal error: Oops: 0000000096000004 [#1] PREEMPT SMP",
    b"kernel BUG at mm/slub.c:4321!",
    b"WARNING: CPU: 1 PID: 77 at kernel/fork.c:123 copy_process+0x1c/0x40",
    b"Kernel panic - not syncing: Oops: Fatal exception",
    b"kvm [1]: nVHE hyp panic at: [<ffff800008010190>] __kvm_nvhe_handle_trap+0x4/0xc!",
    b"BUG: KASAN: slab-use-after-free in kfree+0x10/0x20",
    b"Unable to handle kernel execute from non-executable memory at virtual address ffff000008000000",
    b"SError Interrupt on CPU1, code 0x00000000bf000000 -- SError",
    b"BUG: soft lockup - CPU#0 stuck for 22s! [sh:77]",
    b"Call trace:", b"<IRQ>", b"</IRQ>", b"---[ end trace 0000000000000000 ]---", b"Mem abort info:",
    b"FAR: 0x0000000000000010", b"Code: d503201f d503201f (d4210000) d503201f",
    b"pc : lit_user+0xc/0x20", b"lr : entry+0x1c/0x48", b"Modules linked in: test_mod(O)",
)
EDGE_HEX = (b"0", b"ffffffffffffffff", b"10000000000000000", b"dead000000000108", b"ffff800008010150",
            b"8000000000000000", b"-1", b"00000000")
HEXDIGITS = b"0123456789abcdef"


class LogMutator:
    """Windows of real logs, mutated line by line; the kinds are the grammar's soft spots."""

    def __init__(self, logs: list[bytes]) -> None:
        self.logs = [log.split(b"\n") for log in logs if log.strip()]

    def make(self, rng: random.Random) -> list[bytes]:
        src = rng.choice(self.logs)
        n = min(len(src), 8 + int(rng.expovariate(1 / 80)))
        at = rng.randrange(max(1, len(src) - n + 1))
        lines = src[at:at + n]
        for _ in range(1 + int(rng.expovariate(1 / 4))):
            self._mutate(lines, rng)
        return lines

    def _mutate(self, lines: list[bytes], rng: random.Random) -> None:
        if not lines:
            lines.append(rng.choice(HEADERS))
            return
        i = rng.randrange(len(lines))
        line = lines[i]
        kind = rng.randrange(14)
        if kind == 0:  # a byte changed
            if line:
                j = rng.randrange(len(line))
                lines[i] = line[:j] + bytes((rng.randrange(256),)) + line[j + 1:]
        elif kind == 1:  # a hex run grown (the hexdump / address patterns)
            lines[i] = line + b" " + bytes(rng.choice(HEXDIGITS) for _ in range(rng.choice((17, 130, 600))))
        elif kind == 2:  # a number replaced by an edge value
            hexes = [j for j in range(len(line) - 7) if line[j:j + 8].isalnum()]
            if hexes:
                j = rng.choice(hexes)
                lines[i] = line[:j] + rng.choice(EDGE_HEX) + line[j + 8:]
        elif kind == 3:
            del lines[i]
        elif kind == 4:
            lines[i:i] = [line] * rng.choice((2, 3, 50))
        elif kind == 5:  # a header or marker spliced in
            stamp = line[:15] if line.startswith(b"[") else b""
            lines.insert(i, stamp + rng.choice(HEADERS))
        elif kind == 6:  # a line from another log
            lines.insert(i, rng.choice(rng.choice(self.logs)))
        elif kind == 7:  # NULs
            lines.insert(i, b"\0" * rng.choice((1, 3, 4096)))
        elif kind == 8:  # invalid UTF-8
            j = rng.randrange(len(line) + 1)
            lines[i] = line[:j] + rng.choice((b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82")) + line[j:]
        elif kind == 9:  # cut short
            lines[i] = line[:rng.randrange(len(line) + 1)]
        elif kind == 10:  # the timestamp dropped or added
            lines[i] = line.split(b"] ", 1)[-1] if line.startswith(b"[") else b"[    1.000000] " + line
        elif kind == 11:  # two lines swapped
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 12:  # a control character or CR
            j = rng.randrange(len(line) + 1)
            lines[i] = line[:j] + rng.choice((b"\r", b"\x1b[31m", b"\t", b"\x08", b"=\r")) + line[j:]
        else:  # spaces (the hexdump pattern's other arm)
            lines[i] = line + b" " * rng.choice((9, 140, 1000))


# --- the worker (in-process phases) -----------------------------------------------------------

@dataclass
class Tally:
    inputs: int = 0
    lines: int = 0
    clean_errors: int = 0  # InputError: a one-line refusal, counted, not a finding


def _input_rng(seed: int, phase: str, index: int) -> random.Random:
    return random.Random(hashlib.sha256(f"{seed}:{phase}:{index}".encode()).digest())


def _log_inputs(seed: int, start: int) -> Iterator[tuple[int, bytes, Callable[[bytes], None]]]:
    import targets

    mut = LogMutator(list(targets.log_seeds()))

    def both(data: bytes) -> None:
        targets.console(data)
        targets.explain(data)

    def with_elf(data: bytes) -> None:
        both(data)
        targets.explain_elf(data)

    index = start
    while True:
        rng = _input_rng(seed, "logs", index)
        lines = mut.make(rng)
        yield index, b"\n".join(lines) + b"\n", with_elf if index % 10 == 0 else both
        index += 1


def _elf_inputs(seed: int, start: int) -> Iterator[tuple[int, bytes, Callable[[bytes], None]]]:
    import elfmut
    import targets

    mutators = []
    for data in targets.elf_seeds():
        try:
            mutators.append(elfmut.Mutator(data, random.Random(0)))
        except (struct.error, ValueError, KeyError, IndexError):
            continue  # not a well-formed ELF64 seed (the truncated fixture): nothing to aim at
    # linked images reach the symbolizer, DWARF and explain; objects reach disasm and audit:
    # half the inputs each
    images = [m for m in mutators if struct.unpack_from("<H", m.seed, 16)[0] == 2]
    objects = [m for m in mutators if m not in images and len(m.seed) <= 1 << 17]
    # the kvm_nvhe objects (160-220 KB) take an audit 150 ms, ten times the others: one in 50
    large = [m for m in mutators if m not in images and len(m.seed) > 1 << 17] or objects
    index = start
    while True:
        rng = _input_rng(seed, "elf", index)
        m = rng.choice(images if index % 2 == 0 and images else large if index % 50 == 1 else objects)
        m.rng = rng
        yield index, m.mutate(), targets.elf
        index += 1


def worker(args: argparse.Namespace) -> int:
    """Run inputs [start, start+count) of one phase, report as JSON lines on stdout."""
    import known
    import targets

    targets.isolate()
    os.nice(19)
    resource.setrlimit(resource.RLIMIT_AS, (args.mem_mb << 20, args.mem_mb << 20))
    out = Path(args.out)
    progress = os.open(out / f"{args.phase}.at", os.O_RDWR | os.O_CREAT, 0o644)
    from a64triage.errors import InputError

    gen = (_log_inputs if args.phase == "logs" else _elf_inputs)(args.seed, args.start)
    tally = Tally()
    last = time.monotonic()
    found: list[tuple[str, BaseException]] = []

    def emit(doc: dict[str, object]) -> None:
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()

    for index, data, run in gen:
        if index >= args.start + args.count:
            break
        os.pwrite(progress, struct.pack("<Q", index), 0)
        found.clear()
        guarded = known.guarded(lambda d, run=run: _clean_run(run, d, tally, InputError), args.timeout,
                                lambda k, exc: found.append((k.defect, exc)))
        try:
            guarded(data)
        except known.Hang as exc:
            found.append(("", exc))
        except Exception as exc:
            found.append(("", exc))
        for defect, exc in found:
            kind = "hang" if isinstance(exc, known.Hang) else "traceback"
            emit({"finding": kind, "index": index, "signature": known.signature(exc), "known": defect,
                  "input": _save(out, args.phase, data)})
        tally.inputs += 1
        tally.clean_errors = targets.REFUSALS[0]
        tally.lines += data.count(b"\n") if args.phase == "logs" else 0
        now = time.monotonic()
        if now - last > PROGRESS_EVERY:
            last = now
            emit({"progress": index + 1, **tally.__dict__, "rss_mb": _rss_mb()})
    emit({"end": args.start + tally.inputs, **tally.__dict__, "rss_mb": _rss_mb()})
    return 0


def _clean_run(run: Callable[[bytes], None], data: bytes, tally: Tally, clean: type[Exception]) -> None:
    import targets

    try:
        run(data)
    except clean:
        targets.REFUSALS[0] += 1


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save(out: Path, phase: str, data: bytes) -> str:
    path = out / "inputs" / phase / hashlib.sha1(data).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path.relative_to(out))


# --- the parent -------------------------------------------------------------------------------

@dataclass
class PhaseResult:
    phase: str
    inputs: int = 0
    lines: int = 0
    clean_errors: int = 0
    tracebacks: int = 0
    hangs: int = 0
    crashes: int = 0  # the worker process died
    stopped: bool = False  # --max-minutes ran out before the count
    peak_rss_mb: float = 0.0
    seconds: float = 0.0
    signatures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, signature: str, example: str) -> None:
        if kind == "hang":
            self.hangs += 1
        elif kind == "crash":
            self.crashes += 1
        else:
            self.tracebacks += 1
        self.signatures[f"{kind}: {signature}"] += 1
        self.examples.setdefault(f"{kind}: {signature}", example)


def run_phase(args: argparse.Namespace, phase: str, count: int) -> PhaseResult:
    """The phase's worker, restarted after any input that kills it, until ``count`` inputs."""
    res = PhaseResult(phase)
    start, end = args.start, args.start + count
    t0 = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="a64triage-campaign-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        _run_workers(args, phase, res, start, end, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    res.seconds = time.monotonic() - t0
    return res


def _run_workers(args: argparse.Namespace, phase: str, res: PhaseResult, start: int, end: int,
                 scratch: str) -> None:
    out = Path(args.out)
    t0 = time.monotonic()
    base_lines = base_clean = 0
    while start < end:
        cmd = [sys.executable, __file__, "--worker", phase, "--start", str(start), "--count", str(end - start),
               "--seed", str(args.seed), "--out", str(out), "--timeout", str(args.timeout),
               "--mem-mb", str(args.mem_mb)]
        env = {**os.environ, "A64TRIAGE_FUZZ_SCRATCH": scratch}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        finished = False
        for line in proc.stdout:
            doc = json.loads(line)
            if "finding" in doc:
                sig = doc["signature"] + (f" [known {doc['known']}]" if doc["known"] else "")
                res.add(doc["finding"], sig, doc["input"])
            else:
                res.inputs = doc.get("end", doc.get("progress", 0)) - args.start
                res.lines, res.clean_errors = base_lines + doc["lines"], base_clean + doc["clean_errors"]
                res.peak_rss_mb = max(res.peak_rss_mb, doc["rss_mb"])
                finished = "end" in doc
                _status(res, t0)
                if args.max_minutes and time.monotonic() - t0 > args.max_minutes * 60 and not finished:
                    proc.terminate()  # out of time: the figures say how far it got
                    res.stopped = True
                    break
        rc = proc.wait()
        if finished or res.stopped:
            break
        # the worker died: the input it was on killed it
        with open(out / f"{phase}.at", "rb") as fh:
            at = struct.unpack("<Q", fh.read(8))[0]
        data = next(d for i, d, _ in (_log_inputs if phase == "logs" else _elf_inputs)(args.seed, at))
        res.add("crash", f"worker died (exit {rc})", _save(out, phase, data))
        base_lines, base_clean = res.lines, res.clean_errors
        start = at + 1
        res.inputs = start - args.start


def _status(res: PhaseResult, t0: float) -> None:
    rate = res.inputs / max(time.monotonic() - t0, 1e-9)
    print(f"\r{res.phase}: {res.inputs} inputs, {res.lines} lines, {res.tracebacks} tracebacks, "
          f"{res.hangs} hangs, {res.crashes} crashes, {rate:.0f}/s, RSS {res.peak_rss_mb:.0f} MB  ",
          end="", file=sys.stderr, flush=True)


# --- CLI runs: the adversarial shapes and a sample of the mutated inputs ------------------------

@dataclass(frozen=True)
class CliRun:
    argv: tuple[str, ...]
    rc: int | None  # None: killed by the hang guard
    err: str
    seconds: float
    peak_mb: float
    out_path: Path

    @property
    def out(self) -> str:
        return self.out_path.read_text("utf-8", "replace")

    def count(self, needle: bytes) -> int:
        """Occurrences in stdout, read in chunks (100,000 reports of JSON are hundreds of MB)."""
        n, tail = 0, b""
        with open(self.out_path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                n += (tail + chunk).count(needle)
                tail = chunk[-(len(needle) - 1):]
        return n


def cli(argv: list[str], cwd: Path, *, feed: Iterator[bytes] | None = None, timeout: float = 300,
        mem_mb: int = 2048, nice: bool = True) -> CliRun:
    """One ``python -m a64triage`` run in ``cwd`` (stdout to cwd/cli.out), with a memory
    ceiling (a runaway input fails fast instead of taking the machine's memory), a
    wall-clock hang guard and a private symbol-index cache; ``feed``: chunks written to
    its stdin (a generator: the 1 GiB line is never held here)."""
    def limit() -> None:
        if nice:
            os.nice(19)
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))

    env = {**os.environ, "A64TRIAGE_CACHE": str(cwd / "cache"), "NO_COLOR": "1"}
    with open(cwd / "cli.out", "wb") as out, open(cwd / "cli.err", "wb") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "a64triage", *argv], cwd=cwd, env=env,
                                stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
                                stdout=out, stderr=err, preexec_fn=limit)
        if feed is not None:
            assert proc.stdin is not None
            try:
                for chunk in feed:
                    if time.monotonic() - t0 > timeout:
                        break
                    proc.stdin.write(chunk)
            except BrokenPipeError:
                pass  # it stopped reading: what it does then is what is judged
            finally:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.close()
        rc: int | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                rc = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - t0 > timeout:
                proc.kill()
                _, _, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        proc.returncode = rc if rc is not None else -9
    return CliRun(tuple(argv), rc, (cwd / "cli.err").read_text("utf-8", "replace"),
                  time.monotonic() - t0, usage.ru_maxrss / 1024, cwd / "cli.out")


def judge(run: CliRun) -> str | None:
    """None when clean: exit 0/1/2, at most one non-warning line on stderr, no traceback."""
    if run.rc is None:
        return f"hang: no exit after {run.seconds:.0f} s"
    if "Traceback" in run.err:
        import known

        sig, row = known.from_stderr(run.err)
        return f"traceback: {sig}" + (f" [known {row.defect}]" if row else "")
    if run.rc not in (0, 1, 2):
        return f"exit {run.rc}"
    errors = [ln for ln in run.err.splitlines() if not ln.startswith("a64triage: warning:")]
    if len(errors) > 1:
        return f"{len(errors)} lines on stderr"
    return None


def _gib_line(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    piece = b"a" * chunk
    for _ in range(total // chunk):
        yield piece
    yield b"\n"


def shapes(args: argparse.Namespace) -> PhaseResult:
    res = PhaseResult("shapes")
    work = Path(args.out) / "shapes"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    oops = "Unable to handle kernel paging request at virtual address 0000000000000008\n"
    files: list[tuple[str, bytes]] = []
    for n in (64, 256, 1024, 4096, 65536):
        files.append((f"hexdump-{n}", f"[    0.000000] {oops}".encode()
                      + b"".join(b"[    1.000000] 0000: " + b"a" * n + b"\n" for _ in range(20))))
        files.append((f"spaces-{n}", f"[    0.000000] {oops}".encode()
                      + b"".join(b"[    1.000000] 0000: " + b" " * n + b"x\n" for _ in range(20))))
        files.append((f"address-{n}", f"{oops[:-17]}{'f' * n}\n".encode()))
    files.append(("headers-100k", oops.encode() * args.headers))
    files.append(("one-report-400k-lines", oops.encode() + b"Call trace:\n" * 400_000))
    files.append(("nul-runs", (oops.encode() + b"\0" * 65536 + b"\n") * 64 + b"\0" * (1 << 20)))
    files.append(("invalid-utf8", b"".join(bytes(random.Random(i).randrange(128, 256) for _ in range(200)) + b"\n"
                                           for i in range(2000)) + oops.encode()))
    files.append(("crlf-and-cr", oops.replace("\n", "\r\n").encode() * 1000 + b"\r" * 100000))
    for name, data in files:
        path = work / name
        path.write_bytes(data)
        big = len(data) > 1 << 20  # 100,000 reports take explain minutes at nice 19: a longer guard
        for argv in (["parse", "--json", str(path)], ["explain", "--format", "json", str(path)]):
            _record(res, cli(argv, work, timeout=args.cli_timeout * (4 if big else 1), mem_mb=args.mem_mb), name)
        res.lines += data.count(b"\n")
    for argv in (["parse", "-"], ["explain", "-"]):  # 1 GiB in one line, through a pipe
        _record(res, cli(argv, work, feed=_gib_line(args.gib << 30), timeout=args.cli_timeout * 4,
                         mem_mb=args.mem_mb), "1-GiB-line")
    res.seconds = time.monotonic() - t0
    return res


def _record(res: PhaseResult, run: CliRun, name: str) -> None:
    res.inputs += 1
    res.peak_rss_mb = max(res.peak_rss_mb, run.peak_mb)
    verdict = judge(run)
    print(f"\rshapes: {name} {run.argv[0]}: exit {run.rc}, {run.seconds:.1f} s, {run.peak_mb:.0f} MB"
          f"{' -- ' + verdict if verdict else ''}", file=sys.stderr, flush=True)
    if run.rc == 2:
        res.clean_errors += 1
    if verdict is not None:
        kind = verdict.split(":")[0] if verdict.startswith(("hang", "traceback")) else "traceback"
        res.add(kind, f"{run.argv[0]} {name}: {verdict}", name)


def cli_sample(args: argparse.Namespace) -> PhaseResult:
    """Mutated logs and ELF files through the real command line (what a user runs)."""
    res = PhaseResult("cli")
    work = Path(args.out) / "cli"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    import targets

    elf = str(targets.FIXTURE_ELF)
    log = str(targets.FIXTURE_LOG)
    logs = _log_inputs(args.seed, 10**9)  # indexes the in-process phase did not use
    elfs = _elf_inputs(args.seed, 10**9)
    for _ in range(args.cli):
        _, data, _ = next(logs)
        path = work / "input.log"
        path.write_bytes(data)
        runs = [["parse", str(path)], ["explain", str(path)], ["explain", "--format", "json", "--vmlinux", elf,
                                                               str(path)]]
        _, blob, _ = next(elfs)
        epath = work / "input.elf"
        epath.write_bytes(blob)
        runs += [["symbolize", "--vmlinux", str(epath), log], ["explain", "--vmlinux", str(epath), log],
                 ["disasm", "--vmlinux", str(epath), "entry"], ["disasm", "--object", str(epath), "0x0"],
                 ["audit", str(epath)]]
        for argv in runs:
            run = cli(argv, work, timeout=args.cli_timeout, mem_mb=args.mem_mb)
            res.inputs += 1
            res.peak_rss_mb = max(res.peak_rss_mb, run.peak_mb)
            res.clean_errors += run.rc == 2
            verdict = judge(run)
            if verdict is not None:
                kind = "hang" if verdict.startswith("hang") else "traceback"
                saved = _save(Path(args.out), "cli", data if argv[0] in ("parse",) or "--format" in argv else blob)
                res.add(kind, f"{argv[0]}: {verdict}", saved)
        _status(res, t0)
    res.seconds = time.monotonic() - t0
    return res


# --- main -----------------------------------------------------------------------------------

def table(results: list[PhaseResult], commit: str) -> str:
    rows = ["| phase | inputs | log lines | clean refusals (exit 2 / InputError) | tracebacks | hangs | "
            "crashes | peak RSS | time |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rows.append(f"| {r.phase}{' (stopped by --max-minutes)' if r.stopped else ''} | {r.inputs:,} | {r.lines:,} | {r.clean_errors:,} | {r.tracebacks} | {r.hangs} | "
                    f"{r.crashes} | {r.peak_rss_mb:.0f} MB | {r.seconds / 60:.1f} min |")
    sigs = [f"- {n} x {s} (e.g. {r.examples[s]})" for r in results for s, n in r.signatures.most_common()]
    return "\n".join([f"campaign on {commit}:", *rows, *(["", "findings:", *sigs] if sigs else [])])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phases", default="logs,elf,shapes,cli", help="comma-separated: logs, elf, shapes, cli")
    ap.add_argument("--lines", type=int, default=1_000_000, help="mutated log lines (default 1,000,000)")
    ap.add_argument("--elfs", type=int, default=100_000, help="mutated ELF files (default 100,000)")
    ap.add_argument("--cli", type=int, default=60, help="mutated log + ELF pairs run through the CLI (8 runs each)")
    ap.add_argument("--headers", type=int, default=100_000, help="crash headers in the many-reports shape")
    ap.add_argument("--gib", type=int, default=1, help="GiB in the one-line shape")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--max-minutes", type=float, default=0, help="stop an in-process phase after this long")
    ap.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per in-process input")
    ap.add_argument("--cli-timeout", type=float, default=60.0, help="wall seconds per CLI run (x4 for the 1 GiB line)")
    ap.add_argument("--mem-mb", type=int, default=3072, help="address-space ceiling of every process")
    ap.add_argument("--out", default=str(HERE / "crashes" / "campaign"), help="findings and summary.json")
    ap.add_argument("--start", type=int, default=0, help="first input index (replaying a finding)")
    ap.add_argument("--count", type=int, default=0, help="inputs for the in-process phases (overrides sizes)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.worker:
        args.phase = args.worker
        return worker(args)
    os.nice(19)
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                            text=True, check=False).stdout.strip() or "?"
    results = []
    for phase in args.phases.split(","):
        if phase == "logs":
            # a log input has ~80 lines on average: run until --lines lines went through
            res = _lines_phase(args)
        elif phase == "elf":
            res = run_phase(args, "elf", args.count or args.elfs)
        elif phase == "shapes":
            res = shapes(args)
        elif phase == "cli":
            res = cli_sample(args)
        else:
            ap.error(f"no phase {phase!r}")
        print(file=sys.stderr)
        results.append(res)
    summary = {"commit": commit, "seed": args.seed, "phases": [
        {**{k: v for k, v in r.__dict__.items() if k not in ("signatures", "examples")},
         "findings": dict(r.signatures), "examples": r.examples} for r in results]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(table(results, commit))
    return 1 if any(r.tracebacks or r.hangs or r.crashes for r in results) else 0


def _lines_phase(args: argparse.Namespace) -> PhaseResult:
    """Chunks of inputs until the line count is reached (lines per input vary)."""
    if args.count:
        return run_phase(args, "logs", args.count)
    total: PhaseResult | None = None
    start = args.start
    while total is None or (total.lines < args.lines and not total.stopped):
        need = args.lines - (total.lines if total else 0)
        per_input = total.lines / total.inputs if total and total.inputs else 50.0
        chunk = max(50, int(need / per_input * 1.02))  # a first guess, then top-ups at the measured rate
        args.start = start
        res = run_phase(args, "logs", chunk)
        start += res.inputs
        if total is None:
            total = res
        else:
            for k in ("inputs", "lines", "clean_errors", "tracebacks", "hangs", "crashes", "seconds"):
                setattr(total, k, getattr(total, k) + getattr(res, k))
            total.peak_rss_mb = max(total.peak_rss_mb, res.peak_rss_mb)
            total.stopped = res.stopped
            total.signatures.update(res.signatures)
            for k, v in res.examples.items():
                total.examples.setdefault(k, v)
    return total


if __name__ == "__main__":
    sys.exit(main())
