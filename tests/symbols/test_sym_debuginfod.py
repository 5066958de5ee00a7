"""debuginfod: debug files by build id, from Debian's real server and from servers that fail.

The real-server test uses Debian's ``debuginfod`` (elfutils) on 127.0.0.1 over a
folder holding the arm64 ``-dbg`` .deb of the kernel the e2e logs come from
(``scripts/debian_kernel.py dbgdeb``; the ``debian_debuginfod`` fixture of
tests/conftest.py, which tests/batch uses too), strips that package's vmlinux the way a
distribution does (``objcopy --strip-debug``: symbols and build id stay,
DWARF goes), and symbolizes a real log with the stripped file plus the server:
the frames must equal those symbolized against the -dbg vmlinux itself.

The failing servers are a small local HTTP server (the real one cannot be made to
truncate or lie): 404, nothing listening, a truncated body (then resumed with a
``Range`` request), a file with another build id, a page that is not ELF, a full
disk.  Each is one line, exit 2, and nothing under a usable name in the cache.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from symtest_util import FIXTURES, ROOT

from a64triage.cli import main

STRIPPED = FIXTURES / "image-stripped.elf"
FULL = FIXTURES / "image-clang.elf"
OTHER = FIXTURES / "image-gcc.elf"
BUILD_ID = "369e833f47b96e3702a80178d4c3dfc671f601ff"  # image-clang.elf and image-stripped.elf
MODULE = FIXTURES / "test_mod.ko"
MODULE_ID = "9db2122b94ef9dbbe2822cb32f9fde04a20069fe"
LOG = ROOT / "tests" / "data" / "symbols" / "fixture-oops-6x.log"
E2E_LOG = ROOT / "tests" / "data" / "e2e" / "ACCESS_NULL.log"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    """A local server that answers /buildid/ID/debuginfo in one chosen way."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.ranges: list[str | None] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.ranges.append(self.headers.get("Range"))
                mode = outer.mode
                served = {f"/buildid/{BUILD_ID}/debuginfo": FULL, f"/buildid/{MODULE_ID}/debuginfo": MODULE}
                if mode == "404" or self.path not in served:
                    self.send_error(404)
                    return
                if mode == "html":
                    body = b"<html>not a debuginfod server</html>"
                else:
                    body = (OTHER if mode == "other" else served[self.path]).read_bytes()
                if mode == "big":  # bytes after the last section: still the same ELF, now 9 MB
                    body += bytes(9 << 20)
                start = 0
                rng = self.headers.get("Range")
                if rng and mode == "ok":
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                if mode == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    outer.mode = "ok"  # the next request (a resume) gets the rest
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    yield srv
    srv.close()


@pytest.fixture(autouse=True)
def _no_env_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBUGINFOD_URLS", raising=False)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["symbolize", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _cache_files(cache: Path) -> list[str]:
    root = cache / "buildid"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_stripped_vmlinux_gets_its_dwarf_by_build_id(server: _Server, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    rc, out, err = _run(capsys, "--json", "--vmlinux", str(STRIPPED), "--debuginfod", server.url,
                        "--cache-dir", str(cache), str(LOG))
    assert rc == 0, err
    fetched = json.loads(out)
    assert any(f["locations"] and f["locations"][-1]["file"] for f in fetched["frames"])
    assert _cache_files(cache) == [f"{BUILD_ID}/debuginfo"]
    # the same frames as with the unstripped file
    rc, ref, _ = _run(capsys, "--json", "--vmlinux", str(FULL), str(LOG))
    assert fetched["frames"] == json.loads(ref)["frames"]
    # offline, the server gone: from the cache
    server.close()
    rc, again, err = _run(capsys, "--json", "--vmlinux", str(STRIPPED), "--offline",
                          "--debuginfod", server.url, "--cache-dir", str(cache), str(LOG))
    assert rc == 0, err
    assert json.loads(again)["frames"] == fetched["frames"]


def test_build_id_option_and_environment(server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DEBUGINFOD_URLS", f"http://127.0.0.1:{_free_port()} {server.url}")
    rc, out, err = _run(capsys, "--build-id", BUILD_ID.upper(), "--cache-dir", str(tmp_path), str(LOG))
    assert rc == 0, err
    assert "(debuginfod " + server.url in err
    assert "(file.c:" in out or ".c:" in out


def test_module_debug_file_by_the_build_id_in_its_frames(server: _Server, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``[test_mod <build id>]`` as CONFIG_STACKTRACE_BUILD_ID prints module frames (%pSb)."""
    log = tmp_path / "oops.log"
    log.write_text(LOG.read_text().replace("[test_mod]", f"[test_mod {MODULE_ID}]"))
    rc, out, err = _run(capsys, "--json", "--vmlinux", str(FULL), "--debuginfod", server.url,
                        "--cache-dir", str(tmp_path / "cache"), str(log))
    assert rc == 0, err
    mod = [f for f in json.loads(out)["frames"] if f["printed"]["module"] == "test_mod"]
    assert mod and all(f["function"] for f in mod)
    assert any(f["locations"] for f in mod)
    assert not any("test_mod not found" in w for w in json.loads(out)["warnings"])
    assert f"{MODULE_ID}/debuginfo" in _cache_files(tmp_path / "cache")


@pytest.mark.parametrize(("mode", "says"), [
    ("404", "has no debuginfo for it (404)"),
    ("other", "answered a file with build id 186a626af3a1e4b3933458f294601c42d4672faf, not " + BUILD_ID),
    ("html", "not a usable debug file: not an ELF file"),
])
def test_bad_server_answers(server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            mode: str, says: str) -> None:
    server.mode = mode
    rc, out, err = _run(capsys, "--vmlinux", str(STRIPPED), "--debuginfod", server.url,
                        "--cache-dir", str(tmp_path), str(LOG))
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1 and says in err, err
    assert _cache_files(tmp_path) == []


def test_unreachable_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    rc, _out, err = _run(capsys, "--vmlinux", str(STRIPPED), "--debuginfod", url,
                         "--cache-dir", str(tmp_path), str(LOG))
    assert rc == 2 and len(err.splitlines()) == 1 and f"cannot reach {url}" in err, err
    assert _cache_files(tmp_path) == []


def test_truncated_download_is_resumed(server: _Server, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    server.mode = "truncate"
    argv = ("--vmlinux", str(STRIPPED), "--debuginfod", server.url, "--cache-dir", str(tmp_path), str(LOG))
    rc, _out, err = _run(capsys, *argv)
    assert rc == 2 and len(err.splitlines()) == 1 and "run again to resume" in err, err
    assert _cache_files(tmp_path) == [f"{BUILD_ID}/debuginfo.part"]  # kept for the resume only
    rc, _out, err = _run(capsys, *argv)
    assert rc == 0, err
    half = FULL.stat().st_size // 2
    assert server.ranges[-1] == f"bytes={half}-"
    assert (tmp_path / "buildid" / BUILD_ID / "debuginfo").read_bytes() == FULL.read_bytes()
    assert _cache_files(tmp_path) == [f"{BUILD_ID}/debuginfo"]


def test_progress_bar_on_a_terminal_only(server: _Server, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import pty

    server.mode = "big"
    master, slave = pty.openpty()
    try:
        res = subprocess.run([sys.executable, "-m", "a64triage", "symbolize", "--vmlinux", str(STRIPPED),
                              "--debuginfod", server.url, "--cache-dir", str(tmp_path / "tty"), str(LOG)],
                             stdout=subprocess.PIPE, stderr=slave, timeout=120, check=False)
    finally:
        os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert res.returncode == 0, seen
    assert b"debuginfod: [" in seen and b"/9.4 MB" in seen
    rc, _out, err = _run(capsys, "--vmlinux", str(STRIPPED), "--debuginfod", server.url,
                         "--cache-dir", str(tmp_path / "pipe"), str(LOG))
    assert rc == 0 and "debuginfod: [" not in err  # not a terminal: no bar


def test_full_disk(server: _Server, tmp_path: Path) -> None:
    """The cache on an 8 KiB tmpfs (the debug file is larger) (a private mount namespace: root only)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a private tmpfs needs root and unshare")
    small = tmp_path / "small"
    small.mkdir()
    script = (f'mount -t tmpfs -o size=8k none "{small}" || exit 77; '
              f'"{sys.executable}" -m a64triage symbolize --vmlinux "{STRIPPED}" --debuginfod {server.url} '
              f'--cache-dir "{small}" "{LOG}"; rc=$?; find "{small}" -type f; exit $rc')
    res = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    if res.returncode == 77:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.strip()}")
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "disk full" in res.stderr, res.stderr
    assert res.stdout == ""  # no file left in the cache


# --- Debian's real server ------------------------------------------------------------------


@pytest.mark.realkernel
def test_real_debuginfod_serves_debian_dbg_deb(debian_vmlinux: str, debian_debuginfod: str, tmp_path: Path) -> None:
    objcopy = shutil.which("aarch64-linux-gnu-objcopy")  # llvm-objcopy 14 rejects the vmlinux's .rela.dyn
    if objcopy is None:
        pytest.skip("needs aarch64-linux-gnu-objcopy (scripts/setup.sh test installs it)")
    stripped = tmp_path / "vmlinux-stripped"
    subprocess.run([objcopy, "--strip-debug", debian_vmlinux, str(stripped)], check=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if k != "DEBUGINFOD_URLS"}
    cache = tmp_path / "cache"
    cmd = [sys.executable, "-m", "a64triage", "symbolize", "--json", "--cache-dir", str(cache), str(E2E_LOG)]
    start = time.monotonic()
    got = subprocess.run([*cmd, "--vmlinux", str(stripped), "--debuginfod", debian_debuginfod],
                         capture_output=True, text=True, env=env, timeout=900)
    took = time.monotonic() - start
    assert got.returncode == 0, got.stderr
    ref = subprocess.run([*cmd, "--vmlinux", debian_vmlinux], capture_output=True, text=True,
                         env=env, timeout=900)
    frames = json.loads(got.stdout)["frames"]
    assert frames == json.loads(ref.stdout)["frames"]
    assert sum(1 for f in frames if f["locations"]) >= 5
    size = (cache / "buildid").stat() and next((cache / "buildid").rglob("debuginfo")).stat().st_size
    print(f"debuginfod fetch + symbolize: {took:.1f} s, {size / 1e6:.0f} MB")


def test_environment_server_failing_leaves_the_log_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Only $DEBUGINFOD_URLS and a build id in the log (nothing asked for): explained from the log."""
    monkeypatch.setenv("DEBUGINFOD_URLS", f"http://127.0.0.1:{_free_port()}")
    log = ROOT / "tests" / "data" / "console" / "lkml-2021-lkdtm-warning-buildid.log"
    rc = main(["explain", "--cache-dir", str(tmp_path), str(log)])
    out, err = capsys.readouterr()
    assert rc == 0 and "lkdtm_WARNING" in out
    assert err.startswith("a64triage: warning: build id aa23f7a1231c229de205662d5a9e0d4c580f19a1: cannot reach")
