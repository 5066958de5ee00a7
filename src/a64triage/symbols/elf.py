"""ELF access for every stage: the one module that wraps pyelftools.

Other stages get plain frozen dataclasses (sections, symbols, relocations) and
bytes; malformed or hostile files become ``InputError`` with one line naming the
file and the problem, never a pyelftools traceback.  Reads are bounded by the
file size, so a lying section header cannot make us allocate gigabytes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from a64triage.arm64.elf_relocs import reloc_name
from a64triage.errors import InputError

EM_AARCH64 = 183
SHT_RELA = 4
SHT_REL = 9
SHT_NOBITS = 8
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    type: str  # "SHT_PROGBITS", ...
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


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int
    type: str  # "FUNC", "OBJECT", "NOTYPE", "SECTION", "FILE", ...
    bind: str  # "LOCAL", "GLOBAL", "WEAK"
    shndx: int | None  # None for SHN_UNDEF/ABS/COMMON
    section: str | None

    @property
    def is_mapping(self) -> bool:
        """AAELF64 mapping symbols ($x, $d, with optional .suffix) mark code/data, not functions."""
        return self.name.startswith(("$x", "$d")) and (len(self.name) == 2 or self.name[2] == ".")


@dataclass(frozen=True)
class Relocation:
    offset: int  # r_offset: section offset in ET_REL, virtual address in linked images
    type: int
    type_name: str
    symbol: Symbol | None
    addend: int
    section: str  # the section the relocation applies to (via sh_info)
    section_index: int
    rel_section: str  # the SHT_RELA/SHT_REL section it came from
    is_rela: bool = True


class ElfImage:
    """An AArch64 ELF file (relocatable object, module, or linked image)."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._fh: IO[bytes] = open(path, "rb")  # noqa: SIM115 - kept open for lazy reads
        except OSError as exc:
            raise InputError(path, exc.strerror or "cannot open") from exc
        self.file_size = os.fstat(self._fh.fileno()).st_size
        head = self._fh.read(20)
        if len(head) < 20 or head[:4] != b"\x7fELF":
            self._fh.close()
            raise InputError(path, "not an ELF file")
        if head[4] != 2:
            self._fh.close()
            raise InputError(path, "not a 64-bit ELF file (ELFCLASS32): arm64 needs ELF64")
        self._fh.seek(0)
        try:
            self._elf: Any = ELFFile(self._fh)
        except (ELFError, struct.error, ValueError) as exc:
            self._fh.close()
            raise InputError(path, f"malformed ELF: {exc}") from exc
        machine = self._elf.header["e_machine"]
        if machine not in ("EM_AARCH64", EM_AARCH64):
            self._fh.close()
            raise InputError(path, f"not an AArch64 ELF file (e_machine {machine})")
        if not self._elf.little_endian:
            self._fh.close()
            raise InputError(path, "big-endian AArch64 is not supported")

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> ElfImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _guard(self, what: str) -> InputError:
        return InputError(self.path, f"malformed ELF while reading {what}")

    @property
    def etype(self) -> str:
        return str(self._elf.header["e_type"])

    @property
    def is_relocatable(self) -> bool:
        return self.etype == "ET_REL"

    @property
    def entry(self) -> int:
        return int(self._elf.header["e_entry"])

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        out = []
        try:
            for i, s in enumerate(self._elf.iter_sections()):
                h = s.header
                out.append(Section(i, s.name, str(h["sh_type"]), int(h["sh_flags"]), int(h["sh_addr"]),
                                   int(h["sh_offset"]), int(h["sh_size"]), int(h["sh_link"]),
                                   int(h["sh_info"]), int(h["sh_entsize"])))
        except (ELFError, struct.error, ValueError, KeyError, IndexError) as exc:
            raise self._guard("section headers") from exc
        return tuple(out)

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def section_at(self, addr: int) -> Section | None:
        """The allocated section holding a (linked) virtual address."""
        for s in self.sections:
            if s.is_alloc and s.size and s.contains(addr):
                return s
        return None

    def section_data(self, sec: Section) -> bytes:
        if sec.type == "SHT_NOBITS" or sec.size == 0:
            return b""
        if sec.offset > self.file_size or sec.offset + sec.size > self.file_size:
            raise InputError(self.path, f"section {sec.name} is truncated (extends past end of file)")
        self._fh.seek(sec.offset)
        return self._fh.read(sec.size)

    def read(self, addr: int, size: int) -> bytes | None:
        """Bytes at a linked virtual address (None when not in a file-backed section)."""
        sec = self.section_at(addr)
        if sec is None or sec.type == "SHT_NOBITS":
            return None
        start = addr - sec.addr
        size = min(size, sec.size - start)
        if sec.offset + start + size > self.file_size:
            return None
        self._fh.seek(sec.offset + start)
        return self._fh.read(size)

    @cached_property
    def symbols(self) -> tuple[Symbol, ...]:
        """Symbols of .symtab (or .dynsym when stripped), in file order."""
        try:
            tab = self._elf.get_section_by_name(".symtab") or self._elf.get_section_by_name(".dynsym")
            if tab is None:
                return ()
            names = {s.index: s.name for s in self.sections}
            out = []
            for sym in tab.iter_symbols():
                shndx = sym["st_shndx"]
                idx = shndx if isinstance(shndx, int) else None
                out.append(Symbol(sym.name, int(sym["st_value"]), int(sym["st_size"]),
                                  str(sym["st_info"]["type"]).removeprefix("STT_"),
                                  str(sym["st_info"]["bind"]).removeprefix("STB_"),
                                  idx, names.get(idx) if idx is not None else None))
        except (ELFError, struct.error, ValueError, KeyError, IndexError) as exc:
            raise self._guard("the symbol table") from exc
        return tuple(out)

    def relocation_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.type in ("SHT_RELA", "SHT_REL"))

    def relocations(self, rel_section: Section) -> Iterator[Relocation]:
        """Relocations of one SHT_RELA/SHT_REL section, symbols resolved by index."""
        try:
            sec = self._elf.get_section(rel_section.index)
            symtab = self.symbols if rel_section.link else ()
            target = self.sections[rel_section.info] if 0 < rel_section.info < len(self.sections) else None
            tname = target.name if target else rel_section.name.removeprefix(".rela").removeprefix(".rel")
            is_rela = rel_section.type == "SHT_RELA"
            for r in sec.iter_relocations():
                info_sym = int(r["r_info_sym"])
                rtype = int(r["r_info_type"])
                sym = symtab[info_sym] if 0 < info_sym < len(symtab) else None
                addend = int(r["r_addend"]) if is_rela else 0
                yield Relocation(int(r["r_offset"]), rtype, reloc_name(rtype), sym, addend, tname,
                                 rel_section.info, rel_section.name, is_rela)
        except (ELFError, struct.error, ValueError, KeyError, IndexError) as exc:
            raise self._guard(f"relocations in {rel_section.name}") from exc

    @cached_property
    def build_id(self) -> str | None:
        try:
            for s in self._elf.iter_sections():
                if s.header["sh_type"] != "SHT_NOTE":
                    continue
                for note in s.iter_notes():
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        return str(note["n_desc"])
        except (ELFError, struct.error, ValueError, KeyError) as exc:
            raise self._guard("notes") from exc
        return None

    @cached_property
    def debuglink(self) -> str | None:
        sec = self.section(".gnu_debuglink")
        if sec is None:
            return None
        data = self.section_data(sec)
        return data.split(b"\0", 1)[0].decode("utf-8", "replace") or None

    @property
    def has_dwarf(self) -> bool:
        return self.section(".debug_info") is not None

    @property
    def elffile(self) -> Any:
        """The underlying pyelftools object, for the DWARF readers in this package only."""
        return self._elf
