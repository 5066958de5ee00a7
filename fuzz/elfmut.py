"""ELF64 little-endian structure, read with ``struct`` only, for structure-aware mutation.

Deliberately independent of a64triage's own readers (symbols/rawelf.py, pyelftools,
drgn): a mutation is aimed by this code and judged by theirs, so a bug in one is not
hidden by the same bug in the other.  Field offsets are the System V gABI's
(ELF-64 Object File Format, "ELF Header", "Section Header", "Program Header",
"Symbol Table"); only what the mutators and the defect shapes need is here.
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

# (name, offset in the header, struct code) of the fields a mutation may aim at
EHDR_FIELDS = (("e_phoff", 0x20, "Q"), ("e_shoff", 0x28, "Q"), ("e_phentsize", 0x36, "H"),
               ("e_phnum", 0x38, "H"), ("e_shentsize", 0x3A, "H"), ("e_shnum", 0x3C, "H"),
               ("e_shstrndx", 0x3E, "H"))
SHDR_FIELDS = (("sh_name", 0, "I"), ("sh_type", 4, "I"), ("sh_flags", 8, "Q"), ("sh_addr", 16, "Q"),
               ("sh_offset", 24, "Q"), ("sh_size", 32, "Q"), ("sh_link", 40, "I"), ("sh_info", 44, "I"),
               ("sh_addralign", 48, "Q"), ("sh_entsize", 56, "Q"))
PHDR_FIELDS = (("p_type", 0, "I"), ("p_flags", 4, "I"), ("p_offset", 8, "Q"), ("p_vaddr", 16, "Q"),
               ("p_paddr", 24, "Q"), ("p_filesz", 32, "Q"), ("p_memsz", 40, "Q"), ("p_align", 48, "Q"))
SYM_FIELDS = (("st_name", 0, "I"), ("st_info", 4, "B"), ("st_other", 5, "B"), ("st_shndx", 6, "H"),
              ("st_value", 8, "Q"), ("st_size", 16, "Q"))
SYM_SIZE = 24


@dataclass(frozen=True)
class Section:
    index: int
    name: str
    header: int  # file offset of its section header
    offset: int
    size: int


def sections(data: bytes) -> dict[str, Section]:
    """Name -> Section (the last of a name wins; fixtures have unique names)."""
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    heads = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_at = heads[shstrndx][4]
    out = {}
    for i, h in enumerate(heads):
        start = names_at + h[0]
        name = data[start:data.index(b"\0", start)].decode("ascii", "replace")
        out[name] = Section(i, name, shoff + i * shentsize, h[4], h[5])
    return out


def program_headers(data: bytes) -> list[int]:
    """File offsets of the program headers."""
    phoff = struct.unpack_from("<Q", data, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return [phoff + i * phentsize for i in range(phnum)]


def symbols(data: bytes) -> dict[str, int]:
    """Symbol name -> file offset of its .symtab entry (first of a name)."""
    secs = sections(data)
    tab, strs = secs[".symtab"], secs[".strtab"]
    out: dict[str, int] = {}
    for at in range(tab.offset, tab.offset + tab.size, SYM_SIZE):
        start = strs.offset + struct.unpack_from("<I", data, at)[0]
        name = data[start:data.index(b"\0", start)].decode("ascii", "replace")
        out.setdefault(name, at)
    return out


def put(data: bytearray, at: int, code: str, value: int) -> None:
    struct.pack_into("<" + code, data, at, value & ((1 << (8 * struct.calcsize(code))) - 1))


def get(data: bytes, at: int, code: str) -> int:
    return int(struct.unpack_from("<" + code, data, at)[0])


# Values that sit on the edges readers get wrong: zero, one, sign bits, all ones, just
# past a 32-bit size, and "almost 2^64" (an address plus a size then passes 2^64).
EDGES = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF,
         0xFFFFFFFFFFFFF000, 0xFFFF800000000000)


class Mutator:
    """One seeded mutation per call: a header field, a symbol, a string-table byte
    (invalid UTF-8), a section's bytes, or plain byte flips, chosen at random."""

    def __init__(self, seed: bytes, rng: random.Random) -> None:
        self.seed = seed
        self.rng = rng
        self.secs = list(sections(seed).values())
        self.phdrs = program_headers(seed)
        try:
            self.syms = list(symbols(seed).values())
        except KeyError:  # no .symtab (a stripped image)
            self.syms = []
        self.strings = [s for s in self.secs if s.name in (".strtab", ".debug_str", ".debug_line_str",
                                                           ".shstrtab", ".debug_line") and s.size]
        self.contents = [s for s in self.secs if s.size and s.offset + s.size <= len(seed)
                         and s.name not in ("", ".bss")]

    def _value(self, old: int) -> int:
        r = self.rng
        pick = r.randrange(4)
        if pick == 0:
            return r.choice(EDGES)
        if pick == 1:
            return old + r.choice((-1, 1, 8, -8, 1 << 12, 1 << 32))
        if pick == 2:
            return old ^ (1 << r.randrange(64))
        return r.getrandbits(64)

    # how often each kind of mutation is picked: the ELF header rarely (it mostly ends the
    # read at once), section contents and tables often (they reach DWARF and symbols)
    KINDS = ("ehdr", "shdr", "phdr", "sym", "string", "section", "bytes")
    WEIGHTS = (3, 15, 10, 20, 17, 25, 10)

    def mutate(self, count: int = 0) -> bytes:
        r = self.rng
        data = bytearray(self.seed)
        for _ in range(count or 1 + r.randrange(3)):
            kind = r.choices(self.KINDS, self.WEIGHTS)[0]
            if kind == "ehdr":
                _, at, code = r.choice(EHDR_FIELDS)
                put(data, at, code, self._value(get(data, at, code)))
            elif kind == "shdr" and self.secs:
                sec = r.choice(self.secs)
                _, at, code = r.choice(SHDR_FIELDS)
                put(data, sec.header + at, code, self._value(get(data, sec.header + at, code)))
            elif kind == "phdr" and self.phdrs:
                ph = r.choice(self.phdrs)
                _, at, code = r.choice(PHDR_FIELDS)
                put(data, ph + at, code, self._value(get(data, ph + at, code)))
            elif kind == "sym" and self.syms:
                sym = r.choice(self.syms)
                _, at, code = r.choice(SYM_FIELDS)
                put(data, sym + at, code, self._value(get(data, sym + at, code)))
            elif kind == "string" and self.strings:
                sec = r.choice(self.strings)
                at = sec.offset + r.randrange(sec.size)
                data[at] = r.choice((0xFF, 0xC0, 0x80, 0xED, 0x00, r.randrange(256)))
            elif kind == "section" and self.contents:
                sec = r.choice(self.contents)
                for _ in range(1 + r.randrange(4)):
                    at = sec.offset + r.randrange(sec.size)
                    if r.randrange(2):
                        data[at] = r.randrange(256)
                    elif at + 8 <= len(data):
                        put(data, at, r.choice("BHIQ"), self._value(0))
            else:
                for _ in range(1 + r.randrange(8)):
                    at = r.randrange(len(data))
                    data[at] = r.randrange(256)
        return bytes(data)
