"""`a64triage batch INPUT... --out DIR`: triage a corpus of crash logs into groups.

Inputs are files, directory trees, tar/zip archives and JSON Lines
(``triage/inputs.py``); each log is parsed and explained by a worker — a local
process pool on every core by default, or a Dask cluster with
``--scheduler tcp://HOST:PORT`` — and the client folds the reports into groups
as they come back (``triage/outputs.py``).  Nothing is held per report: a
report is written when it is done.  Ctrl-C stops submitting, waits for
nothing, and still writes groups.jsonl and the index from what is done;
``--resume`` goes on from there.  File formats: docs/BATCH.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

from a64triage.commands import symargs
from a64triage.commands.argtypes import bounded
from a64triage.errors import InputError
from a64triage.symbols.sources import SymbolRequest
from a64triage.triage.groups import read_known
from a64triage.triage.inputs import DEFAULT_MAX_BYTES, Item, Problem, walk
from a64triage.triage.outputs import Finished, OutputDir, write_atomic
from a64triage.triage.worker import example_pages, triage_inputs

TOP_GROUPS = 10
IN_FLIGHT_PER_WORKER = 2  # tasks queued per worker
CHUNK_INPUTS = 16  # inputs per task ...
CHUNK_BYTES = 1 << 20  # ... or fewer, once they hold a MiB
EXAMPLES_PER_TASK = 8  # a page costs a few logs' explanations


MAX_JOBS = 4096
MAX_INPUT_BYTES = 1 << 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="log file, directory (recursive), .tar/.tar.gz/.tar.xz/.zip archive, "
                             "or .jsonl with a 'log' field per line")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created)")
    parser.add_argument("--known", metavar="GROUPS", help="groups.jsonl of an earlier run: mark groups new or known")
    parser.add_argument("--resume", action="store_true", help="go on with DIR: skip inputs already done (content hash)")
    parser.add_argument("--jobs", "-j", type=bounded(1, MAX_JOBS), default=None,
                        help="local worker processes (default: every core)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed scheduler")
    parser.add_argument("--max-bytes", type=bounded(1, MAX_INPUT_BYTES), default=DEFAULT_MAX_BYTES,
                        help=f"larger inputs are listed in errors.jsonl (default: {DEFAULT_MAX_BYTES})")
    parser.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                        help="progress bar on stderr (auto: when stderr is a terminal)")
    # each log's own build is looked up on the worker (paths: the same on every worker)
    symargs.add_arguments(parser)


# --- engines: where triage_input runs ------------------------------------------------------


@dataclass
class Job:
    index: int
    item: Item
    sha: str
    attempts: int = 0


class Engine(Protocol):
    workers: int

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def wait_one(self, handles: set[Any]) -> tuple[set[Any], set[Any]]: ...

    def outcome(self, handle: Any) -> tuple[Any, str | None]:
        """(result, None) or (None, why the worker failed)."""
        ...

    def restart(self) -> None: ...

    def close(self) -> None: ...


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client decides what Ctrl-C does


class LocalEngine:
    """A process pool on this machine; a worker that dies breaks the pool, which is rebuilt."""

    def __init__(self, jobs: int | None) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = jobs or len(os.sched_getaffinity(0))
        self._context = multiprocessing.get_context("fork")
        self._executor = ProcessPoolExecutor
        self.pool = self._make()

    def _make(self) -> Any:
        return self._executor(self.workers, mp_context=self._context, initializer=_ignore_sigint)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.pool.submit(fn, *args)

    def wait_one(self, handles: set[Any]) -> tuple[set[Any], set[Any]]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, pending = wait(handles, timeout=0.5, return_when=FIRST_COMPLETED)
        return set(done), set(pending)

    def outcome(self, handle: Any) -> tuple[Any, str | None]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result(), None
        except BrokenProcessPool:
            return None, "the worker process died"

    def restart(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._make()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """A Dask distributed cluster: the client submits, results stream back as they finish."""

    def __init__(self, address: str) -> None:
        try:
            self.dask: Any = importlib.import_module("distributed")  # optional: the [dask] extra
        except ImportError:
            raise InputError("--scheduler", "needs the 'distributed' package (pip install a64triage[dask])") from None
        try:
            self.client = self.dask.Client(address, timeout="5s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise InputError(address, f"cannot reach the Dask scheduler: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_one(self, handles: set[Any]) -> tuple[set[Any], set[Any]]:
        try:
            res = self.dask.wait(list(handles), timeout=0.5, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished yet: let the caller check for Ctrl-C
            return set(), handles
        return set(res.done), set(res.not_done)

    def outcome(self, handle: Any) -> tuple[Any, str | None]:
        try:
            return handle.result(), None
        except Exception as exc:  # KilledWorker, CommClosedError ...: the input is retried once
            return None, f"the Dask worker failed: {type(exc).__name__}"

    def restart(self) -> None:
        return None  # the scheduler reschedules on the surviving workers

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)


# --- the run --------------------------------------------------------------------------------


class _Stop:
    """Ctrl-C: the first stops submitting and finishes the outputs, the second aborts."""

    def __init__(self) -> None:
        self.requested = False
        self.previous = signal.signal(signal.SIGINT, self._handler)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def restore(self) -> None:
        signal.signal(signal.SIGINT, self.previous)


def _progress(choice: str) -> Any:
    if choice == "never" or (choice == "auto" and not sys.stderr.isatty()):
        return None
    tqdm: Any = importlib.import_module("tqdm").tqdm
    tqdm.monitor_interval = 0  # no monitor thread (the pool forks)
    return tqdm(unit="log", file=sys.stderr, dynamic_ncols=True)


def _items(args: argparse.Namespace, out: OutputDir) -> Iterator[Job | Problem]:
    """Inputs to submit: each content once (an earlier run's, or a copy met earlier in this one)."""
    sent: set[bytes] = set()
    for index, entry in enumerate(walk(args.inputs, args.max_bytes)):
        if isinstance(entry, Problem):
            yield entry
            continue
        sha = entry.sha256
        if sha in out.done or bytes.fromhex(sha) in sent:
            continue
        sent.add(bytes.fromhex(sha))
        yield Job(index, entry, sha)


def run(args: argparse.Namespace) -> int:
    symbols = symargs.request(args)
    if symbols.modules and not symbols.may_look():
        raise InputError("--modules", "needs a vmlinux: --vmlinux, --kernel-release, --build-id or --debug-dir")
    known: tuple[set[str], set[str]] | None = None
    if args.known is not None:
        try:
            known = read_known(args.known)
        except OSError as exc:
            raise InputError(args.known, exc.strerror or "cannot read") from None
    engine: LocalEngine | DaskEngine = DaskEngine(args.scheduler) if args.scheduler else LocalEngine(args.jobs)
    out = OutputDir(args.out, resume=args.resume)
    stop = _Stop()
    bar = _progress(args.progress)
    try:
        _drive(engine, out, symbols, _items(args, out), stop, bar)
        _examples(engine, out, symbols, stop)
    finally:
        stop.restore()
        if bar is not None:
            bar.close()
        engine.close()
    summary = _summary(out, known, interrupted=stop.requested)
    out.finish(summary.splitlines()[0], known[0] if known else None)
    sys.stdout.write(summary)
    return 130 if stop.requested else 0


def _chunk(jobs: Iterator[Job | Problem], out: OutputDir) -> list[Job] | None:
    """The next few inputs, sent as one task (a task costs the scheduler and the pipes
    about as much as a small log's explanation); problems met on the way are recorded."""
    chunk: list[Job] = []
    size = 0
    while len(chunk) < CHUNK_INPUTS and size < CHUNK_BYTES:
        nxt = next(jobs, None)
        if nxt is None:
            break
        if isinstance(nxt, Problem):
            out.add_error(nxt)
            continue
        chunk.append(nxt)
        size += len(nxt.item.data)
    return chunk or None


def _submit(engine: Engine, chunk: list[Job], symbols: SymbolRequest) -> Any:
    return engine.submit(triage_inputs, [(j.index, j.item.name, j.item.data, j.sha) for j in chunk], symbols)


def _drive(engine: Engine, out: OutputDir, symbols: SymbolRequest, jobs: Iterator[Job | Problem],
           stop: _Stop, bar: Any) -> None:
    """Keep the workers busy with a bounded number of inputs in flight; write each result.

    A task that fails (its worker died) sends each of its inputs back alone, one at a
    time: an input that fails alone twice is recorded as failed; the others go on."""
    limit = engine.workers * IN_FLIGHT_PER_WORKER
    running: dict[Any, list[Job]] = {}
    retry: list[Job] = []
    exhausted = False
    while not stop.requested:
        while not exhausted and not retry and len(running) < limit:
            chunk = _chunk(jobs, out)
            if chunk is None:
                exhausted = True
            else:
                running[_submit(engine, chunk, symbols)] = chunk
        if retry and not running:
            job = retry.pop()
            running[_submit(engine, [job], symbols)] = [job]
        if not running:
            break
        done, _ = engine.wait_one(set(running))
        broken = False
        for handle in done:
            chunk = running.pop(handle)
            results, failure = engine.outcome(handle)
            if failure is not None:
                broken = True
                for job in chunk:
                    job.attempts += 1
                    if job.attempts >= 2 and len(chunk) == 1:
                        out.add_error(Problem(job.item.name, f"{failure} twice on this input", "worker"),
                                      job.index, job.sha)
                    else:
                        retry.append(job)
                continue
            out.add_finished([Finished(job.index, job.item.name, job.sha, job.item.data, result)
                              for job, result in zip(chunk, results, strict=True)])
            if bar is not None:
                bar.update(len(chunk))
        if broken and isinstance(engine, LocalEngine):
            for chunk in running.values():  # every input in flight is lost with the pool
                retry.extend(chunk)
            running.clear()
            engine.restart()


def _examples(engine: Engine, out: OutputDir, symbols: SymbolRequest, stop: _Stop) -> None:
    """The full explain page of each group's example, rendered by the workers, a few
    examples per task (most reports first, so Ctrl-C keeps the pages that matter)."""
    pending: dict[Any, list[str]] = {}
    seen: set[str] = set()
    task: list[tuple[str, bytes]] = []
    pages: list[str] = []
    size = 0
    for g in out.table.by_count():
        sha = g.example_sha256
        log, page = out.example_paths(sha)
        if sha in seen or stop.requested or not os.path.exists(out.file(log)) or os.path.exists(out.file(page)):
            continue
        seen.add(sha)
        with open(out.file(log), "rb") as fh:
            task.append((g.first[1], fh.read()))
        pages.append(page)
        size += len(task[-1][1])
        if len(task) >= EXAMPLES_PER_TASK or size >= CHUNK_BYTES:
            pending[engine.submit(example_pages, task, symbols)] = pages
            task, pages, size = [], [], 0
        while len(pending) >= engine.workers * IN_FLIGHT_PER_WORKER and not stop.requested:
            _write_pages(engine, out, pending)
    if task and not stop.requested:
        pending[engine.submit(example_pages, task, symbols)] = pages
    while pending and not stop.requested:
        _write_pages(engine, out, pending)


def _write_pages(engine: Engine, out: OutputDir, pending: dict[Any, list[str]]) -> None:
    done, _ = engine.wait_one(set(pending))
    for handle in done:
        pages = pending.pop(handle)
        texts, failure = engine.outcome(handle)
        if failure is not None:
            continue
        for page, text in zip(pages, texts, strict=True):
            if text is not None:
                write_atomic(out.file(page), text)


def _summary(out: OutputDir, known: tuple[set[str], set[str]] | None, *, interrupted: bool) -> str:
    table = out.table
    clusters = len({g.cluster for g in table.groups.values()})
    head = (f"a64triage batch: {out.inputs} input(s), {table.reports()} report(s) in {len(table.groups)} "
            f"group(s), {clusters} cluster(s); {out.errors} error(s), {out.empty} input(s) without a crash report")
    if out.resumed:
        head += f"; {out.resumed} input(s) done by an earlier run"
    lines = [head + (" (interrupted: --resume to go on)" if interrupted else "")]
    missing, found = out.symbols
    if missing or found:
        lines.append(f"symbols: {found} input(s) with their kernel's debug files, {missing} without "
                     "(\"symbols\".\"problem\" in reports.jsonl says why)")
    if known is not None:
        new = [g for g in table.groups.values() if g.signature not in known[0]]
        new_clusters = {g.cluster for g in new if g.cluster not in known[1]}
        lines.append(f"known: {len(table.groups) - len(new)} group(s) seen before, {len(new)} new "
                     f"({len(new_clusters)} in a new cluster)")
    if table.groups:
        lines.append("top groups:")
        for g in table.by_count()[:TOP_GROUPS]:
            mark = "" if known is None else ("  [new]" if g.signature not in known[0] else "")
            lines.append(f"  {g.count:7d}  {g.signature}{mark}")
    lines.append(f"outputs in {out.path}: reports.jsonl groups.jsonl errors.jsonl index.html")
    return "\n".join(lines) + "\n"
