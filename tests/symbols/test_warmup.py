"""The helper processes of a command (symbols/warmup.py): read-ahead and background index saving.

They must change nothing a user sees except the time: the same output, the index
written (in the background) by the first run and completed with name hash tables
by the second, nothing forked outside a command, and the page cache really
filled by the read-ahead.
"""

from __future__ import annotations

import ctypes
import marshal
import mmap
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from symtest_util import FIXTURES, ROOT

from a64triage.symbols import symtab, warmup
from a64triage.symbols.rawelf import RawElf

IMAGE = FIXTURES / "image-clang.elf"
LOG = ROOT / "tests" / "data" / "symbols" / "fixture-oops-4x.log"


def _poll(check: Callable[[], object], seconds: float = 20.0) -> bool:
    """Whether ``check()`` comes true within ``seconds`` (helpers finish in their own time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def _cached(path: Path, offset: int) -> bool:
    """Whether the page at ``offset`` is in the page cache: mincore(2) over a private mapping
    (a probing read would itself start the readahead it looks for)."""
    libc = ctypes.CDLL(None, use_errno=True)
    page = mmap.PAGESIZE
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), page, access=mmap.ACCESS_COPY,
                                           offset=offset - offset % page) as m:
        buf = ctypes.c_char.from_buffer(m)
        vec = (ctypes.c_ubyte * 1)()
        try:
            if libc.mincore(ctypes.c_void_p(ctypes.addressof(buf)), ctypes.c_size_t(page), vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
        finally:
            del buf
        return bool(vec[0] & 1)


def _big_image(tmp_path: Path) -> Path:
    """The fixture image with a 32 MiB ``.debug_ranges`` added (objcopy puts it near the end
    of the file): far bigger than a readahead window, so only read-ahead brings its middle in."""
    objcopy = shutil.which("llvm-objcopy") or shutil.which("aarch64-linux-gnu-objcopy")
    if objcopy is None:
        pytest.skip("no llvm-objcopy or aarch64-linux-gnu-objcopy (scripts/setup.sh installs them)")
    blob = tmp_path / "ranges.bin"
    blob.write_bytes(bytes(range(1, 256)) * (32 * 1024 * 1024 // 255))
    out = tmp_path / "vmlinux"
    subprocess.run([objcopy, "--add-section", f".debug_ranges={blob}", str(IMAGE), str(out)],
                   check=True, capture_output=True)
    blob.unlink()
    return out


def test_read_ahead_fills_the_page_cache(tmp_path: Path) -> None:
    image_path = _big_image(tmp_path)
    with RawElf(str(image_path)) as image:
        ranges = image.section(".debug_ranges")
        assert ranges is not None and ranges.size > 30 * 1024 * 1024
        where = ranges.offset + ranges.size // 2
    fd = os.open(image_path, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    if _cached(image_path, where):
        pytest.skip(f"{tmp_path} keeps its pages in memory (tmpfs?): nothing to read ahead")
    with RawElf(str(image_path)) as image:  # what reading the headers alone brings in: not that
        assert image.section(".debug_ranges") is not None
    assert not _cached(image_path, where)
    warmup.read_ahead(str(image_path))
    assert _poll(lambda: _cached(image_path, where), 10.0)


def test_no_fork_outside_a_command(tmp_path: Path) -> None:
    """A library caller's process is never forked; a command's is, until it finishes."""
    if threading.active_count() != 1:
        pytest.skip("this test process has threads: commands would not fork either")
    mark = tmp_path / "ran"
    assert not warmup.in_background(mark.touch)
    assert not mark.exists()
    warmup.start(None)
    try:
        assert warmup.in_background(mark.touch)
        assert _poll(mark.exists)
    finally:
        warmup.finish()
    assert not warmup.in_background(mark.touch)


def _index_columns(cache: Path) -> list[bytes] | None:
    paths = list((cache / "index").glob("*.symtab"))
    if len(paths) != 1:
        return None
    try:
        doc = marshal.loads(paths[0].read_bytes())
    except (EOFError, ValueError):
        return None  # not there yet (written under another name, then renamed: never half)
    return list(doc[6:])


def test_command_index_lifecycle(tmp_path: Path) -> None:
    """First run: the index (columns and order) appears; second run: it gains the name
    hash tables; every run prints the same."""
    cache = tmp_path / "cache"
    env = dict(os.environ, A64TRIAGE_CACHE=str(cache))
    cmd = [sys.executable, "-m", "a64triage", "symbolize", "--vmlinux", str(IMAGE), str(LOG)]

    def run() -> str:
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert res.returncode == 0, res.stderr
        return res.stdout

    first = run()
    assert _poll(lambda: _index_columns(cache) is not None)
    cols = _index_columns(cache)
    assert cols is not None and cols[5] and not cols[7]  # the address order, no name hashes yet
    assert run() == first
    assert _poll(lambda: bool((_index_columns(cache) or [b""] * 9)[7]))
    assert run() == first
    table = symtab.from_elf(RawElf(str(IMAGE)), cache=True)
    assert table._hashes is not None  # loaded, not rebuilt
