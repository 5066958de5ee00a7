"""Where an address lies in the arm64 Linux virtual address layout.

Sources: arch/arm64/include/asm/memory.h and Documentation/arch/arm64/memory.rst
(both eras): before v5.4 the kernel half was "flipped" (VA_START ... modules,
kernel image, vmalloc, vmemmap, PCI I/O, fixmap ... PAGE_OFFSET = linear map in
the top half; 4.14 with 48-bit VAs put the image at 0xffff000008000000); since
v5.4 (commit 14c127c957c1 "arm64: mm: Flip kernel VA space") the linear map is
the lower half of the kernel range and modules/kernel image/vmalloc follow it.
Poison values: include/linux/poison.h (LIST_POISON1/2, POISON_FREE...,
CONFIG_ILLEGAL_POINTER_VALUE = 0xdead000000000000 on arm64).  Region bounds
outside the linear map are approximate: they moved between releases (module
area 128MB -> 2GB in v6.5, vmemmap/PCI I/O/fixmap rearranged in v6.x).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from a64triage.arm64.fields import Field, FieldTree
from a64triage.errors import InputError

MASK64 = (1 << 64) - 1
SZ_2M = 2 << 20
SZ_16M = 16 << 20
SZ_128M = 128 << 20
SZ_1G = 1 << 30
SZ_2G = 2 << 30
KIMAGE_WINDOW = 128 << 20  # bound on the size of a kernel image mapping (text+data+bss)

VA_BITS_CHOICES = (36, 39, 42, 47, 48, 52)
LAYOUTS = ("auto", "pre-5.4", "5.4+")


class AddressClass(StrEnum):
    NULL = "NULL"
    USER = "USER"
    LINEAR = "LINEAR"
    KIMAGE = "KIMAGE"
    MODULES = "MODULES"
    VMALLOC = "VMALLOC"
    VMEMMAP = "VMEMMAP"
    FIXMAP = "FIXMAP"
    HYP = "HYP"
    NONCANONICAL = "NONCANONICAL"
    POISON = "POISON"


@dataclass(frozen=True)
class AddressInfo:
    """The classification of one address; ``classify_address`` renders it as a FieldTree."""

    address: int
    cls: AddressClass
    region: str
    layout: str
    tag: int | None
    notes: tuple[str, ...]


# include/linux/poison.h; POISON_POINTER_DELTA = CONFIG_ILLEGAL_POINTER_VALUE (arm64: 0xdead000000000000)
POISON_POINTER_DELTA = 0xDEAD000000000000
LIST_POISONS = {0x100: "LIST_POISON1 (list_del()'d entry's ->next)", 0x122: "LIST_POISON2 (list_del()'d entry's ->prev)"}
BYTE_POISONS = {
    0x6B: "POISON_FREE: slab object used after free (SLAB/SLUB debug poison)",
    0x5A: "POISON_INUSE: uninitialised slab object (slab debug poison)",
    0xA5: "POISON_END: end byte of a poisoned slab object",
    0xCC: "SLUB_RED_ACTIVE: red zone of a live slab object (overflow)",
    0xBB: "SLUB_RED_INACTIVE: red zone of a free slab object",
    0xAA: "PAGE_POISON: freed page (page_poisoning)",
}


def _poison(addr: int) -> str | None:
    off = addr - POISON_POINTER_DELTA
    base = min(LIST_POISONS, key=lambda b: abs(off - b))
    delta = off - base
    if abs(delta) < 0x100:
        return LIST_POISONS[base] + (f" {'+' if delta >= 0 else '-'} {abs(delta):#x}" if delta else "")
    high = [(addr >> (8 * i)) & 0xFF for i in range(1, 8)]
    if len(set(high)) == 1 and high[0] in BYTE_POISONS:
        return BYTE_POISONS[high[0]] + f" (pointer loaded from poisoned memory: {addr:#018x})"
    return None


@dataclass(frozen=True)
class _Region:
    lo: int
    hi: int  # exclusive
    cls: AddressClass
    name: str


# Eras of the area after PAGE_END (arch/arm64/include/asm/memory.h): (first release, last
# release or None, offset of KIMAGE_VADDR from PAGE_END, module area [lo, hi) offsets, what).
# v5.4-v5.17: BPF_JIT_REGION (128MB) then MODULES_VADDR (128MB) then the image; v5.18 removed
# the BPF JIT region; v6.5 grew the module area to 2GB.
_ERAS: tuple[tuple[tuple[int, int], tuple[int, int] | None, int, tuple[int, int], str], ...] = (
    ((5, 4), (5, 17), 2 * SZ_128M, (SZ_128M, 2 * SZ_128M), "v5.4-v5.17"),
    ((5, 18), (6, 4), SZ_128M, (0, SZ_128M), "v5.18-v6.4"),
    ((6, 5), None, SZ_2G, (0, SZ_2G), "v6.5+"),
)


def _era(release: tuple[int, int] | None) -> tuple[int, tuple[int, int], str] | None:
    if release is None:
        return None
    for first, last, kimage, modules, name in _ERAS:
        if first <= release and (last is None or release <= last):
            return kimage, modules, name
    return None


def _modern_regions(va: int, kaslr: int | None, release: tuple[int, int] | None = None) -> list[_Region]:
    va_min = 48 if va == 52 else va
    page_offset = (1 << 64) - (1 << va)
    page_end = (1 << 64) - (1 << (va_min - 1))
    vmemmap_size = 1 << (va_min - 7)
    regs = [_Region(page_offset, page_end, AddressClass.LINEAR, "linear map (PAGE_OFFSET..PAGE_END)")]
    off = kaslr or 0
    era = _era(release)
    if era is not None:
        kimage, (mod_lo, mod_hi), name = era
        lo = page_end + kimage + off
        regs.append(_Region(lo, lo + KIMAGE_WINDOW, AddressClass.KIMAGE,
                            f"kernel image ({name} KIMAGE_VADDR {page_end + kimage:#x}{' + KASLR offset' if off else ''})"))
        regs.append(_Region(page_end + mod_lo, page_end + mod_hi, AddressClass.MODULES, f"module area ({name} MODULES_VADDR)"))
        if mod_lo:
            regs.append(_Region(page_end, page_end + mod_lo, AddressClass.MODULES, f"BPF JIT region ({name})"))
    else:
        for base_off, era_name in ((SZ_128M, "v5.18-v6.4 KIMAGE_VADDR"), (2 * SZ_128M, "v5.4-v5.17 KIMAGE_VADDR"), (SZ_2G, "v6.5+ KIMAGE_VADDR")):
            lo = page_end + base_off + off
            regs.append(_Region(lo, lo + KIMAGE_WINDOW if base_off != SZ_128M else lo + SZ_128M, AddressClass.KIMAGE, f"kernel image ({era_name} {page_end + base_off:#x}{' + KASLR offset' if off else ''})"))
        regs.append(_Region(page_end, page_end + SZ_2G, AddressClass.MODULES, "module / BPF JIT area after PAGE_END (128MB before v6.5, 2GB since)"))
    top = MASK64 + 1
    regs.append(_Region(top - SZ_1G, top, AddressClass.FIXMAP, "fixmap / PCI I/O (top 1GB in v6.x)"))
    pci_end = top - vmemmap_size - SZ_2M - SZ_2M
    fix_top = pci_end - SZ_16M - SZ_2M
    regs.append(_Region(fix_top - 4 * SZ_2M, pci_end, AddressClass.FIXMAP, "fixmap / PCI I/O (v5.4-v6.0 placement below vmemmap)"))
    regs.append(_Region(top - SZ_1G - vmemmap_size, top - SZ_1G, AddressClass.VMEMMAP, "vmemmap (struct page array)"))
    regs.append(_Region(page_end, top, AddressClass.VMALLOC, "vmalloc/vmap/ioremap area (with KASLR also the kernel image and modules)"))
    return regs


def _pre54_regions(va: int, kaslr: int | None) -> list[_Region]:
    va_start = (1 << 64) - (1 << va)
    page_offset = (1 << 64) - (1 << (va - 1))
    vmemmap_size = 1 << (va - 7)
    vmemmap_start = page_offset - vmemmap_size
    pci_end = vmemmap_start - SZ_2M
    pci_start = pci_end - SZ_16M
    fix_top = pci_start - SZ_2M
    kasan_shadow = 1 << (va - 3)
    off = kaslr or 0
    return [
        _Region(page_offset, MASK64 + 1, AddressClass.LINEAR, "linear map (PAGE_OFFSET, top half; pre-5.4 layout)"),
        _Region(va_start + SZ_128M + off, va_start + SZ_128M + off + KIMAGE_WINDOW, AddressClass.KIMAGE, f"kernel image (pre-5.4 KIMAGE_VADDR {va_start + SZ_128M:#x}{' + KASLR offset' if off else ''})"),
        _Region(va_start, va_start + SZ_128M, AddressClass.MODULES, "modules (pre-5.4 MODULES_VADDR = VA_START)"),
        _Region(va_start + kasan_shadow + SZ_128M + off, va_start + kasan_shadow + SZ_128M + off + KIMAGE_WINDOW, AddressClass.KIMAGE, "kernel image (pre-5.4 with KASAN: after the shadow region)"),
        _Region(va_start + kasan_shadow, va_start + kasan_shadow + SZ_128M, AddressClass.MODULES, "modules (pre-5.4 with KASAN)"),
        _Region(vmemmap_start, page_offset, AddressClass.VMEMMAP, "vmemmap (pre-5.4)"),
        _Region(fix_top - 4 * SZ_2M, pci_end, AddressClass.FIXMAP, "fixmap / PCI I/O (pre-5.4)"),
        _Region(va_start, vmemmap_start, AddressClass.VMALLOC, "vmalloc area (pre-5.4; with KASAN the first 1/8 is KASAN shadow)"),
    ]


def _lookup(regs: list[_Region], addr: int) -> _Region | None:
    for r in regs:
        if r.lo <= addr < r.hi:
            return r
    return None


def address_info(addr: int, *, va_bits: int = 48, layout: str = "auto",
                 hyp_va_range: tuple[int, int] | None = None, kaslr_offset: int | None = None,
                 release: tuple[int, int] | None = None) -> AddressInfo:
    """Classify ``addr``; see :func:`classify_address`.  ``release`` (major, minor) of the
    kernel, when the log names it, picks the one era of the layout that applies."""
    if release is not None and layout == "auto":
        layout = "pre-5.4" if release < (5, 4) else "5.4+"
    if va_bits not in VA_BITS_CHOICES:
        raise InputError("va_bits", f"{va_bits} is not one of {', '.join(map(str, VA_BITS_CHOICES))}")
    if layout not in LAYOUTS:
        raise InputError("layout", f"{layout!r} is not one of {', '.join(LAYOUTS)}")
    if not 0 <= addr <= MASK64:
        raise InputError("address", f"{addr:#x} does not fit in 64 bits")
    notes: list[str] = []
    poison = _poison(addr)
    if poison is not None:
        return AddressInfo(addr, AddressClass.POISON, poison, layout, None, ("a poison value means use-after-free or use of an unlinked list entry",))
    if hyp_va_range is not None and hyp_va_range[0] <= addr <= hyp_va_range[1]:
        notes.append("inside the HYP VA range the kernel printed (\"kvm [1]: HYP VA range: ...\"); at EL1 the same value would be a user address")
        return AddressInfo(addr, AddressClass.HYP, "EL2 (HYP) mapping", layout, None, tuple(notes))
    if addr < 4096:
        return AddressInfo(addr, AddressClass.NULL, "NULL pointer dereference (first page)", layout, None,
                           (f"offset {addr:#x} from NULL: likely a field at that offset of a NULL struct pointer",) if addr else ())
    top = addr >> 56
    bit55 = addr >> 55 & 1
    untagged = addr | (0xFF << 56) if bit55 else addr & ~(0xFF << 56)
    tag: int | None = None
    if top not in (0x00, 0xFF):
        tag = top
        notes.append(f"top byte {top:#04x} is a tag (TBI: MTE / KASAN HW or SW tags / user pointer tags); classified untagged as {untagged:#018x}")
    ext = (untagged >> va_bits) & ((1 << (56 - va_bits)) - 1)
    if ext not in (0, (1 << (56 - va_bits)) - 1):
        notes.append(f"bits [55:{va_bits}] are not a sign-extension of bit 55: not a valid {va_bits}-bit VA; "
                     "could be a pointer carrying a PAC signature (PAC lives in these bits), a corrupted pointer, "
                     "or a wrong va_bits")
        return AddressInfo(addr, AddressClass.NONCANONICAL, f"non-canonical for {va_bits}-bit VAs", layout, tag, tuple(notes))
    if not bit55:
        if untagged < 0x10000:
            notes.append("small address: likely a NULL pointer plus an offset")
        return AddressInfo(addr, AddressClass.USER, "user space (TTBR0)", layout, tag, tuple(notes))
    modern = _lookup(_modern_regions(va_bits, kaslr_offset, release), untagged)
    old = _lookup(_pre54_regions(va_bits, kaslr_offset), untagged)
    chosen, used = modern, "5.4+"
    # 52-bit kernel VAs only exist since the v5.4 flip, so "auto" never picks pre-5.4 for them.
    guess_old = layout == "auto" and va_bits != 52 and old is not None and old.cls in (AddressClass.KIMAGE, AddressClass.MODULES)
    if layout == "pre-5.4" or guess_old:
        chosen, used = old, "pre-5.4"
    if layout == "auto" and va_bits != 52 and modern is not None and old is not None and modern.cls != old.cls:
        other = old if used == "5.4+" else modern
        notes.append(f"layout guessed as {used}; in the {'pre-5.4' if used == '5.4+' else '5.4+'} layout this would be "
                     f"{other.cls.value} ({other.name}) — pass layout= to choose")
    if chosen is None:
        return AddressInfo(addr, AddressClass.VMALLOC, "kernel half (no specific region)", used, tag, tuple(notes))
    if chosen.cls is AddressClass.KIMAGE and kaslr_offset is None:
        notes.append("matches an unrandomized KIMAGE_VADDR; with KASLR the image is elsewhere in the vmalloc area "
                     "and this range holds ordinary vmalloc/vmap allocations (e.g. vmap'd stacks) — pass kaslr_offset")
    return AddressInfo(addr, chosen.cls, chosen.name, used, tag, tuple(notes))


def classify_address(addr: int, *, va_bits: int = 48, layout: str = "auto",
                     hyp_va_range: tuple[int, int] | None = None, kaslr_offset: int | None = None,
                     register: str = "ADDRESS", release: tuple[int, int] | None = None) -> FieldTree:
    """Classify an address (FAR, PC, register value) against the arm64 Linux VA layout.

    The tree's ``summary`` starts with the :class:`AddressClass` value, e.g.
    ``"KIMAGE: kernel image (...)"``.
    """
    info = address_info(addr, va_bits=va_bits, layout=layout, hyp_va_range=hyp_va_range, kaslr_offset=kaslr_offset,
                        release=release)
    top = addr >> 56
    ext_hi = 55
    fields = [
        Field("Tag", 63, 56, top, "top byte: tag (ignored with TBI)" if info.tag is not None else "top byte (sign extension)"),
        Field("Select", 55, 55, addr >> 55 & 1, "TTBR1 (kernel half)" if addr >> 55 & 1 else "TTBR0 (user half)"),
    ]
    if va_bits < ext_hi:
        ext = (addr >> va_bits) & ((1 << (ext_hi - va_bits)) - 1)
        fields.append(Field("Extension", ext_hi - 1, va_bits, ext, f"bits above the {va_bits}-bit VA: must equal bit 55 (PAC bits when signed)"))
    fields.append(Field("VA", va_bits - 1, 0, addr & ((1 << va_bits) - 1), f"{va_bits}-bit virtual address offset"))
    notes = (f"class={info.cls.value}", f"layout={info.layout}", *info.notes)
    return FieldTree(register, addr, 64, tuple(fields), notes, f"{info.cls.value}: {info.region}")
