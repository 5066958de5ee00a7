"""A minimal ELF64 reader for the symbolize hot path (linked vmlinux, drgn backend).

``ElfImage`` (pyelftools) is the general reader; importing it costs more than
the whole symbol lookup for a 30-frame oops (pyelftools' construct structs and
the relocation tables load in ~0.15 s).  For a linked image all the symbolizer
needs is section headers, section bytes, program headers and the build-id note,
which ``struct`` reads directly.  Same checks as ``ElfImage``: not ELF, ELF32,
big-endian, not AArch64, truncated -> ``InputError`` with one line.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import cached_property
from typing import IO

from a64triage.errors import InputError

EM_AARCH64 = 183
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHT = {0: "SHT_NULL", 1: "SHT_PROGBITS", 2: "SHT_SYMTAB", 3: "SHT_STRTAB", 4: "SHT_RELA",
        5: "SHT_HASH", 6: "SHT_DYNAMIC", 7: "SHT_NOTE", 8: "SHT_NOBITS", 9: "SHT_REL",
        11: "SHT_DYNSYM"}
_ET = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_PT_LOAD = 1
_NT_GNU_BUILD_ID = 3
_SHF_ALLOC = 0x2
_SHF_EXECINSTR = 0x4
_SHF_WRITE = 0x1
_MAX_SECTIONS = 65536


@dataclass(frozen=True)
class LeanSection:
    """The fields of ``elf.Section`` the symbolizer reads (same names and meaning)."""

    index: int
    name: str
    type: str
    flags: int
    addr: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int

    @property
    def is_alloc(self) -> bool:
        return bool(self.flags & _SHF_ALLOC)

    @property
    def is_exec(self) -> bool:
        return bool(self.flags & _SHF_EXECINSTR)

    @property
    def is_write(self) -> bool:
        return bool(self.flags & _SHF_WRITE)

    def contains(self, addr: int) -> bool:
        return self.addr <= addr < self.addr + self.size


class LeanElf:
    """Section/segment level access to a little-endian AArch64 ELF64 file."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - kept open for lazy reads
        except OSError as exc:
            raise InputError(path, exc.strerror or "cannot open") from exc
        self.file_size = os.fstat(self._fh.fileno()).st_size
        head = self._fh.read(_EHDR.size)
        try:
            self._check(head)
        except InputError:
            self._fh.close()
            raise

    def _check(self, head: bytes) -> None:
        if len(head) < 20 or head[:4] != b"\x7fELF":
            raise InputError(self.path, "not an ELF file")
        if head[4] != 2:
            raise InputError(self.path, "not a 64-bit ELF file (ELFCLASS32): arm64 needs ELF64")
        if head[5] != 1:
            raise InputError(self.path, "big-endian AArch64 is not supported")
        if len(head) < _EHDR.size:
            raise InputError(self.path, "malformed ELF: truncated header")
        (_ident, etype, machine, _ver, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
         shentsize, shnum, shstrndx) = _EHDR.unpack(head)
        if machine != EM_AARCH64:
            raise InputError(self.path, f"not an AArch64 ELF file (e_machine {machine})")
        self.etype = _ET.get(etype, str(etype))
        self._phoff, self._phnum, self._phentsize = phoff, phnum, phentsize
        self._shoff, self._shnum, self._shentsize, self._shstrndx = shoff, shnum, shentsize, shstrndx

    def close(self) -> None:
        self._fh.close()

    @property
    def is_relocatable(self) -> bool:
        return self.etype == "ET_REL"

    def _pread(self, offset: int, size: int, what: str) -> bytes:
        if offset < 0 or size < 0 or offset + size > self.file_size:
            raise InputError(self.path, f"malformed ELF while reading {what} (past the end of the file)")
        self._fh.seek(offset)
        return self._fh.read(size)

    @cached_property
    def sections(self) -> tuple[LeanSection, ...]:
        if self._shnum == 0:
            return ()
        if self._shentsize != _SHDR.size or self._shnum > _MAX_SECTIONS:
            raise InputError(self.path, "malformed ELF while reading section headers")
        raw = self._pread(self._shoff, self._shnum * _SHDR.size, "section headers")
        hdrs = list(_SHDR.iter_unpack(raw))
        if not 0 <= self._shstrndx < len(hdrs):
            raise InputError(self.path, "malformed ELF while reading section headers")
        strh = hdrs[self._shstrndx]
        names = self._pread(strh[4], strh[5], "section names")
        out = []
        for i, (name, stype, flags, addr, off, size, link, info, _align, entsize) in enumerate(hdrs):
            end = names.find(b"\0", name)
            label = names[name:end if end >= 0 else len(names)].decode("utf-8", "replace")
            out.append(LeanSection(i, label, _SHT.get(stype, f"0x{stype:x}"), flags, addr, off, size,
                                   link, info, entsize))
        return tuple(out)

    def section(self, name: str) -> LeanSection | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def section_at(self, addr: int) -> LeanSection | None:
        for s in self.sections:
            if s.is_alloc and s.size and s.contains(addr):
                return s
        return None

    def section_data(self, sec: LeanSection) -> bytes:
        if sec.type == "SHT_NOBITS" or sec.size == 0:
            return b""
        if sec.offset + sec.size > self.file_size:
            raise InputError(self.path, f"section {sec.name} is truncated (extends past end of file)")
        return self._pread(sec.offset, sec.size, sec.name)

    def read(self, addr: int, size: int) -> bytes | None:
        sec = self.section_at(addr)
        if sec is None or sec.type == "SHT_NOBITS":
            return None
        start = addr - sec.addr
        size = min(size, sec.size - start)
        if sec.offset + start + size > self.file_size:
            return None
        self._fh.seek(sec.offset + start)
        return self._fh.read(size)

    def load_span(self) -> tuple[int, int] | None:
        """Lowest and highest PT_LOAD address (what drgn derives its bias from)."""
        if self._phnum == 0 or self._phentsize != _PHDR.size:
            return None
        raw = self._pread(self._phoff, self._phnum * _PHDR.size, "program headers")
        segs = [(vaddr, vaddr + memsz) for ptype, _f, _o, vaddr, _p, _fs, memsz, _a
                in _PHDR.iter_unpack(raw) if ptype == _PT_LOAD]
        if not segs:
            return None
        return min(a for a, _ in segs), max(b for _, b in segs)

    @cached_property
    def build_id(self) -> str | None:
        for s in self.sections:
            if s.type != "SHT_NOTE" or s.size > 1 << 20:
                continue
            data = self.section_data(s)
            pos = 0
            while pos + 12 <= len(data):
                namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
                name_end = pos + 12 + ((namesz + 3) & ~3)
                desc_end = name_end + ((descsz + 3) & ~3)
                if desc_end > len(data):
                    break
                if ntype == _NT_GNU_BUILD_ID and data[pos + 12:pos + 12 + namesz].rstrip(b"\0") == b"GNU":
                    return data[name_end:name_end + descsz].hex()
                pos = desc_end
        return None

    @cached_property
    def debuglink(self) -> str | None:
        sec = self.section(".gnu_debuglink")
        if sec is None:
            return None
        return self.section_data(sec).split(b"\0", 1)[0].decode("utf-8", "replace") or None

    @property
    def has_dwarf(self) -> bool:
        return self.section(".debug_info") is not None
