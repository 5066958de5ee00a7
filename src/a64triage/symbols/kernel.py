"""Facts read out of a kernel image: its version banner and its BUG()/WARN() table."""

from __future__ import annotations

import re
import struct

from a64triage.errors import InputError
from a64triage.symbols.image import ImageLike
from a64triage.symbols.rawelf import SYM, RawElf, cstr
from a64triage.symbols.symtab import SymbolTable

# include/asm-generic/bug.h (v6.1) with CONFIG_GENERIC_BUG_RELATIVE_POINTERS (selected by
# arm64) and CONFIG_DEBUG_BUGVERBOSE: struct bug_entry { s32 bug_addr_disp; s32 file_disp;
# u16 line; u16 flags; }.  Each displacement is relative to the field's own address.
BUG_ENTRY = struct.Struct("<iiHH")
BUG_FLAGS = {1 << 0: "WARNING", 1 << 1: "ONCE", 1 << 2: "DONE", 1 << 3: "NO_CUT_HERE"}  # BUGFLAG_*

_BANNER_MAX = 512
BANNER_SYMBOL = "linux_banner"  # init/version.c: the "Linux version ..." string
# Names the symbolizer looks up in every vmlinux (warmup's helper looks them up in advance).
LOOKED_UP = (BANNER_SYMBOL,)


def linux_banner(image: ImageLike, symtab: SymbolTable) -> str | None:
    """The ``Linux version ...`` string init/version.c puts in .rodata."""
    for sym in symtab.named(BANNER_SYMBOL):
        size = sym.size or _BANNER_MAX
        data = image.read(sym.addr, min(size, _BANNER_MAX))
        if data:
            return cstr(data).strip() or None
    return None


def banner_of(image: RawElf) -> str | None:
    """``linux_banner`` without building a symbol table (the matching check runs before one
    is built): the name searched in the string table, its entry in the symbol table."""
    parts = image.symtab_parts()
    if parts is None:
        return None
    _tab, body, strs = parts
    k = strs.find(b"\0" + BANNER_SYMBOL.encode() + b"\0")
    if k < 0:
        return None
    pat = (k + 1).to_bytes(4, "little")
    i = body.find(pat)
    while i >= 0:
        if i % SYM.size == 0:
            _nm, _info, _other, _shndx, value, size = SYM.unpack_from(body, i)
            data = image.read(value, min(size or _BANNER_MAX, _BANNER_MAX))
            if data:
                return cstr(data).strip() or None
        i = body.find(pat, i + 1)
    return None


def banner_release(banner: str) -> str | None:
    m = re.match(r"Linux version (\S+)", banner)
    return m.group(1) if m else None


def version_tokens(build: str) -> list[str]:
    """The parts of a ``#1 SMP Debian 6.1.158-1 (2025-..)`` string that identify a build."""
    return [t for t in build.replace("(", " ").replace(")", " ").split()
            if t.startswith("#") or re.search(r"\d+\.\d+", t)]


def banner_mismatch(banner: str | None, version: str | None, build: str | None) -> list[str]:
    """Reasons a log does not come from this vmlinux (empty when it may)."""
    if not version and not build:
        return []
    if banner is None:
        return ["vmlinux has no linux_banner: cannot check that it matches the log"]
    out = []
    rel = banner_release(banner)
    logged = version.split()[0] if version else None
    if logged and rel and logged != rel:
        out.append(f"vmlinux is {rel} but the log is from {logged}: file:line may be wrong")
    if build:
        missing = [t for t in version_tokens(build) if t not in banner]
        if missing:
            out.append(f"vmlinux build ({banner.split(' (')[0]} ...) lacks {' '.join(missing)} "
                       "printed in the log: a different build, file:line may be wrong")
    return out


def _reloc_targets(image: ImageLike, section: str, layout: dict[str, int]) -> dict[int, int]:
    """For an ET_REL object: section offset -> resolved target (layout address) of PREL32/ABS."""
    from a64triage.symbols.elf import ElfImage  # pyelftools: only objects need relocations

    elf = image if isinstance(image, ElfImage) else ElfImage(image.path)
    out: dict[int, int] = {}
    for rs in elf.relocation_sections():
        if rs.info >= len(elf.sections) or elf.sections[rs.info].name != section:
            continue
        for r in elf.relocations(rs):
            sym = r.symbol
            if sym is None or sym.section is None or sym.section not in layout:
                continue
            out[r.offset] = layout[sym.section] + sym.value + r.addend
    return out


def bug_sites(image: ImageLike, layout: dict[str, int] | None = None) -> dict[int, tuple[str, int]]:
    """BUG()/WARN() sites: address of the ``brk`` -> (file, line), from ``__bug_table``.

    For a relocatable module pass the section layout used for its symbols: the
    displacements are then resolved through ``.rela__bug_table``.
    """
    sec = image.section("__bug_table")
    if sec is None or sec.size == 0:
        return {}
    data = image.section_data(sec)
    if len(data) % BUG_ENTRY.size:
        raise InputError(image.path, f"__bug_table size {len(data)} is not a multiple of "
                         f"{BUG_ENTRY.size}: not CONFIG_GENERIC_BUG_RELATIVE_POINTERS + DEBUG_BUGVERBOSE")
    relocated = layout is not None and image.is_relocatable
    targets = _reloc_targets(image, sec.name, layout) if relocated and layout else {}
    base = layout.get(sec.name, 0) if relocated and layout else sec.addr
    out: dict[int, tuple[str, int]] = {}
    for i, (addr_disp, file_disp, line, _flags) in enumerate(BUG_ENTRY.iter_unpack(data)):
        off = i * BUG_ENTRY.size
        if relocated:
            bug_addr = targets.get(off)
            file_addr = targets.get(off + 4)
        else:
            bug_addr = base + off + addr_disp
            file_addr = base + off + 4 + file_disp
        if bug_addr is None:
            continue
        fname = _read_str(image, file_addr, layout if relocated else None)
        out[bug_addr] = (fname or "?", line)
    return out


def _read_str(image: ImageLike, addr: int | None, layout: dict[str, int] | None) -> str | None:
    if addr is None:
        return None
    if layout:
        for name, base in layout.items():
            sec = image.section(name)
            if sec is not None and base <= addr < base + sec.size:
                data = image.section_data(sec)[addr - base: addr - base + 256]
                return cstr(data)
        return None
    raw = image.read(addr, 256)
    return cstr(raw) if raw else None
