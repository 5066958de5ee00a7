"""One address space for relocatable objects and linked images.

A linked image already has addresses.  A relocatable object gets a synthetic
layout: allocated section *i* at ``(i + 1) << 40`` and undefined symbol *k* at
``UNDEF_BASE + (k << 24)``; relocations are then "applied" with the AAELF64
formulas (``S + A``, ``Page(S + A)``) so the data-flow code sees the same values
it would see in a linked image and needs no second code path.
"""

from __future__ import annotations

import re
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from a64triage.arm64.elf_relocs import RelocKind, reloc_name, reloc_type
from a64triage.symbols.rawelf import RawElf, RawSymbol, Section

SEC_SHIFT = 40
UNDEF_BASE = 1 << 60
UNDEF_SHIFT = 24
R_ABS64, R_GLOB_DAT, R_RELATIVE = 257, 1025, 1027


@dataclass(frozen=True)
class CodeReloc:
    """A relocation on an instruction: type and resolved S + A."""

    type: int
    value: int
    target: str  # "sym+0x10"


@dataclass(frozen=True)
class Slot:
    """An 8-byte data word holding an absolute address (ABS64 in .o, .rela.dyn or raw in images)."""

    addr: int
    value: int
    relocation: str  # "R_AARCH64_ABS64", "R_AARCH64_RELATIVE", "(raw kernel VA)"
    target: str


@dataclass(frozen=True)
class RelocIssue:
    """Relocations the audit cannot interpret: unknown types and SHT_REL sections."""

    rel_section: str
    target_section: str
    type: int | None
    offset: int | None


class Image:
    """Sections, symbols, code relocations and data slots in one address space."""

    def __init__(self, elf: RawElf) -> None:
        self.elf = elf
        self.linked = not elf.is_relocatable
        self.kind = "relocatable" if elf.is_relocatable else ("linked-pie" if elf.etype == "ET_DYN" else "linked")
        self.sections = elf.sections
        self.base: dict[int, int] = {}
        if self.linked:
            for s in self.sections:
                if s.is_alloc:
                    self.base[s.index] = s.addr
        else:
            for s in self.sections:
                if s.is_alloc:
                    self.base[s.index] = (s.index + 1) << SEC_SHIFT
        self.code_relocs: dict[int, CodeReloc] = {}
        self.slots: dict[int, Slot] = {}
        self.dyn_values: dict[int, int] = {}  # RELATIVE .rela.dyn: place -> value, built in bulk
        self.issues: list[RelocIssue] = []
        self.dyn_count = 0
        self.relr_only = False  # linked image whose relative relocations are packed (.relr.dyn)
        self._load_relocations()

    # -- addresses -------------------------------------------------------------
    def sec_start(self, s: Section) -> int:
        return self.base.get(s.index, s.addr)

    def section_of(self, addr: int) -> Section | None:
        if self.linked:
            return self.elf.section_at(addr)
        if addr >= UNDEF_BASE:
            return None
        idx = (addr >> SEC_SHIFT) - 1
        if 0 <= idx < len(self.sections):
            s = self.sections[idx]
            if s.is_alloc and addr - self.base[idx] <= max(s.size, 0):
                return s
        return None

    def symbol_address(self, sym: RawSymbol) -> int:
        if sym.defined and sym.shndx in self.base:
            return (sym.value if self.linked else self.base[sym.shndx] + sym.value)
        if sym.shndx == 0xFFF1:  # SHN_ABS
            return sym.value
        return UNDEF_BASE + (sym.num << UNDEF_SHIFT)

    def read(self, addr: int, size: int) -> bytes | None:
        s = self.section_of(addr)
        if s is None or s.type == "SHT_NOBITS":
            return None
        off = addr - self.sec_start(s)
        if off + size > s.size:
            return None
        return self.elf.file_bytes(s.offset + off, size)

    def words(self, start: int, end: int) -> tuple[int, ...]:
        data = self.read(start, end - start) or b""
        n = len(data) // 4
        return struct.unpack_from(f"<{n}I", data)

    # -- symbols -----------------------------------------------------------------
    @cached_property
    def named(self) -> tuple[list[int], list[tuple[int, int, str, str]]]:
        """Sorted (addr, size, name, type) of symbols useful for naming addresses.

        At one address FUNC wins over OBJECT over the rest, and ``.L`` locals come last.
        Built with native tuple sorting (150k symbols in a vmlinux).
        """
        base = self.base
        linked = self.linked
        rank = {"FUNC": 0, "OBJECT": 1}
        keyed = []
        for sym in self.elf.symbols:
            t = sym.type
            if t == "SECTION" or t == "FILE" or not sym.name or sym.shndx not in base:
                continue
            name = sym.name
            if "$" in name and _is_mapping(name):
                continue
            addr = sym.value if linked else base[sym.shndx] + sym.value
            keyed.append((addr, rank.get(t, 2), name.startswith(".L"), name, sym.size, t))
        keyed.sort()
        rows = [(k[0], k[4], k[3], k[5]) for k in keyed]
        return [r[0] for r in rows], rows

    @cached_property
    def dunder_symbols(self) -> dict[str, int]:
        """Defined ``__*`` symbols by name (section boundary markers of linker scripts)."""
        return {sym.name: sym.value for sym in self.elf.symbols
                if sym.name.startswith("__") and 0 < sym.shndx < 0xFF00}

    @cached_property
    def functions(self) -> list[tuple[int, int, str]]:
        """(start, end, name) of FUNC symbols, sorted; sizeless ones end at the next symbol/section end."""
        base = self.base
        linked = self.linked
        keyed = [((sym.value if linked else base[sym.shndx] + sym.value), sym.size == 0, sym.name, sym.size)
                 for sym in self.elf.symbols if sym.type == "FUNC" and sym.shndx in base]
        # at one address prefer the sized symbol; sizeless ones end at the next start / section end
        keyed.sort()
        rows = [(k[0], k[3], k[2]) for k in keyed]
        out: list[tuple[int, int, str]] = []
        j = 0
        for a, size, name in rows:
            if out and out[-1][0] == a:
                continue
            end = a + size
            if size == 0:
                while j < len(rows) and rows[j][0] <= a:
                    j += 1
                nxt = rows[j][0] if j < len(rows) else None
                sec = self.section_of(a)
                send = self.sec_start(sec) + sec.size if sec else a + 4
                end = min(nxt, send) if nxt is not None else send
            out.append((a, end, name))
        return out

    def function_at(self, addr: int) -> tuple[int, int, str] | None:
        fns = self.functions
        i = bisect_right(fns, (addr, 1 << 64, "")) - 1
        if i >= 0 and fns[i][0] <= addr < fns[i][1]:
            return fns[i]
        return None

    def describe(self, addr: int) -> str:
        """``sym+0x10`` for an address (section+off, or the undefined symbol's name)."""
        name, off = self.place(addr)
        return _plus(name, off) if name is not None else f"{addr:#x}"

    def place(self, addr: int) -> tuple[str | None, int]:
        """(symbol or section, offset) of an address; (None, addr) when neither holds it.
        Callers that need the parts use this, never a parse of ``describe()``'s text (a
        symbol name may hold a '+')."""
        if addr >= UNDEF_BASE and not self.linked:
            idx = (addr - UNDEF_BASE) >> UNDEF_SHIFT
            off = (addr - UNDEF_BASE) & ((1 << UNDEF_SHIFT) - 1)
            syms = self.elf.symbols
            return (syms[idx].name if idx < len(syms) else "?"), off
        starts, rows = self.named
        i = bisect_right(starts, addr) - 1
        sec = self.section_of(addr)
        # prefer the closest preceding symbol in the same section
        while i >= 0:
            a, size, name, _t = rows[i]
            if sec is not None and self.section_of(a) is not sec:
                break
            if size == 0 or addr < a + size or rows[i][3] in ("FUNC", "NOTYPE"):
                return name, addr - a
            break
        if sec is not None:
            return sec.name, addr - self.sec_start(sec)
        return None, addr

    def string_at(self, addr: int, limit: int = 48) -> str | None:
        """The C string at ``addr`` when it lies in a string section (SHF_STRINGS), quoted."""
        sec = self.section_of(addr)
        if sec is None or not sec.flags & 0x20:
            return None
        data = self.read(addr, min(limit, self.sec_start(sec) + sec.size - addr)) or b""
        text = data.split(b"\0", 1)[0].decode("utf-8", "replace")
        return '"' + text.replace('"', '\\"') + ('..."' if len(text) >= limit else '"')

    def next_symbol_after(self, addr: int) -> int | None:
        starts, _rows = self.named
        i = bisect_right(starts, addr)
        return starts[i] if i < len(starts) else None

    # -- relocations ---------------------------------------------------------------
    def _load_relocations(self) -> None:
        syms = self.elf.symbols
        for rs in self.elf.sections:
            if rs.type not in ("SHT_RELA", "SHT_REL", "SHT_RELR", "SHT_ANDROID_RELR"):
                continue
            target = self.sections[rs.info] if 0 < rs.info < len(self.sections) else None
            tname = target.name if target else "?"
            if rs.type in ("SHT_RELR", "SHT_ANDROID_RELR") and self.linked:
                self._load_relr(rs)
                continue
            if rs.type == "SHT_REL":
                self.issues.append(RelocIssue(rs.name, tname, None, None))
            if self.linked:
                if rs.name == ".rela.dyn" or (target is None and rs.type == "SHT_RELA" and rs.is_alloc):
                    self._load_dynamic(rs)
                continue
            if target is None or not target.is_alloc:
                continue
            base = self.base[target.index]
            for r in self.elf.raw_relocations(rs):
                rt = reloc_type(r.type)
                if rt is None:
                    self.issues.append(RelocIssue(rs.name, tname, r.type, r.offset))
                    continue
                if rt.kind is RelocKind.NONE:
                    continue
                sym = syms[r.sym] if 0 < r.sym < len(syms) else None
                s_addr = self.symbol_address(sym) if sym is not None else 0
                value = s_addr + r.addend
                if sym is None:
                    tdesc = _plus("*ABS*", r.addend)
                elif sym.type == "SECTION" or not sym.name:
                    tdesc = self.describe(value)
                elif sym.defined:
                    tdesc = self.describe(value) if r.addend else sym.name
                else:
                    tdesc = _plus(sym.name, r.addend)
                place = base + r.offset
                if target.is_exec and rt.size == 4:
                    self.code_relocs[place] = CodeReloc(r.type, value, tdesc)
                elif rt.kind is RelocKind.ABSOLUTE and rt.size == 8:
                    self.slots[place] = Slot(place, value, rt.full_name, tdesc)
                elif target.is_exec:
                    self.code_relocs[place] = CodeReloc(r.type, value, tdesc)

    def _load_dynamic(self, rs: Section) -> None:
        """``.rela.dyn`` in bulk: RELATIVE entries (the vast majority) go straight into a dict."""
        offs, infos, addends = self.elf.rela_arrays(rs)
        syms = self.elf.symbols if rs.link else ()
        self.dyn_count += len(offs)
        mask = 0xFFFFFFFFFFFFFFFF
        self.dyn_values.update({o: a & mask for o, i, a in zip(offs, infos, addends, strict=True)
                                if i == R_RELATIVE})
        for off, info, add in zip(offs, infos, addends, strict=True):
            t = info & 0xFFFFFFFF
            if t in (R_RELATIVE, 0):
                continue
            if t in (R_ABS64, R_GLOB_DAT):
                k = info >> 32
                sv = syms[k].value if 0 < k < len(syms) else 0
                value = (sv + add) & mask
                self.slots[off] = Slot(off, value, reloc_name(t), f"{value:#x}")
            elif reloc_type(t) is None:
                self.issues.append(RelocIssue(rs.name, "(dynamic)", t, off))

    def _load_relr(self, rs: Section) -> None:
        """Packed relative relocations: the addend is the value stored at the place."""
        places = self.elf.relr_places(rs)
        self.relr_only = True
        self.dyn_count += len(places)
        for a in places:
            data = self.read(a, 8)
            if data is not None and len(data) == 8:
                self.dyn_values[a] = struct.unpack("<Q", data)[0]

    def slot(self, addr: int) -> Slot | None:
        s = self.slots.get(addr)
        if s is None and addr in self.dyn_values:
            v = self.dyn_values[addr]
            return Slot(addr, v, "R_AARCH64_RELATIVE", f"{v:#x}")
        return s

    @cached_property
    def slot_addrs(self) -> list[int]:
        return sorted(set(self.slots) | set(self.dyn_values))

    def slots_in(self, start: int, end: int) -> list[int]:
        addrs = self.slot_addrs
        return addrs[bisect_left(addrs, start):bisect_left(addrs, end)]

    def raw_slots(self, start: int, end: int) -> Iterator[Slot]:
        """8-byte words in [start, end) of a linked image that hold an address inside the image."""
        data = self.read(start, end - start)
        if not data:
            return
        lo, hi = self.image_bounds
        first = (start + 7) & ~7
        for a in range(first, end - 7, 8):
            (v,) = struct.unpack_from("<Q", data, a - start)
            if lo <= v < hi:
                yield Slot(a, v, "(raw kernel VA)", f"{v:#x}")

    @cached_property
    def image_bounds(self) -> tuple[int, int]:
        alloc = [s for s in self.sections if s.is_alloc and s.size]
        if not alloc:
            return (0, 0)
        return (min(s.addr for s in alloc), max(s.addr + s.size for s in alloc))


_MAPPING = re.compile(r"\$[xd](\.\d+)?$")


def _is_mapping(name: str) -> bool:
    """AAELF64 mapping symbols ($x, $d, $d.1), also behind a --prefix-symbols prefix."""
    return "$" in name and _MAPPING.search(name) is not None


def _plus(name: str, off: int) -> str:
    if off == 0:
        return name
    return f"{name}+{off:#x}" if off > 0 else f"{name}-{-off:#x}"
