"""makedumpfile's kdump-compressed format, flattened or not, as QEMU's dump-guest-memory writes it.

QEMU 7.2's ``kdump-zlib``/``-lzo``/``-snappy`` formats leave the utsname fields empty
and use the target's largest page size as the block size (64 KiB for aarch64, even for
a 4 KiB-page guest), so libkdumpfile (drgn's reader) refuses them.  The format is
simple enough to read here and hand to drgn as physical memory
(``Program.add_memory_segment``), so such a dump is explained like an ELF one.

Layout (QEMU include/sysemu/dump.h, makedumpfile's diskdump_mod.h), all integers in
the target's byte order except the flattened stream's record headers (big-endian):

* flattened stream (``makedumpfile -F``; QEMU 7.2 always writes it): a 4096-byte header
  starting "makedumpfile", then records ``{int64 offset, int64 size, data}`` that place
  ``data`` at ``offset`` of the real file, ended by offset = size = -1;
* block 0: DiskDumpHeader64 — "KDUMP   ", header_version, utsname (6 x 65 bytes),
  timestamp (22), then status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr, ...;
* block 1: KdumpSubHeader64 — phys_base, dump_level, split, start_pfn, end_pfn,
  offset_vmcoreinfo, size_vmcoreinfo, offset_note, note_size, ..., max_mapnr_64;
* bitmap_blocks blocks of two bitmaps (a bit per block-sized page): the second one
  says which pages were dumped;
* one PageDescriptor {uint64 offset, uint32 size, uint32 flags, uint64 page_flags}
  per dumped page in page order; flags 1 = zlib, 2 = lzo, 4 = snappy, 0 = stored.
"""

from __future__ import annotations

import bisect
import os
import struct
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import IO

from a64triage.errors import InputError

FLAT_SIGNATURE = b"makedumpfile"
KDUMP_SIGNATURE = b"KDUMP   "
FLAT_HEADER_SIZE = 4096
_HEADER_FIELDS = struct.Struct("<10I")  # status .. nr_cpus, at byte 424 of DiskDumpHeader64
_HEADER_FIELDS_AT = 8 + 4 + 6 * 65 + 22
_SUB_HEADER = struct.Struct("<QIIQQQQQQQQQQQ")
_PAGE_DESC = struct.Struct("<QIIQ")
_ZLIB, _LZO, _SNAPPY = 1, 2, 4
MAX_RECORDS = 1 << 22
MAX_BITMAP = 256 << 20  # 2 x 128 MiB of bitmap: 4 PiB of 4 KiB pages
MAX_BLOCK = 1 << 20
CACHED_PAGES = 64


@dataclass(frozen=True)
class _Record:
    offset: int  # in the reassembled file
    size: int
    at: int  # in the flattened file


class KdumpFile:
    """Random access to the reassembled file and to its dumped physical pages."""

    def __init__(self, path: str, fh: IO[bytes], size: int) -> None:
        self.path = path
        self.fh = fh
        self.file_size = size
        head = self._raw(0, 16)
        self.records: list[_Record] | None = None
        if head.startswith(FLAT_SIGNATURE):
            self.records = sorted(self._scan_records(), key=lambda r: r.offset)
            self._starts = [r.offset for r in self.records]
        header = self.read(0, _HEADER_FIELDS_AT + _HEADER_FIELDS.size, "the disk dump header")
        if header[:8] != KDUMP_SIGNATURE:
            raise InputError(path, "corrupt kdump core: no 'KDUMP   ' disk dump header")
        (_status, block_size, sub_hdr_size, bitmap_blocks, _mapnr, _ram, _dev, _written,
         self.current_cpu, self.nr_cpus) = _HEADER_FIELDS.unpack_from(header, _HEADER_FIELDS_AT)
        if not 512 <= block_size <= MAX_BLOCK or block_size & (block_size - 1):
            raise InputError(path, f"corrupt kdump core: block size {block_size}")
        if not 0 < bitmap_blocks * block_size <= MAX_BITMAP or bitmap_blocks % 2:
            raise InputError(path, f"corrupt kdump core: {bitmap_blocks} bitmap blocks")
        self.block_size = block_size
        sub = _SUB_HEADER.unpack(self.read(block_size, _SUB_HEADER.size, "the kdump sub-header"))
        (_phys_base, _level, _split, _spfn, _epfn, off_info, size_info, off_note, size_note,
         *_rest) = sub
        self.vmcoreinfo = self.read(off_info, size_info, "VMCOREINFO") if size_info else b""
        self.notes = self.read(off_note, size_note, "the ELF notes") if size_note else b""
        half = bitmap_blocks // 2 * block_size
        bitmap = self.read((1 + sub_hdr_size) * block_size + half, half, "the dump bitmap")
        words = memoryview(bitmap).cast("Q") if len(bitmap) % 8 == 0 else None
        if words is None:
            raise InputError(path, "corrupt kdump core: bitmap size")
        self._bitmap = bitmap
        self._before = [0, *accumulate(w.bit_count() for w in words)]  # dumped pages before word i
        self._descs = (1 + sub_hdr_size + bitmap_blocks) * block_size
        self._cache: OrderedDict[int, bytes] = OrderedDict()

    # --- the reassembled file
    def _raw(self, offset: int, size: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(size)

    def _scan_records(self) -> Iterator[_Record]:
        pos = FLAT_HEADER_SIZE
        for _ in range(MAX_RECORDS):
            hdr = self._raw(pos, 16)
            if len(hdr) < 16:
                raise InputError(self.path, f"truncated kdump core: the flattened stream stops at byte {pos} "
                                            "without its end marker (an interrupted dump or copy)")
            offset, size = struct.unpack(">qq", hdr)
            if offset == -1:
                return
            if offset < 0 or size < 0:
                raise InputError(self.path, f"corrupt kdump core: a record at byte {pos} claims {size} "
                                            f"bytes at offset {offset}")
            if pos + 16 + size > self.file_size:
                raise InputError(self.path, f"truncated kdump core: a record at byte {pos} claims {size} "
                                            f"bytes, the file ends at {self.file_size} (an interrupted dump or copy)")
            yield _Record(offset, size, pos + 16)
            pos += 16 + size
        raise InputError(self.path, f"corrupt kdump core: more than {MAX_RECORDS} flattened records")

    def read(self, offset: int, size: int, what: str = "data") -> bytes:
        """``size`` bytes at ``offset`` of the reassembled file (zeros where nothing was written)."""
        if self.records is None:
            data = self._raw(offset, size)
            if len(data) < size:
                raise InputError(self.path, f"truncated kdump core: {what} ends past the file's "
                                            f"{self.file_size} bytes")
            return data
        out = bytearray(size)
        i = max(0, bisect.bisect_right(self._starts, offset) - 1)
        end = offset + size
        for rec in self.records[i:]:  # QEMU's records do not overlap
            if rec.offset >= end:
                break
            lo, hi = max(offset, rec.offset), min(end, rec.offset + rec.size)
            if lo < hi:
                out[lo - offset:hi - offset] = self._raw(rec.at + lo - rec.offset, hi - lo)
        return bytes(out)

    # --- physical memory
    def dumped(self, pfn: int) -> bool:
        byte = pfn >> 3
        return byte < len(self._bitmap) and bool(self._bitmap[byte] >> (pfn & 7) & 1)

    def runs(self) -> Iterator[tuple[int, int]]:
        """(first pfn, page count) of each run of dumped pages."""
        start = None
        total = len(self._bitmap) * 8
        pfn = 0
        while pfn < total:
            if not self._bitmap[pfn >> 3] and pfn & 7 == 0:  # skip empty bytes fast
                if start is not None:
                    yield start, pfn - start
                    start = None
                pfn += 8
                continue
            if self.dumped(pfn):
                if start is None:
                    start = pfn
            elif start is not None:
                yield start, pfn - start
                start = None
            pfn += 1
        if start is not None:
            yield start, total - start

    def _index(self, pfn: int) -> int:
        word = pfn >> 6
        below = self._bitmap[word * 8:(pfn >> 3)]
        n = self._before[word] + sum(b.bit_count() for b in below)
        return n + (self._bitmap[pfn >> 3] & ((1 << (pfn & 7)) - 1)).bit_count()

    def page(self, pfn: int) -> bytes:
        cached = self._cache.get(pfn)
        if cached is not None:
            self._cache.move_to_end(pfn)
            return cached
        offset, size, flags, _pf = _PAGE_DESC.unpack(
            self.read(self._descs + _PAGE_DESC.size * self._index(pfn), _PAGE_DESC.size, "a page descriptor"))
        if size > self.block_size + 4096:
            raise InputError(self.path, f"corrupt kdump core: page {pfn:#x} claims {size} bytes")
        raw = self.read(offset, size, f"page {pfn:#x}")
        if flags & _ZLIB:
            try:
                data = zlib.decompress(raw)
            except zlib.error as exc:
                raise InputError(self.path, f"corrupt kdump core: page {pfn:#x}: {exc}") from None
        elif flags & (_LZO | _SNAPPY):
            kind = "lzo" if flags & _LZO else "snappy"
            raise InputError(self.path, f"{kind}-compressed kdump pages are not readable here: take the dump "
                                        "with format kdump-zlib or elf")
        elif flags:
            raise InputError(self.path, f"kdump page compression {flags:#x} is not readable here")
        else:
            data = raw
        if len(data) != self.block_size:
            raise InputError(self.path, f"corrupt kdump core: page {pfn:#x} is {len(data)} bytes")
        self._cache[pfn] = data
        if len(self._cache) > CACHED_PAGES:
            self._cache.popitem(last=False)
        return data

    def read_physical(self, address: int, count: int) -> bytes:
        out = bytearray()
        bs = self.block_size
        while count > 0:
            pfn, off = divmod(address, bs)
            take = min(count, bs - off)
            out += self.page(pfn)[off:off + take]
            address += take
            count -= take
        return bytes(out)


def open_kdump(path: str) -> KdumpFile:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - kept open by the KdumpFile for drgn's reads
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot read") from None
    return KdumpFile(path, fh, os.fstat(fh.fileno()).st_size)
