"""ELF access with relocation objects: ``ElfImage``, for objects, modules and ``disasm``.

``ElfImage`` is the struct reader of ``rawelf`` (same header checks, same
``Section``) plus what listing an object needs: each relocation as a
``Relocation`` with its symbol resolved, and the pyelftools ``ELFFile`` that the
pure-Python DWARF fallback (``dwarf_py``) walks.  pyelftools is imported only
when that handle is first asked for: it costs more than a 30-frame lookup.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

from a64triage.arm64.elf_relocs import reloc_name
from a64triage.errors import InputError
from a64triage.symbols.rawelf import RawElf, RawSymbol, Section

Symbol = RawSymbol

__all__ = ["ElfImage", "Relocation", "Section", "Symbol"]


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


class ElfImage(RawElf):
    """An AArch64 ELF file (relocatable object, module, or linked image)."""

    def __enter__(self) -> ElfImage:
        return self

    def relocation_sections(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.type in ("SHT_RELA", "SHT_REL"))

    def relocations(self, rel_section: Section) -> Iterator[Relocation]:
        """Relocations of one SHT_RELA/SHT_REL section, symbols resolved by index."""
        symtab = self.symbols if rel_section.link else ()
        target = self.sections[rel_section.info] if 0 < rel_section.info < len(self.sections) else None
        tname = target.name if target else rel_section.name.removeprefix(".rela").removeprefix(".rel")
        is_rela = rel_section.type == "SHT_RELA"
        for r in self.raw_relocations(rel_section):
            sym = symtab[r.sym] if 0 < r.sym < len(symtab) else None
            yield Relocation(r.offset, r.type, reloc_name(r.type), sym, r.addend, tname,
                             rel_section.info, rel_section.name, is_rela)

    @cached_property
    def _fh(self) -> IO[bytes]:
        try:
            return open(self.path, "rb")  # pyelftools reads it lazily; closed by close()
        except OSError as exc:
            raise InputError(self.path, exc.strerror or "cannot open") from exc

    @cached_property
    def elffile(self) -> Any:
        """The pyelftools ``ELFFile``, for the DWARF readers in this package only."""
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile

        try:
            return ELFFile(self._fh)
        except (ELFError, struct.error, ValueError) as exc:
            raise InputError(self.path, f"malformed ELF: {exc}") from exc

    def close(self) -> None:
        if "_fh" in self.__dict__:
            self._fh.close()
        super().close()
