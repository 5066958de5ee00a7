"""symbols.sources: the build a log names, the matching check, release paths and Debian's packages.

The logs are real (tests/data: a 5.11 report with CONFIG_STACKTRACE_BUILD_ID from
LKML, Debian 6.1.0-56 QEMU boots); the vmlinux files are the test fixtures and
Debian's real -dbg package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from symtest_util import FIXTURES, ROOT

from a64triage.cli import main
from a64triage.errors import InputError
from a64triage.symbols import sources
from a64triage.symbols.sources import BuildQuery, SourceOptions, find_debug_files, log_query

BUILDID_LOG = ROOT / "tests" / "data" / "console" / "lkml-2021-lkdtm-warning-buildid.log"
E2E = ROOT / "tests" / "data" / "e2e"
CLANG = FIXTURES / "image-clang.elf"
CLANG_ID = "369e833f47b96e3702a80178d4c3dfc671f601ff"


def test_log_query_reads_build_ids_release_and_banner() -> None:
    q = log_query(BUILDID_LOG.read_text())
    assert (q.build_id, q.release) == ("aa23f7a1231c229de205662d5a9e0d4c580f19a1", "5.11")
    assert q.modules == (("lkdtm", "ed5019fdf5e53be37cb1ba7899292d7e143b259e"),)
    debian = log_query((E2E / "ACCESS_NULL.log").read_text())
    assert debian.build_id is None and debian.release == "6.1.0-56-cloud-arm64"
    assert debian.banner is not None and debian.banner.startswith("Linux version 6.1.0-56-cloud-arm64 ")


def _plain_log_query(text: str) -> BuildQuery:
    """log_query as first written: the patterns with a leading \\b (sre tries every position)."""
    import re

    cpu = re.compile(r"\b" + sources._CPU_LINE.pattern)
    banner = re.compile(r"\b" + sources._BANNER.pattern)
    build_id = release = found = None
    for m in cpu.finditer(text):
        release = release or m.group("release")
        bid = sources._BUILD_ID.search(m.group("rest"))
        if bid:
            build_id = bid.group(1)
            break
    bm = banner.search(text)
    if bm:
        found = bm.group(0).strip()
        release = release or bm.group("release")
    return BuildQuery(build_id, release, found, tuple(sources.module_build_ids(text).items()))


_PIECES = st.sampled_from([
    "CPU: 0 PID: 1 Comm: init Not tainted 6.1.0-56-cloud-arm64 #1\n",
    "CPU: 3 UID: 0 PID: 88 Comm: sh Tainted: G  OE 6.10.0 #2 Debian " + "ab" * 20 + "\n",
    "Linux version 6.1.0-fixture (builder@example) (clang) #7\n",
    "vCPU: 0 PID: 1 Comm: x Not tainted 9.9 #1\n", "_Linux version 1.2 (x)\n", "[    1.0] ", "x", "_", " ",
    "\n", "CPU", "Linux version ", "é",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_log_query_fast_path_equals_plain_path(text: str) -> None:
    assert log_query(text) == _plain_log_query(text)


def test_a_vmlinux_with_another_build_id_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["symbolize", "--vmlinux", str(CLANG), "--cache-dir", str(tmp_path), str(BUILDID_LOG)])
    _out, err = capsys.readouterr()
    assert rc == 2 and len(err.splitlines()) == 1
    assert f"its build id is {CLANG_ID}, the log needs aa23f7a1231c229de205662d5a9e0d4c580f19a1" in err
    assert "--force" in err
    rc = main(["symbolize", "--force", "--vmlinux", str(CLANG), "--cache-dir", str(tmp_path), str(BUILDID_LOG)])
    capsys.readouterr()
    assert rc == 0


def test_offline_without_files_says_what_is_missing(tmp_path: Path) -> None:
    opts = SourceOptions(offline=True, cache_dir=tmp_path, local_roots=(tmp_path,))
    with pytest.raises(InputError, match=r"no debug files for build id ab12, release 9\.9\.9 in the cache"):
        find_debug_files(BuildQuery(build_id="ab12", release="9.9.9"), opts)
    with pytest.raises(InputError, match=r"try --debuginfod URL .* or --fetch"):
        find_debug_files(BuildQuery(build_id="ab12", release="9.9.9"),
                         SourceOptions(cache_dir=tmp_path, local_roots=(tmp_path,), debuginfod_urls=()))


def test_release_paths_and_build_id_tree(tmp_path: Path) -> None:
    """A distribution layout under a fake root: /usr/lib/debug/boot/vmlinux-REL, .build-id/."""
    root = tmp_path / "root"
    boot = root / "usr/lib/debug/boot"
    boot.mkdir(parents=True)
    shutil.copy(CLANG, boot / "vmlinux-6.1.0-fixture")
    opts = SourceOptions(cache_dir=tmp_path / "cache", local_roots=(root,), debuginfod_urls=())
    got = find_debug_files(BuildQuery(release="6.1.0-fixture"), opts)
    assert (got.vmlinux, got.origin) == (boot / "vmlinux-6.1.0-fixture", "local")
    tree = root / "usr/lib/debug/.build-id" / CLANG_ID[:2]
    tree.mkdir(parents=True)
    shutil.copy(CLANG, tree / f"{CLANG_ID[2:]}.debug")
    got = find_debug_files(BuildQuery(build_id=CLANG_ID), opts)
    assert got.vmlinux == tree / f"{CLANG_ID[2:]}.debug"


# --- Debian's packages ----------------------------------------------------------------------


def _apt_knows(pkg: str) -> bool:
    if shutil.which("apt-cache") is None:
        return False
    res = subprocess.run(["apt-cache", "show", pkg], capture_output=True, text=True, timeout=120)
    return res.returncode == 0 and "Package:" in res.stdout


@pytest.mark.realkernel
def test_kernel_release_auto_fetch_with_an_empty_cache(tmp_path: Path) -> None:
    """``explain LOG --kernel-release auto --fetch``: the release from the log's CPU line, Debian's
    linux-image-REL-dbg downloaded without root and unpacked into the (empty) cache."""
    if not _apt_knows("linux-image-6.1.0-56-cloud-arm64-dbg:arm64"):
        pytest.skip("apt does not know linux-image-6.1.0-56-cloud-arm64-dbg:arm64")
    cache = tmp_path / "cache"
    res = subprocess.run([sys.executable, "-m", "a64triage", "explain", str(E2E / "BUG.log"),
                          "--kernel-release", "auto", "--fetch", "--cache-dir", str(cache)],
                         capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stderr
    assert "(debian linux-image-6.1.0-56-cloud-arm64-dbg" in res.stderr
    assert (cache / "release/6.1.0-56-cloud-arm64/.complete").exists()
    assert not list(cache.glob("release/*.part"))
    assert "lkdtm_BUG" in res.stdout and "fs/debugfs/file.c:" in res.stdout  # file:line from the -dbg vmlinux
    # the second time from the cache, offline
    again = subprocess.run([sys.executable, "-m", "a64triage", "explain", str(E2E / "BUG.log"),
                            "--kernel-release", "auto", "--offline", "--cache-dir", str(cache)],
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout == res.stdout


def test_release_gone_from_the_archive_names_the_nearest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not _apt_knows("linux-image-6.1.0-56-cloud-arm64-dbg:arm64"):
        pytest.skip("apt knows no arm64 cloud kernel debug package here")
    rc = main(["explain", str(E2E / "BUG.log"), "--kernel-release", "6.1.0-1-cloud-arm64", "--fetch",
               "--cache-dir", str(tmp_path)])
    _out, err = capsys.readouterr()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "linux-image-6.1.0-1-cloud-arm64-dbg" in err and "not in the Debian archive" in err
    assert "the archive has 6.1.0-" in err and "-cloud-arm64" in err.split("the archive has")[1]
    assert not any(tmp_path.rglob("*.deb"))


@pytest.mark.parametrize(("argv", "says"), [
    (["--kernel-release", "auto"], "--kernel-release auto: the log prints no release"),
    (["--kernel-release", "../etc"], "--kernel-release: '../etc' is not a kernel release"),
    (["--build-id", "xyz"], "--build-id: 'xyz' is not a hex GNU build id"),
])
def test_bad_symbol_options_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         argv: list[str], says: str) -> None:
    log = tmp_path / "log"
    log.write_text("Unable to handle kernel paging request at virtual address 0000000000000010\n")
    for command in ("symbolize", "explain"):
        rc = main([command, *argv, "--cache-dir", str(tmp_path), str(log)])
        _out, err = capsys.readouterr()
        assert rc == 2 and err == f"a64triage: {says}" + err.split(says, 1)[1], err
        assert len(err.splitlines()) == 1
