"""`batch` with the symbol-source options: each log against its own kernel's debug files.

A mixed corpus: the committed QEMU logs (Debian 6.1.0-56 arm64), syzkaller's corpus logs
(other kernels, most printing a release, none a build id), an LKML log that prints the
build id of a kernel nobody has, and a fixture oops whose ``CPU:`` line carries the build
id of tests/fixtures/c/out/image-clang.elf as CONFIG_STACKTRACE_BUILD_ID prints it
(lib/dump_stack.c).  The debug files are found in a real ``.build-id`` tree, served by a
real HTTP server speaking debuginfod's ``/buildid/ID/debuginfo`` (requests counted), by
Debian's own ``debuginfod`` over the -dbg .deb, or in the real-kernel cache by release.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_helpers import (
    E2E,
    FIXTURE_ELF,
    FIXTURE_ID,
    FIXTURE_LOG,
    ROOT,
    batch,
    check_outputs,
    debug_tree,
    result_records,
    with_build_id,
)

from a64triage.symbols.rawelf import RawElf
from a64triage.symbols.sources import SymbolRequest, log_query
from a64triage.triage import worker

UNKNOWN_LOG = ROOT / "tests" / "data" / "console" / "lkml-2021-lkdtm-warning-buildid.log"
UNKNOWN_ID = "aa23f7a1231c229de205662d5a9e0d4c580f19a1"
SYZ = ROOT / "tests" / "data" / "syzkaller" / "report"
E2E_LOGS = ("WARNING.log", "CORRUPT_LIST_ADD.log", "BUG.log")
SOURCE_LINE = re.compile(r"^[\w./+-]+\.[chS]:\d+(:\d+)?$")


def _variants(text: str, copies: int) -> list[str]:
    """Copies that differ (a timestamp changed) so none is skipped as already done."""
    return [text.replace("[   10.000000]", f"[   1{i}.000000]", 1) if "[   10.000000]" in text
            else text + f"\n[ 99.00000{i}] variant {i}\n" for i in range(copies)]


def _corpus(dest: Path, fixture_id: str = FIXTURE_ID, copies: int = 3) -> dict[str, str]:
    """Log name -> its kind: fixture (its build's files exist), unknown (a build id nobody
    has), e2e (Debian 6.1.0-56, no build id), syz (other kernels)."""
    dest.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, str] = {}
    fixture = with_build_id(FIXTURE_LOG.read_text(), fixture_id)
    for i, text in enumerate(_variants(fixture, copies)):
        (dest / f"fixture{i}.log").write_text(text)
        kinds[f"fixture{i}.log"] = "fixture"
    for i, text in enumerate(_variants(UNKNOWN_LOG.read_text(), copies)):
        (dest / f"unknown{i}.log").write_text(text)
        kinds[f"unknown{i}.log"] = "unknown"
    for name in E2E_LOGS:
        shutil.copy(E2E / name, dest / name)
        kinds[name] = "e2e"
    for name in ("0", "2", "3", "4", "5", "6"):
        shutil.copy(SYZ / name, dest / f"syz-{name}.log")
        kinds[f"syz-{name}.log"] = "syz"
    return kinds


def _by_kind(out: Path, kinds: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    got = check_outputs(out)
    per: dict[str, list[dict[str, Any]]] = {}
    for rec in got["reports.jsonl"]:
        per.setdefault(kinds[Path(rec["input"]).name], []).append(rec)
    return per


def _fresh_worker() -> None:
    """This process as a new worker: nothing looked up or opened yet."""
    worker._FOUND.clear()
    worker._OPEN.clear()
    worker.STATS.update(lookups=0, opened=0)


# --- the worker in this process: lookups counted ----------------------------------------------


def test_each_build_looked_up_once_and_only_its_logs_symbolized(tmp_path: Path) -> None:
    kinds = _corpus(tmp_path / "logs")
    dbg = debug_tree(tmp_path / "debug", FIXTURE_ID, FIXTURE_ELF)
    req = SymbolRequest(debug_dirs=(dbg,), release="auto", offline=True, cache_dir=tmp_path / "cache")
    items = [(i, p.name, p.read_bytes(), f"{i:064x}") for i, p in enumerate(sorted((tmp_path / "logs").iterdir()))]
    builds = set()
    for _i, _name, data, _sha in items:
        q = log_query(data.decode("utf-8", "replace"))
        if q.release is not None:  # --kernel-release auto: a log without one is not looked up
            builds.add((q.build_id, q.release, q.banner))
    assert len(builds) >= 5 and len(items) > len(builds)
    _fresh_worker()
    results = worker.triage_inputs(items, req)
    assert (worker.STATS["lookups"], worker.STATS["opened"]) == (len(builds), 1)
    worker.triage_inputs(items, req)  # the same builds again: nothing looked up, nothing opened
    assert (worker.STATS["lookups"], worker.STATS["opened"]) == (len(builds), 1)
    seen: Counter[str] = Counter()
    for (_i, name, _data, _sha), res in zip(items, results, strict=True):
        kind = kinds[name]
        assert res.error is None, name
        records = result_records(res)
        assert res.symbols_found is (kind == "fixture")  # every log here is looked up
        for rec in records:
            sym, pc = rec["symbols"], rec["facts"]["pc_source"]
            seen[kind] += 1
            if kind == "fixture":
                assert sym["build_id"] == FIXTURE_ID and sym["origin"] == "local" and sym["problem"] is None
                assert pc is not None and SOURCE_LINE.match(pc), pc
            else:
                assert pc is None and sym["vmlinux"] is None and sym["problem"], (name, sym)
                if kind == "unknown":
                    assert UNKNOWN_ID in sym["problem"]
    assert set(seen) == {"fixture", "unknown", "e2e", "syz"}


def test_no_symbol_option_reads_no_build() -> None:
    """Without a source (and no debuginfod server in the environment) no log is looked up."""
    _fresh_worker()
    data = with_build_id(FIXTURE_LOG.read_text(), FIXTURE_ID).encode()
    req = SymbolRequest(debuginfod_urls=None, offline=True)
    (res,) = worker.triage_inputs([(0, "f.log", data, "0" * 64)], req)
    recs = result_records(res)
    assert recs and all(r["symbols"] is None and r["facts"]["pc_source"] is None for r in recs)
    assert res.symbols_found is None
    assert (worker.STATS["lookups"], worker.STATS["opened"]) == (0, 0)


def test_open_symbolizers_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More builds than a worker keeps open: the least recently used is dropped (and opened
    again when its logs come back); the lookups stay cached."""
    gcc_elf, gcc_id = FIXTURE_ELF.with_name("image-gcc.elf"), "186a626af3a1e4b3933458f294601c42d4672faf"
    dbg = debug_tree(tmp_path / "debug", FIXTURE_ID, FIXTURE_ELF)
    debug_tree(dbg, gcc_id, gcc_elf)
    text = FIXTURE_LOG.read_text()
    order = [FIXTURE_ID, gcc_id, FIXTURE_ID, FIXTURE_ID]
    items = [(i, f"{i}.log", with_build_id(text, bid).encode(), f"{i:064x}") for i, bid in enumerate(order)]
    monkeypatch.setattr(worker, "MAX_OPEN", 1)
    _fresh_worker()
    results = worker.triage_inputs(items, SymbolRequest(debug_dirs=(dbg,), offline=True))
    assert (worker.STATS["lookups"], worker.STATS["opened"], len(worker._OPEN)) == (2, 3, 1)
    got = [result_records(r)[0]["symbols"]["vmlinux"] for r in results]
    assert got == [str(dbg / ".build-id" / b[:2] / f"{b[2:]}.debug") for b in order]


# --- the command: worker processes, a debuginfod-protocol server ------------------------------


class _Debuginfod:
    """Answers ``/buildid/ID/debuginfo`` from a dict of files (404 otherwise) and counts requests."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.requests: Counter[str] = Counter()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests[self.path] += 1
                m = re.fullmatch(r"/buildid/([0-9a-f]+)/debuginfo", self.path)
                if m is None or m.group(1) not in files:
                    self.send_error(404)
                    return
                body = files[m.group(1)].read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Debuginfod]:
    srv = _Debuginfod({FIXTURE_ID: FIXTURE_ELF})
    yield srv
    srv.close()


def test_debuginfod_once_per_build_per_worker(tmp_path: Path, server: _Debuginfod) -> None:
    kinds = _corpus(tmp_path / "logs", copies=8)
    out = tmp_path / "out"
    res = batch(str(tmp_path / "logs"), "--out", str(out), "-j", "2", "--debuginfod", server.url,
                "--cache-dir", str(tmp_path / "cache"), env={"DEBUGINFOD_URLS": ""})
    assert res.returncode == 0, res.stderr
    # one request per build per worker process at most (a later worker finds the file in the cache)
    assert set(server.requests) == {f"/buildid/{FIXTURE_ID}/debuginfo", f"/buildid/{UNKNOWN_ID}/debuginfo"}
    assert all(1 <= n <= 2 for n in server.requests.values()), server.requests
    per = _by_kind(out, kinds)
    # fetched by this worker, or found in the cache another worker process had just filled
    assert all(r["symbols"]["origin"] in (f"debuginfod {server.url}", "cache")
               and SOURCE_LINE.match(r["facts"]["pc_source"]) for r in per["fixture"])
    assert all("404" in r["symbols"]["problem"] and r["facts"]["pc_source"] is None for r in per["unknown"])
    # no build id printed, no release asked for: nothing to look up by
    assert all(r["symbols"] is None for r in per["e2e"] + per["syz"])
    assert "symbols: 8 input(s) with their kernel's debug files, 8 without" in res.stdout
    # the example pages come from the same per-log files
    page = next(g["example"]["html"] for g in check_outputs(out)["groups.jsonl"]
                if kinds[Path(g["example"]["input"]).name] == "fixture")
    assert "kern.S:" in (out / page).read_text()


def test_vmlinux_of_another_build_is_refused_unless_forced(tmp_path: Path) -> None:
    """--vmlinux names one build: a log whose printed build id differs keeps its log alone."""
    logs = tmp_path / "logs"
    logs.mkdir()
    other = "ab" * 20
    (logs / "mine.log").write_text(with_build_id(FIXTURE_LOG.read_text(), FIXTURE_ID))
    (logs / "other.log").write_text(with_build_id(FIXTURE_LOG.read_text(), other))
    for force, symbolized in (((), {"mine.log"}), (("--force",), {"mine.log", "other.log"})):
        out = tmp_path / f"out{len(force)}"
        res = batch(str(logs), "--out", str(out), "-j", "1", "--vmlinux", str(FIXTURE_ELF), *force,
                    env={"DEBUGINFOD_URLS": ""})
        assert res.returncode == 0, res.stderr
        recs = {Path(r["input"]).name: r for r in check_outputs(out)["reports.jsonl"]}
        assert {n for n, r in recs.items() if r["facts"]["pc_source"]} == symbolized
        if not force:
            assert f"its build id is {FIXTURE_ID}, the log needs {other}" in recs["other.log"]["symbols"]["problem"]


@pytest.mark.parametrize(("option", "says"), [
    (("--debug-dir", "MISSING"), "no such directory"),
    (("--debug-dir", "FILE"), "no such directory"),
    (("--build-id", "xyz"), "'xyz' is not a hex GNU build id"),
    (("--kernel-release", "../etc"), "'../etc' is not a kernel release"),
    (("--vmlinux", "MISSING"), "no such file"),
    (("--modules", "MISSING", "--vmlinux", str(FIXTURE_ELF)), "no such directory"),
    (("--modules", str(ROOT / "tests")), "needs a vmlinux"),
])
def test_bad_symbol_option_fails_at_once(tmp_path: Path, option: tuple[str, ...], says: str) -> None:
    (tmp_path / "file").write_text("")
    argv = [a.replace("MISSING", str(tmp_path / "missing")).replace("FILE", str(tmp_path / "file")) for a in option]
    res = batch(str(FIXTURE_LOG), "--out", str(tmp_path / "out"), *argv, timeout=60)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and says in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()  # refused before any output or worker


# --- Debian's real kernel ---------------------------------------------------------------------


@pytest.mark.realkernel
def test_kernel_release_auto_finds_the_cached_debian_kernel(tmp_path: Path, debian_vmlinux: str) -> None:
    """The QEMU logs' release (6.1.0-56-cloud-arm64) is in the cache (scripts/debian_kernel.py
    unpacked it); syzkaller's kernels are not; the fixture's build is in a --debug-dir."""
    kinds = _corpus(tmp_path / "logs", copies=2)
    cache = Path(debian_vmlinux).parents[7]  # CACHE/debian/ABI/dbg/usr/lib/debug/boot/vmlinux-REL
    dbg = debug_tree(tmp_path / "debug", FIXTURE_ID, FIXTURE_ELF)
    out = tmp_path / "out"
    res = batch(str(tmp_path / "logs"), "--out", str(out), "-j", "2", "--kernel-release", "auto", "--offline",
                "--cache-dir", str(cache), "--debug-dir", str(dbg), env={"DEBUGINFOD_URLS": ""}, timeout=900)
    assert res.returncode == 0, res.stderr
    per = _by_kind(out, kinds)
    assert all(r["symbols"]["vmlinux"] == debian_vmlinux and r["symbols"]["origin"] == "cache" for r in per["e2e"])
    lists = [r for r in per["e2e"] if r["input"].endswith("CORRUPT_LIST_ADD.log")]
    assert lists[0]["facts"]["pc_source"].startswith("lib/list_debug.c:")  # __list_add_valid
    assert all(r["symbols"]["origin"] == "local" and r["facts"]["pc_source"] for r in per["fixture"])
    assert all(r["symbols"]["problem"] and r["facts"]["pc_source"] is None for r in per["syz"] + per["unknown"])


@pytest.mark.realkernel
def test_real_debuginfod_serves_each_log_its_build(tmp_path: Path, debian_vmlinux: str,
                                                   debian_debuginfod: str) -> None:
    """The QEMU logs, as the Debian kernel would print them with CONFIG_STACKTRACE_BUILD_ID,
    get its -dbg vmlinux from Debian's debuginfod; the server's own counters show one
    request per build per worker process at most."""
    from debuginfod_util import debuginfod_metric

    with RawElf(debian_vmlinux) as image:
        debian_id = image.build_id
    assert debian_id
    logs = tmp_path / "logs"
    kinds = _corpus(logs, copies=2)
    for name in E2E_LOGS:
        for i in range(3):
            (logs / f"{i}-{name}").write_text(with_build_id((E2E / name).read_text(), debian_id)
                                              .replace("[    ", f"[{i:4d}", 50))
            kinds[f"{i}-{name}"] = "debian"
        (logs / name).unlink()
        del kinds[name]
    before = debuginfod_metric(debian_debuginfod, "http_responses_total")
    out = tmp_path / "out"
    res = batch(str(logs), "--out", str(out), "-j", "2", "--debuginfod", debian_debuginfod,
                "--cache-dir", str(tmp_path / "cache"), env={"DEBUGINFOD_URLS": ""}, timeout=1800)
    assert res.returncode == 0, res.stderr
    after = debuginfod_metric(debian_debuginfod, "http_responses_total")
    per = _by_kind(out, kinds)
    assert all(r["symbols"]["origin"] in (f"debuginfod {debian_debuginfod}", "cache") for r in per["debian"])
    lists = [r for r in per["debian"] if r["input"].endswith("CORRUPT_LIST_ADD.log")]
    assert all(r["facts"]["pc_source"].startswith("lib/list_debug.c:") for r in lists if r["report"] == 0)
    assert all("404" in r["symbols"]["problem"] for r in per["unknown"] + per["fixture"])
    assert all(r["symbols"] is None for r in per["syz"])
    # Debian's build: downloaded once (the other worker process waits for the cache entry);
    # the builds the server does not know (the unknown log's and the fixture's): one 404 per
    # build and worker process at most, whatever the number of their logs
    failed = _responses(after, "error") - _responses(before, "error")
    served = _responses(after) - _responses(before) - failed  # ".deb archive", "archive fdcache", ...
    unknown_builds, processes = 2, 2
    assert served == 1 and unknown_builds <= failed <= unknown_builds * processes, (before, after)


def _responses(lines: list[str], result: str | None = None) -> float:
    """The server's responses (of one ``result`` label, or all) from its /metrics lines."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if result is None or f'result="{result}"' in line)
