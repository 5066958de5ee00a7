"""The one ELF64 reader: ``struct`` over a read-only ``mmap``, no per-entry objects.

Every stage reads ELF through this module (``elf.ElfImage`` only adds
relocation objects and the pyelftools handle the pure-Python DWARF fallback
needs).  A distribution vmlinux is 270 MB with 150k symbols and 140k
``.rela.dyn`` entries, so nothing is parsed until asked for, big tables are
parsed in bulk (``struct.iter_unpack``, ``memoryview.cast``) and section bytes
come straight from the mapping.  Everything is bounds-checked against the file
size: not ELF, ELF32, big-endian, not AArch64, truncated or lying headers become
one ``InputError`` line, never a traceback; names are decoded with replacement
(``text``, ``cstr``) and address ranges checked against the end of the 64-bit
space (``checked_end``), for the DWARF backends too.  Little-endian AArch64 ELF64 only
(what arm64 Linux uses).
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

# ELF64 constants (System V gABI, "ELF Header" / "Sections" / "Symbol Table" / "Program Header").
EM_AARCH64 = 183
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
_PT_LOAD = 1
_NT_GNU_BUILD_ID = 3
_ET_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_SHT_NAMES = {0: "SHT_NULL", 1: "SHT_PROGBITS", 2: "SHT_SYMTAB", 3: "SHT_STRTAB", 4: "SHT_RELA",
              5: "SHT_HASH", 6: "SHT_DYNAMIC", 7: "SHT_NOTE", 8: "SHT_NOBITS", 9: "SHT_REL",
              11: "SHT_DYNSYM", 14: "SHT_INIT_ARRAY", 15: "SHT_FINI_ARRAY", 17: "SHT_GROUP",
              18: "SHT_SYMTAB_SHNDX", 19: "SHT_RELR", 0x6FFFFF00: "SHT_ANDROID_RELR"}
STT_NAMES = {0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE", 5: "COMMON", 6: "TLS"}
STB_NAMES = {0: "LOCAL", 1: "GLOBAL", 2: "WEAK"}
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR = struct.Struct("<IIQQQQQQ")
SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")
_REL = struct.Struct("<QQ")
_MAX_SECTIONS = 65536
ADDRESS_END = 1 << 64  # one past the last address of the 64-bit space


def checked_end(start: int, size: int) -> int | None:
    """``start + size`` of a range read from the file, None when it passes the end of the
    64-bit address space (no real image does; drgn and libdw cannot take it)."""
    end = start + size
    return end if end <= ADDRESS_END else None


def cstr(blob: bytes, offset: int = 0) -> str:
    """The NUL-terminated string at ``offset`` of a string table or section (to the end of
    ``blob`` when unterminated), as ``text``."""
    end = blob.find(b"\0", offset)
    return text(blob[offset:end if end >= 0 else len(blob)])


def text(raw: bytes | str | None) -> str:
    """A name read from ELF or DWARF as text: UTF-8, invalid bytes replaced (names are
    almost always ASCII; a hostile or damaged file must still give a string).  None is
    what pyelftools gives for a string whose form it cannot read: no text, ""."""
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class Section:
    """One section header; ``type`` is the gABI name (``SHT_PROGBITS``, ...)."""

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
        return bool(self.flags & SHF_ALLOC)

    @property
    def is_exec(self) -> bool:
        return bool(self.flags & SHF_EXECINSTR)

    @property
    def is_write(self) -> bool:
        return bool(self.flags & SHF_WRITE)

    def contains(self, addr: int) -> bool:
        return self.addr <= addr < self.addr + self.size


class RawSymbol(NamedTuple):
    """One symbol-table entry; ``section`` is None for undefined/absolute/common symbols.

    A NamedTuple rather than a frozen dataclass: a vmlinux has 150k of them and
    tuple construction is several times cheaper.
    """

    num: int  # index in the symbol table ("index" would shadow tuple.index)
    name: str
    value: int
    size: int
    type: str  # "FUNC", "OBJECT", "NOTYPE", "SECTION", "FILE", ...
    bind: str  # "LOCAL", "GLOBAL", "WEAK"
    shndx: int
    section: str | None

    @property
    def defined(self) -> bool:
        return SHN_UNDEF < self.shndx < SHN_LORESERVE

    @property
    def is_mapping(self) -> bool:
        """AAELF64 mapping symbols ($x, $d, with optional .suffix) mark code/data, not functions."""
        return self.name.startswith(("$x", "$d")) and (len(self.name) == 2 or self.name[2] == ".")


@dataclass(frozen=True)
class RawReloc:
    """One relocation: ``offset`` is a section offset (ET_REL) or a VA (linked image)."""

    offset: int
    type: int
    sym: int  # symbol index (0 = none)
    addend: int


class ElfHeader(NamedTuple):
    etype: str
    entry: int
    phoff: int
    phentsize: int
    phnum: int
    shoff: int
    shentsize: int
    shnum: int
    shstrndx: int


def parse_header(path: str, head: bytes) -> ElfHeader:
    """Validate the ELF header (first 64 bytes): one ``InputError`` line per way it can be wrong."""
    if len(head) < 20 or head[:4] != b"\x7fELF":
        raise InputError(path, "not an ELF file")
    if head[4] != 2:
        raise InputError(path, "not a 64-bit ELF file (ELFCLASS32): arm64 needs ELF64")
    if head[5] != 1:
        raise InputError(path, "big-endian AArch64 is not supported")
    if len(head) < _EHDR.size:
        raise InputError(path, "malformed ELF: truncated header")
    (_ident, etype, machine, _ver, entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = _EHDR.unpack_from(head)
    if machine != EM_AARCH64:
        raise InputError(path, f"not an AArch64 ELF file (e_machine {machine})")
    return ElfHeader(_ET_NAMES.get(etype, f"ET_{etype}"), entry, phoff, phentsize, phnum,
                     shoff, shentsize, shnum, shstrndx)


class RawElf:
    """A little-endian AArch64 ELF64 file, memory-mapped read-only.

    The header and section table are checked when opened; tables are parsed on
    first use.  Callers that keep many files open should ``close()`` them (or
    use ``with``).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, "rb") as fh:
                self.file_size = os.fstat(fh.fileno()).st_size
                head = fh.read(_EHDR.size)
                hdr = parse_header(path, head)
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise InputError(path, exc.strerror or "cannot open") from exc
        self.etype = hdr.etype
        self.entry = hdr.entry
        self._hdr = hdr
        self.sections: tuple[Section, ...] = self._parse_sections(hdr)

    def _malformed(self, what: str) -> InputError:
        return InputError(self.path, f"malformed ELF: {what}")

    def _parse_sections(self, hdr: ElfHeader) -> tuple[Section, ...]:
        if hdr.shnum == 0 or hdr.shoff == 0:
            raise self._malformed("no section headers (stripped to program headers only)")
        if hdr.shentsize != _SHDR.size or hdr.shnum > _MAX_SECTIONS \
                or hdr.shoff + hdr.shnum * _SHDR.size > self.file_size:
            raise self._malformed("truncated or bad section header table")
        raw = list(_SHDR.iter_unpack(self._map[hdr.shoff:hdr.shoff + hdr.shnum * _SHDR.size]))
        if hdr.shstrndx >= hdr.shnum:
            raise self._malformed("bad section name string table index")
        names = self.file_bytes(raw[hdr.shstrndx][4], raw[hdr.shstrndx][5], "section names")
        secs = []
        for i, (nm, typ, flags, addr, off, size, link, info, _al, ent) in enumerate(raw):
            name = cstr(names, nm)
            if typ != 8 and size and off + size > self.file_size:
                raise self._malformed(f"section {name or i} is truncated (extends past end of file)")
            secs.append(Section(i, name, _SHT_NAMES.get(typ, f"SHT_{typ:#x}"), flags, addr, off, size,
                                link, info, ent))
        return tuple(secs)

    def close(self) -> None:
        self._map.close()

    def __enter__(self) -> RawElf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- bytes ----------------------------------------------------------------------------

    def file_bytes(self, offset: int, size: int, what: str = "data") -> bytes:
        """``size`` bytes at a file offset (an ``InputError`` when past the end of the file)."""
        if offset < 0 or size < 0 or offset + size > self.file_size:
            raise self._malformed(f"{what} extend past end of file (truncated)")
        return self._map[offset:offset + size]

    def digest(self, sections: tuple[Section, ...]) -> str:
        """SHA-1 of these sections' bytes, read in place (what a cache built from them is keyed by)."""
        import hashlib

        h = hashlib.sha1(usedforsecurity=False)
        with memoryview(self._map) as whole:
            for sec in sections:
                if sec.type != "SHT_NOBITS" and sec.size:
                    if sec.offset + sec.size > self.file_size:
                        raise self._malformed(f"section {sec.name} extends past end of file (truncated)")
                    h.update(whole[sec.offset:sec.offset + sec.size])
        return h.hexdigest()

    def section_data(self, sec: Section) -> bytes:
        """Section contents (empty for NOBITS)."""
        if sec.type == "SHT_NOBITS" or sec.size == 0:
            return b""
        return self.file_bytes(sec.offset, sec.size, f"section {sec.name}")

    def read(self, addr: int, size: int) -> bytes | None:
        """Bytes at a linked VA, cut at the end of its section (None when not file-backed)."""
        sec = self.section_at(addr)
        if sec is None or sec.type == "SHT_NOBITS":
            return None
        start = sec.offset + addr - sec.addr
        return self._map[start:start + min(size, sec.size - (addr - sec.addr))]

    # --- sections and segments --------------------------------------------------------------

    @property
    def is_relocatable(self) -> bool:
        return self.etype == "ET_REL"

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

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

    def load_span(self) -> tuple[int, int] | None:
        """Lowest and highest PT_LOAD address (what drgn derives its bias from)."""
        hdr = self._hdr
        if hdr.phnum == 0 or hdr.phentsize != _PHDR.size:
            return None
        raw = self.file_bytes(hdr.phoff, hdr.phnum * _PHDR.size, "program headers")
        segs = []
        for ptype, _f, _o, vaddr, _p, _fs, memsz, _a in _PHDR.iter_unpack(raw):
            if ptype != _PT_LOAD:
                continue
            end = checked_end(vaddr, memsz)
            if end is None:
                raise self._malformed(f"PT_LOAD at {vaddr:#x} of {memsz:#x} bytes passes the end "
                                      "of the 64-bit address space")
            segs.append((vaddr, end))
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
        return cstr(self.section_data(sec)) or None

    @property
    def has_dwarf(self) -> bool:
        return self.section(".debug_info") is not None

    # --- symbols and relocations ---------------------------------------------------------

    @cached_property
    def symtab(self) -> Section | None:
        """``.symtab``, or ``.dynsym`` when stripped."""
        return self.section(".symtab") or self.section(".dynsym")

    def symtab_parts(self) -> tuple[Section, bytes, bytes] | None:
        """The symbol table section, its entries and its string table, checked (None when absent)."""
        tab = self.symtab
        if tab is None:
            return None
        if tab.entsize not in (0, SYM.size) or tab.size % SYM.size:
            raise self._malformed(f"bad symbol table {tab.name}")
        if not 0 < tab.link < len(self.sections):
            raise self._malformed(f"symbol table {tab.name} has no string table")
        return tab, self.section_data(tab), self.section_data(self.sections[tab.link])

    @cached_property
    def symbols(self) -> tuple[RawSymbol, ...]:
        """All entries of .symtab (or .dynsym), index-aligned (entry 0 included)."""
        parts = self.symtab_parts()
        if parts is None:
            return ()
        _tab, body, strtab = parts
        secnames = [s.name for s in self.sections]
        limit = min(len(secnames), SHN_LORESERVE)
        types = [STT_NAMES.get(i, str(i)) for i in range(16)]
        binds = [STB_NAMES.get(i, str(i)) for i in range(16)]
        out = []
        for i, (nm, info, _other, shndx, value, size) in enumerate(SYM.iter_unpack(body)):
            name = cstr(strtab, nm)
            sec = secnames[shndx] if 0 < shndx < limit else None
            out.append(RawSymbol(i, name, value, size, types[info & 0xF], binds[info >> 4], shndx, sec))
        return tuple(out)

    def raw_relocations(self, rel: Section) -> list[RawReloc]:
        """Entries of one SHT_RELA / SHT_REL section, parsed in bulk."""
        body = self.section_data(rel)
        st = _RELA if rel.type == "SHT_RELA" else _REL
        if len(body) % st.size:
            raise self._malformed(f"relocation section {rel.name} has a partial entry (truncated)")
        if st is _RELA:
            return [RawReloc(off, info & 0xFFFFFFFF, info >> 32, add) for off, info, add in _RELA.iter_unpack(body)]
        return [RawReloc(off, info & 0xFFFFFFFF, info >> 32, 0) for off, info in _REL.iter_unpack(body)]

    def rela_arrays(self, rel: Section) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(offsets, infos, addends) of a big SHT_RELA section such as .rela.dyn, without objects."""
        body = self.section_data(rel)
        n = len(body) // _RELA.size
        if len(body) % _RELA.size:
            raise self._malformed(f"relocation section {rel.name} has a partial entry (truncated)")
        flat = struct.unpack(f"<{n * 3}q", body)
        mask = (1 << 64) - 1
        offs = tuple(x & mask for x in flat[0::3])
        infos = tuple(x & mask for x in flat[1::3])
        return offs, infos, flat[2::3]

    def relr_places(self, sec: Section) -> list[int]:
        """Addresses relocated by a packed RELR section (SHT_RELR / SHT_ANDROID_RELR, as the arm64
        kernel links with ``--pack-dyn-relocs=relr``): an even word is an address, an odd word a
        bitmap of the 63 following words (gABI "Relative relocation table")."""
        body = self.section_data(sec)
        if len(body) % 8:
            raise self._malformed(f"{sec.name} has a partial entry (truncated)")
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
