"""Bulk ELF64 reader for the audit stage: struct-based, no per-entry objects.

Auditing a whole vmlinux (150k symbols, 140k ``.rela.dyn`` entries) must take
well under two seconds, so this reader parses section headers, the symbol table
and relocation sections with ``struct.iter_unpack`` into plain tuples and never
builds pyelftools objects.  Everything is bounds-checked against the file size:
a truncated or lying header becomes one ``InputError`` line, never a traceback.
Little-endian AArch64 ELF64 only (what arm64 Linux uses).
"""

from __future__ import annotations

import mmap
import os
import struct
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from a64triage.errors import InputError
from a64triage.symbols.elf import EM_AARCH64, Section

# ELF64 constants (System V gABI, "ELF Header" / "Sections" / "Symbol Table").
_ET_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_SHT_NAMES = {0: "SHT_NULL", 1: "SHT_PROGBITS", 2: "SHT_SYMTAB", 3: "SHT_STRTAB", 4: "SHT_RELA",
              5: "SHT_HASH", 6: "SHT_DYNAMIC", 7: "SHT_NOTE", 8: "SHT_NOBITS", 9: "SHT_REL",
              11: "SHT_DYNSYM", 14: "SHT_INIT_ARRAY", 15: "SHT_FINI_ARRAY", 17: "SHT_GROUP",
              18: "SHT_SYMTAB_SHNDX", 19: "SHT_RELR", 0x6FFFFF00: "SHT_ANDROID_RELR"}
_STT_NAMES = {0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE", 5: "COMMON", 6: "TLS"}
_STB_NAMES = {0: "LOCAL", 1: "GLOBAL", 2: "WEAK"}
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")
_REL = struct.Struct("<QQ")


class RawSymbol(NamedTuple):
    """One symbol-table entry; ``section`` is None for undefined/absolute/common symbols.

    A NamedTuple rather than a frozen dataclass: a vmlinux has 150k of them and
    tuple construction is several times cheaper.
    """

    num: int  # index in the symbol table ("index" would shadow tuple.index)
    name: str
    value: int
    size: int
    type: str
    bind: str
    shndx: int
    section: str | None

    @property
    def defined(self) -> bool:
        return SHN_UNDEF < self.shndx < SHN_LORESERVE

    @property
    def is_mapping(self) -> bool:
        return self.name.startswith(("$x", "$d")) and (len(self.name) == 2 or self.name[2] == ".")


@dataclass(frozen=True)
class RawReloc:
    """One relocation: ``offset`` is a section offset (ET_REL) or a VA (linked image)."""

    offset: int
    type: int
    sym: int  # symbol index (0 = none)
    addend: int


class AuditElf:
    """An AArch64 ELF64 file opened for auditing (memory-mapped, read-only)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, "rb") as fh:
                self.size = os.fstat(fh.fileno()).st_size
                if self.size < _EHDR.size:
                    raise InputError(path, "not an ELF file (too short)")
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise InputError(path, exc.strerror or "cannot open") from exc
        ident, etype, machine, _ver, self.entry, _phoff, shoff, _flags, _ehsize, _phentsize, _phnum, \
            shentsize, shnum, shstrndx = _EHDR.unpack_from(self._map, 0)
        if ident[:4] != b"\x7fELF":
            raise InputError(path, "not an ELF file")
        if ident[4] != 2:
            raise InputError(path, "not a 64-bit ELF file (ELFCLASS32): arm64 needs ELF64")
        if ident[5] != 1:
            raise InputError(path, "big-endian ELF is not supported")
        if machine != EM_AARCH64:
            raise InputError(path, f"not an AArch64 ELF file (e_machine {machine})")
        self.etype = _ET_NAMES.get(etype, f"ET_{etype}")
        if shnum == 0 or shoff == 0:
            raise InputError(path, "no section headers (stripped to program headers only)")
        if shentsize != _SHDR.size or shoff + shnum * shentsize > self.size:
            raise InputError(path, "truncated or malformed section header table")
        raw = [_SHDR.unpack_from(self._map, shoff + i * shentsize) for i in range(shnum)]
        if shstrndx >= shnum:
            raise InputError(path, "bad section name string table index")
        names = self._bytes(raw[shstrndx][4], raw[shstrndx][5], "section names")
        secs = []
        for i, (nm, typ, flags, addr, off, size, link, info, _al, ent) in enumerate(raw):
            end = names.find(b"\0", nm)
            name = names[nm:end if end >= 0 else len(names)].decode("utf-8", "replace")
            stype = _SHT_NAMES.get(typ, f"SHT_{typ:#x}")
            if typ != 8 and size and off + size > self.size:
                raise InputError(path, f"section {name or i} is truncated (extends past end of file)")
            secs.append(Section(i, name, stype, flags, addr, off, size, link, info, ent))
        self.sections: tuple[Section, ...] = tuple(secs)

    def close(self) -> None:
        self._map.close()

    def __enter__(self) -> AuditElf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _bytes(self, off: int, size: int, what: str) -> bytes:
        if off + size > self.size:
            raise InputError(self.path, f"{what} extend past end of file (truncated)")
        return self._map[off:off + size]

    @property
    def is_relocatable(self) -> bool:
        return self.etype == "ET_REL"

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def data(self, sec: Section) -> bytes:
        """Section contents (empty for NOBITS)."""
        if sec.type == "SHT_NOBITS" or sec.size == 0:
            return b""
        return self._bytes(sec.offset, sec.size, f"section {sec.name}")

    @cached_property
    def _alloc_sorted(self) -> tuple[list[int], list[Section]]:
        secs = sorted((s for s in self.sections if s.is_alloc and s.size), key=lambda s: s.addr)
        return [s.addr for s in secs], secs

    def section_at(self, addr: int) -> Section | None:
        """The allocated section holding a linked VA (None outside the image)."""
        starts, secs = self._alloc_sorted
        i = bisect_right(starts, addr) - 1
        for j in (i, i - 1):
            if j >= 0 and secs[j].contains(addr):
                return secs[j]
        return None

    def read(self, addr: int, size: int) -> bytes | None:
        """Bytes at a linked VA (None when not file-backed)."""
        s = self.section_at(addr)
        if s is None or s.type == "SHT_NOBITS" or addr + size > s.addr + s.size:
            return None
        off = s.offset + addr - s.addr
        return self._map[off:off + size]

    @cached_property
    def symtab(self) -> Section | None:
        return self.section(".symtab") or self.section(".dynsym")

    @cached_property
    def symbols(self) -> tuple[RawSymbol, ...]:
        """All entries of .symtab (or .dynsym), index-aligned (entry 0 included)."""
        tab = self.symtab
        if tab is None:
            return ()
        if tab.entsize not in (0, _SYM.size) or tab.size % _SYM.size:
            raise InputError(self.path, f"malformed symbol table {tab.name}")
        if not 0 < tab.link < len(self.sections):
            raise InputError(self.path, f"symbol table {tab.name} has no string table")
        strtab = self.data(self.sections[tab.link])
        body = self.data(tab)
        secnames = [s.name for s in self.sections]
        nsec = len(secnames)
        limit = min(nsec, SHN_LORESERVE)
        find = strtab.find
        types = [_STT_NAMES.get(i, str(i)) for i in range(16)]
        binds = [_STB_NAMES.get(i, str(i)) for i in range(16)]
        out = []
        for i, (nm, info, _other, shndx, value, size) in enumerate(_SYM.iter_unpack(body)):
            end = find(b"\0", nm)
            name = strtab[nm:end if end >= 0 else len(strtab)].decode("utf-8", "replace")
            sec = secnames[shndx] if 0 < shndx < limit else None
            out.append(RawSymbol(i, name, value, size, types[info & 0xF], binds[info >> 4], shndx, sec))
        return tuple(out)

    def relocations(self, rel: Section) -> list[RawReloc]:
        """Entries of one SHT_RELA / SHT_REL section, parsed in bulk."""
        body = self.data(rel)
        st = _RELA if rel.type == "SHT_RELA" else _REL
        if len(body) % st.size:
            raise InputError(self.path, f"relocation section {rel.name} has a partial entry (truncated)")
        if st is _RELA:
            return [RawReloc(off, info & 0xFFFFFFFF, info >> 32, add) for off, info, add in _RELA.iter_unpack(body)]
        return [RawReloc(off, info & 0xFFFFFFFF, info >> 32, 0) for off, info in _REL.iter_unpack(body)]

    def rela_arrays(self, rel: Section) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(offsets, infos, addends) of a big SHT_RELA section such as .rela.dyn, without objects."""
        body = self.data(rel)
        n = len(body) // _RELA.size
        if len(body) % _RELA.size:
            raise InputError(self.path, f"relocation section {rel.name} has a partial entry (truncated)")
        flat = struct.unpack(f"<{n * 3}q", body)
        mask = (1 << 64) - 1
        offs = tuple(x & mask for x in flat[0::3])
        infos = tuple(x & mask for x in flat[1::3])
        return offs, infos, flat[2::3]

    def relr_places(self, sec: Section) -> list[int]:
        """Addresses relocated by a packed RELR section (SHT_RELR / SHT_ANDROID_RELR, as the arm64
        kernel links with ``--pack-dyn-relocs=relr``): an even word is an address, an odd word a
        bitmap of the 63 following words (gABI "Relative relocation table")."""
        body = self.data(sec)
        if len(body) % 8:
            raise InputError(self.path, f"{sec.name} has a partial entry (truncated)")
        out: list[int] = []
        base = 0
        for (w,) in struct.iter_unpack("<Q", body):
            if not w & 1:
                out.append(w)
                base = w + 8
                continue
            bits = w >> 1
            i = 0
            while bits:
                if bits & 1:
                    out.append(base + 8 * i)
                bits >>= 1
                i += 1
            base += 63 * 8
        return out
