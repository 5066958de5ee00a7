"""Bad cores for `explain --vmcore` (issue #15): one line naming the problem, exit 2.

The cores are generated here, small: an ELF64 core header (with QEMU 7.2's e_ehsize
of 8), program headers and notes as the System V gABI lays them out, then each is
broken in one way.  The "far bigger than memory" core is a sparse file whose load
segment claims 1 TiB: the command must refuse it without reading it (bounded RSS).
"""

from __future__ import annotations

import contextlib
import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a64triage.errors import InputError
from a64triage.symbols.vmcore import read_header

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
INFO = "OSRELEASE=6.1.0-56-cloud-arm64\nBUILD-ID={build_id}\nPAGESIZE=4096\nKERNELOFFSET=0\n"


def note(name: bytes, ntype: int, desc: bytes) -> bytes:
    pad = lambda b: b + b"\0" * (-len(b) % 4)  # noqa: E731
    return struct.pack("<III", len(name) + 1, len(desc), ntype) + pad(name + b"\0") + pad(desc)


def core(*, machine: int = 183, etype: int = 4, elf_class: int = 2, notes: bytes | None = None,
         load_size: int = 4096, file_size: int | None = None, build_id: str = "00" * 20) -> bytes:
    """An ELF core: one PT_NOTE, one PT_LOAD of ``load_size`` bytes, cut at ``file_size``."""
    if notes is None:
        notes = note(b"VMCOREINFO", 0, INFO.format(build_id=build_id).encode())
    phoff = 64
    note_off = phoff + 2 * PHDR.size
    load_off = (note_off + len(notes) + 4095) & ~4095
    ident = b"\x7fELF" + bytes([elf_class, 1, 1]) + b"\0" * 9
    head = EHDR.pack(ident, etype, machine, 1, 0, phoff, 0, 0, 8, PHDR.size, 2, 64, 0, 0)
    phdrs = PHDR.pack(4, 0, note_off, 0, 0, len(notes), 0, 0)
    phdrs += PHDR.pack(1, 7, load_off, 0xFFFF000000000000, 0x4000000, load_size, load_size, 0)
    data = head + phdrs + notes
    data += b"\0" * (load_off - len(data))
    if file_size is not None:
        return data[:file_size]
    return data + b"\0" * min(load_size, 1 << 20)  # big segments are made sparse by the caller


CASES: dict[str, tuple[bytes, str]] = {
    "truncated": (core(load_size=1 << 20, file_size=8192), "truncated core"),
    "header-cut": (core()[:40], "truncated core"),
    "garbage": (b"\x13\x37" * 300, "not a kernel core dump"),
    "no-vmcoreinfo": (core(notes=note(b"CORE", 1, b"\0" * 392)), "-device vmcoreinfo"),
    "x86-64": (core(machine=62), "not an arm64 core"),
    "elf32": (core(elf_class=1), "not a little-endian ELF64 core"),
    "not-a-core": (core(etype=2), "not a core dump"),
    "kdump-flattened-cut": (b"makedumpfile" + b"\0" * 4084, "truncated kdump core"),
    "kdump-bad-block-size": (b"KDUMP   " + b"\0" * 4088, "corrupt kdump core: block size 0"),
    "bad-phentsize": (core()[:54] + struct.pack("<H", 0) + core()[56:], "corrupt core"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_core_is_one_line(name: str, tmp_path: Path) -> None:
    data, problem = CASES[name]
    path = tmp_path / f"{name}.core"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_header(str(path))
    assert problem in err.value.problem
    res = subprocess.run([sys.executable, "-m", "a64triage", "explain", "--vmcore", str(path),
                          "--vmlinux", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and problem in lines[0], res.stderr


def test_good_header_reads_vmcoreinfo(tmp_path: Path) -> None:
    path = tmp_path / "ok.core"
    path.write_bytes(core(build_id="ab" * 20))
    header = read_header(str(path))
    assert header.release == "6.1.0-56-cloud-arm64" and header.build_id == "ab" * 20
    assert header.kaslr_offset == 0 and header.memory_bytes == 4096


def test_core_without_vmlinux_looks_for_its_build(tmp_path: Path) -> None:
    path = tmp_path / "ok.core"
    path.write_bytes(core(build_id="cd" * 20))
    res = subprocess.run([sys.executable, "-m", "a64triage", "explain", "--vmcore", str(path), "--offline",
                          "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    line, = res.stderr.strip().splitlines()
    assert "cd" * 20 in line, line


def test_vmlinux_of_another_build_is_refused(tmp_path: Path, debian_vmlinux: str) -> None:
    path = tmp_path / "other.core"
    path.write_bytes(core(build_id="ef" * 20))
    res = subprocess.run([sys.executable, "-m", "a64triage", "explain", "--vmcore", str(path),
                          "--vmlinux", debian_vmlinux], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    line, = res.stderr.strip().splitlines()
    assert ("does not match" in line or "not the kernel" in line) and "ef" * 20 in line


def test_core_far_bigger_than_memory_is_never_read_whole(tmp_path: Path, debian_vmlinux: str) -> None:
    """A 1 TiB sparse core of the right build: refused in one line, RSS far below its size."""
    from a64triage.symbols.rawelf import RawElf

    with RawElf(debian_vmlinux) as image:
        build_id = image.build_id
    assert build_id
    path = tmp_path / "huge.core"
    size = 1 << 40
    with open(path, "wb") as fh:
        fh.write(core(load_size=size, build_id=build_id, file_size=8192))
        fh.truncate(8192 + size)  # sparse: no disk blocks
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res = subprocess.run([sys.executable, "-m", "a64triage", "explain", "--vmcore", str(path),
                          "--vmlinux", debian_vmlinux], capture_output=True, text=True, timeout=300)
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert res.returncode == 2, res.stderr[-500:]
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert max(rss_kib, before) < 4 << 20, f"max RSS {rss_kib} KiB for a 1 TiB core"


# --- kdump-compressed (makedumpfile's format, as QEMU's dump-guest-memory -z writes it) ----------

BLOCK = 4096


def kdump(pages: dict[int, bytes], *, flattened: bool = True, info: str | None = None,
          cut: int | None = None) -> bytes:
    """A kdump-compressed core of ``pages`` (pfn -> one block of bytes): DiskDumpHeader64 in
    block 0 (empty utsname, as QEMU 7.2), KdumpSubHeader64 with VMCOREINFO in block 1, two
    bitmaps of one block each, page descriptors, then the zlib pages; flattened into
    makedumpfile's stream of {int64 offset, int64 size} records unless ``flattened`` is False."""
    import zlib

    info_b = (info if info is not None else INFO.format(build_id="ab" * 20)).encode()
    header = b"KDUMP   " + struct.pack("<I", 6) + b"\0" * (6 * 65 + 22)
    header += struct.pack("<10I", 0, BLOCK, 1, 2, max(pages) + 1, 0, 0, 0, 0, 1)
    info_at = BLOCK + 104
    sub = struct.pack("<QIIQQQQQQQQQQQ", 0, 1, 0, 0, 0, info_at, len(info_b), 0, 0, 0, 0, 0, 0, max(pages) + 1)
    bitmap = bytearray(BLOCK)
    for pfn in pages:
        bitmap[pfn >> 3] |= 1 << (pfn & 7)
    descs_at = 4 * BLOCK
    data_at = descs_at + 24 * len(pages)
    descs, data = b"", b""
    for pfn in sorted(pages):
        z = zlib.compress(pages[pfn])
        descs += struct.pack("<QIIQ", data_at + len(data), len(z), 1, 0)
        data += z
    parts = [(0, header), (BLOCK, sub), (info_at, info_b), (2 * BLOCK, bytes(bitmap)),
             (3 * BLOCK, bytes(bitmap)), (descs_at, descs), (data_at, data)]
    if not flattened:
        out = bytearray(data_at + len(data))
        for off, chunk in parts:
            out[off:off + len(chunk)] = chunk
        return bytes(out[:cut])
    stream = b"makedumpfile".ljust(16, b"\0") + struct.pack(">qq", 1, 1)
    stream = stream.ljust(4096, b"\0")
    for off, chunk in parts:
        stream += struct.pack(">qq", off, len(chunk)) + chunk
    stream += struct.pack(">qq", -1, -1)
    return stream[:cut]


@pytest.mark.parametrize("flattened", [True, False])
def test_kdump_pages_read_back(tmp_path: Path, flattened: bool) -> None:
    from a64triage.symbols.kdump_compressed import open_kdump

    pages = {0x4000: bytes(range(256)) * 16, 0x4001: b"\x6b" * BLOCK, 0x4005: b"\xa5" * BLOCK}
    path = tmp_path / "core.kdump"
    path.write_bytes(kdump(pages, flattened=flattened))
    header = read_header(str(path))
    assert header.format == "kdump-compressed" and header.build_id == "ab" * 20
    assert header.memory_bytes == 3 * BLOCK
    kd = open_kdump(str(path))
    assert list(kd.runs()) == [(0x4000, 2), (0x4005, 1)]
    assert kd.read_physical(0x4000 * BLOCK + 4090, 12) == pages[0x4000][4090:] + pages[0x4001][:6]
    assert kd.read_physical(0x4005 * BLOCK, BLOCK) == pages[0x4005]


@pytest.mark.parametrize(("how", "problem"), [
    ("cut-stream", "truncated kdump core"),
    ("cut-plain", "truncated kdump core"),
    ("no-vmcoreinfo", "-device vmcoreinfo"),
])
def test_bad_kdump_is_one_line(tmp_path: Path, how: str, problem: str) -> None:
    pages = {0x4000: b"\0" * BLOCK}
    data = {"cut-stream": lambda: kdump(pages, cut=6000),
            "cut-plain": lambda: kdump(pages, flattened=False, cut=BLOCK + 50),
            "no-vmcoreinfo": lambda: kdump(pages, info="")}[how]()
    path = tmp_path / f"{how}.kdump"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        read_header(str(path))
    assert problem in err.value.problem


@settings(max_examples=200, deadline=None)
@given(prefix=st.sampled_from([b"", b"\x7fELF\x02\x01\x01", b"makedumpfile", b"KDUMP   "]),
       body=st.binary(max_size=6000), mutate=st.integers(min_value=0, max_value=9000))
def test_read_header_never_raises_anything_but_input_error(prefix: bytes, body: bytes, mutate: int) -> None:
    """Any bytes, including a real header with one byte changed: a CoreHeader or one InputError."""
    import tempfile

    data = bytearray(core() if prefix == b"\x7fELF\x02\x01\x01" and not body else prefix + body)
    if data and mutate < len(data):
        data[mutate] ^= 0xFF
    with tempfile.NamedTemporaryFile(suffix=".core") as fh:
        fh.write(bytes(data))
        fh.flush()
        with contextlib.suppress(InputError):
            read_header(fh.name)
