"""The helper processes of a command (symbols/warmup.py): the reader and the indexer.

They must change nothing a user sees except the time: the same frames with or
without the indexer's lookups (which are checked before use), the index saved by
the first run and completed with name hash tables by the second, nothing forked
outside a command, nothing left running after it (even when it fails), and the
page cache really filled by the reader.
"""

from __future__ import annotations

import ctypes
import json
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

from a64triage.symbols import helperpipe, symtab, warmup
from a64triage.symbols.rawelf import RawElf

IMAGE = FIXTURES / "image-clang.elf"
LOG = ROOT / "tests" / "data" / "symbols" / "fixture-oops-4x.log"


def _poll(check: Callable[[], object], seconds: float = 20.0) -> bool:
    """Whether ``check()`` comes true within ``seconds`` (the disk reads in its own time)."""
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


def test_finish_leaves_no_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No helper outlives its command (a PID 1 that does not collect orphans keeps zombies)."""
    if threading.active_count() != 1:
        pytest.skip("this test process has threads: commands would not fork either")
    monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))
    before = _children()
    warmup.start(str(IMAGE), warmup.printed_names(LOG.read_text()))
    assert len(warmup._HELPERS) == 2  # the reader and the indexer
    warmup.finish()
    assert not warmup._HELPERS
    assert _children() <= before
    assert _index_columns(tmp_path / "cache") is not None  # the indexer's work was waited for


def test_library_callers_are_not_forked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))
    before = _children()
    table = symtab.from_elf(RawElf(str(IMAGE)), cache=True)
    assert table._helper is None and not warmup._HELPERS
    assert table.find("outer")
    assert _children() <= before


def _children() -> set[int]:
    """This process's children, exited or not (a session fixture's server, e.g. Debian's
    debuginfod, is one that outlives every test: only new ones count)."""
    return {int(pid) for task in Path("/proc/self/task").iterdir()
            for pid in (task / "children").read_text().split()}


def _index_columns(cache: Path) -> list[bytes] | None:
    paths = list((cache / "index").glob("*.symtab"))
    if len(paths) != 1:
        return None
    try:
        doc = marshal.loads(paths[0].read_bytes())
    except (EOFError, ValueError):
        return None  # not there yet (written under another name, then renamed: never half)
    return list(doc[-len(symtab._INDEX_CODES):])


def test_command_index_lifecycle(tmp_path: Path) -> None:
    """The first run's indexer saves the index with its address order, the second's adds the
    name hash tables; every run prints the same."""
    cache = tmp_path / "cache"
    env = dict(os.environ, A64TRIAGE_CACHE=str(cache))
    cmd = [sys.executable, "-m", "a64triage", "symbolize", "--vmlinux", str(IMAGE), str(LOG)]

    def run() -> str:
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert res.returncode == 0, res.stderr
        return res.stdout

    first = run()  # the indexer saved the index with its address order before the command ended
    cols = _index_columns(cache)
    assert cols is not None and cols[5] and not cols[7]
    assert run() == first  # and this time it added the name hash tables
    cols = _index_columns(cache)
    assert cols is not None and cols[7]
    assert run() == first
    table = symtab.from_elf(RawElf(str(IMAGE)), cache=True)
    assert table._hashes is not None  # loaded, not rebuilt


def _library_json(log: Path, vmlinux: Path) -> list[dict[str, object]]:
    """The frames as the library gives them, no helper (this process did not start one)."""
    from a64triage.commands.symbolize import frame_json, symbolize_log
    from a64triage.symbols import open_symbolizer

    assert not helperpipe.has_helper(str(vmlinux))
    sym = open_symbolizer(str(vmlinux))
    return [frame_json(a) for a in symbolize_log(sym, log.read_text())[1]]


def _unwritable_cache(tmp_path: Path) -> Path:
    """A cache directory nobody can create (under a file): nothing saved, by the command or its
    helper, so the command builds its own table and takes the helper's lookups."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    return blocker / "cache"


def test_helper_answers_equal_the_commands_own(tmp_path: Path) -> None:
    """Frames found with the indexer's lookups are the frames found without it."""
    cache = _unwritable_cache(tmp_path)
    res = subprocess.run([sys.executable, "-m", "a64triage", "symbolize", "--json", "--vmlinux",
                          str(IMAGE), str(LOG)], capture_output=True, text=True, timeout=120,
                         check=False, env=dict(os.environ, A64TRIAGE_CACHE=str(cache)))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["frames"] == _library_json(LOG, IMAGE)


@pytest.mark.parametrize("cached", [False, True], ids=["first-run", "index-without-hashes"])
def test_helper_lookups_are_taken(tmp_path: Path, cached: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command's table takes its indexer's lookups at the first name it needs: every name
    the log prints, each as the table itself finds it."""
    if threading.active_count() != 1:
        pytest.skip("this test process has threads: commands would not fork either")
    if cached:  # an index with the address order only, as an older run may have left it
        cache = tmp_path / "cache"
        monkeypatch.setenv("A64TRIAGE_CACHE", str(cache))
        symtab.from_elf(RawElf(str(IMAGE)), cache=True)._order()
        assert not (_index_columns(cache) or [b"x"] * 9)[7]
        # the helper (a fork of this process) must not complete it before the table loads it
        monkeypatch.setattr(symtab.SymbolTable, "_add_hashes", lambda self: None)
    else:
        monkeypatch.setenv("A64TRIAGE_CACHE", str(_unwritable_cache(tmp_path)))
    names = warmup.printed_names(LOG.read_text())
    assert "lit_user" in names and "__kvm_nvhe_handle_trap" in names
    warmup.start(str(IMAGE), names)
    try:
        table = symtab.from_elf(RawElf(str(IMAGE)), cache=True)
        assert table._helper == str(IMAGE)
        table._named_idx("lit_user")
        assert table._helper is None and set(names) <= set(table._memo)
        reference = symtab.from_elf(RawElf(str(IMAGE)))
        for name in names:
            assert table._memo[name] == reference._named_idx_uncached(name), name
    finally:
        warmup.finish()


def test_helper_answers_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answers that do not fit the table (another file, damage) are ignored, not trusted."""
    table = symtab.from_elf(RawElf(str(IMAGE)))
    n = len(table._addr)
    right = table._named_idx_uncached("outer")
    assert right
    for raw in (marshal.dumps((n + 1, {"outer": [0]})),  # another table
                marshal.dumps((n, {"outer": [i + 1 for i in right]})),  # not that name
                marshal.dumps((n, {"outer": [n]})),  # out of range
                marshal.dumps((n, ["outer"])), b"\x00garbage", b""):
        fresh = symtab.from_elf(RawElf(str(IMAGE)))
        fresh._helper = str(IMAGE)
        monkeypatch.setattr(helperpipe, "from_helper", lambda _p, raw=raw: raw)
        assert fresh._named_idx("outer") == right
        assert fresh._helper is None  # asked once
    good = symtab.from_elf(RawElf(str(IMAGE)))
    good._helper = str(IMAGE)
    monkeypatch.setattr(helperpipe, "from_helper", lambda _p: marshal.dumps((n, {"outer": right, "x": []})))
    assert good._named_idx("x") == []  # taken from the helper: "x" exists nowhere else


def test_printed_names() -> None:
    text = ("[  1.0] pc : do_idle+0x298/0x310\n[  1.0]  el0_svc_common.constprop.0+0x4c/0xf4\n"
            "[  1.0]  do_idle+0x298/0x310\n[  1.0]  evil_write+0x1c/0x40 [evil_drv]\n"
            "[  1.0] lr : evil_ioctl+0x8 [evil_drv]\n"
            "kvm [1]:  [<ffff800008010190>] __kvm_nvhe_handle_trap+0x4/0xc\n"
            "Kernel Offset: 0x0 from 0xffff800008000000\n")
    assert warmup.printed_names(text) == ["do_idle", "el0_svc_common.constprop.0",
                                          "__kvm_nvhe_handle_trap"]
    many = "".join(f"f{i}+0x1/0x2\n" for i in range(500))
    assert len(warmup.printed_names(many)) == warmup.PRINTED_NAMES_MAX


def test_failed_command_stops_its_helpers(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input: the one-line error and exit code 2 as ever, and no helper left behind."""
    from a64triage.cli import main

    monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))
    garbage = tmp_path / "vmlinux"
    garbage.write_bytes(b"\x7fELF" + bytes(range(256)) * 64)
    before = _children()
    assert main(["symbolize", "--vmlinux", str(garbage), str(LOG)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(garbage) in err
    assert not warmup._HELPERS and not helperpipe._INDEXERS
    assert _children() <= before
