"""Annotated disassembly: what objdump -dr plus addr2line would tell a kernel developer.

Each instruction carries its relocation (objects and modules), the resolved
target of branches and of ``adrp``+``add``/``ldr`` pairs as ``sym+off``, the
value of literal-pool loads (and the symbol it points at), its source
location, a fault marker and notes on jump-table-like sequences.
"""

from __future__ import annotations

import re
import struct
from dataclasses import replace

from a64triage.disasm.a64 import Insn, decode_word
from a64triage.disasm.types import Instruction
from a64triage.errors import InputError
from a64triage.symbols import LoadedObject, Symbolizer, bug_sites
from a64triage.symbols.elf import ElfImage, Relocation
from a64triage.symbols.symbolizer import load_object
from a64triage.symbols.types import SourceLocation

MAX_LISTING = 64 * 1024  # instructions in one listing: bounds memory for absurd ranges
DEFAULT_FUNCTION_BYTES = 4096  # when a symbol has no size


def _obj(src: Symbolizer | LoadedObject | ElfImage) -> LoadedObject:
    if isinstance(src, Symbolizer):
        if src.vmlinux is None or src.vmlinux.image is None:
            raise InputError("disasm", "needs a vmlinux (System.map/kallsyms have no code)")
        return src.vmlinux
    if isinstance(src, ElfImage):
        return load_object(src.path)
    return src


def _relocs(obj: LoadedObject) -> dict[int, Relocation]:
    """Relocations by (layout) address of the bytes they patch, code sections only."""
    cache: dict[int, Relocation] | None = getattr(obj, "_disasm_relocs", None)
    if cache is not None:
        return cache
    out: dict[int, Relocation] = {}
    img = obj.image
    if img is not None and obj.layout is not None and isinstance(img, ElfImage):
        for rs in img.relocation_sections():
            if rs.info >= len(img.sections):
                continue
            target = img.sections[rs.info].name
            base = obj.layout.get(target)
            if base is None:
                continue
            for r in img.relocations(rs):
                out.setdefault(base + r.offset, r)
    object.__setattr__(obj, "_disasm_relocs", out)
    return out


def _bug_sites(obj: LoadedObject) -> dict[int, tuple[str, int]]:
    """``__bug_table`` of the object, decoded once (empty when it has none)."""
    cache: dict[int, tuple[str, int]] | None = getattr(obj, "_disasm_bugs", None)
    if cache is None:
        try:
            cache = bug_sites(obj.image, obj.layout) if obj.image is not None else {}
        except InputError:
            cache = {}
        object.__setattr__(obj, "_disasm_bugs", cache)
    return cache


def _reloc_text(r: Relocation) -> str:
    name = r.symbol.name if r.symbol and r.symbol.name else (r.symbol.section if r.symbol else None)
    if r.symbol is not None and r.symbol.type == "SECTION":
        name = r.symbol.section
    add = f"+0x{r.addend:x}" if r.addend > 0 else (f"-0x{-r.addend:x}" if r.addend < 0 else "")
    return f"{r.type_name} {name or '*ABS*'}{add}"


def _reloc_target(r: Relocation) -> str:
    return _reloc_text(r).split(" ", 1)[1]


def sym_text(obj: LoadedObject, addr: int) -> str | None:
    """``sym+0x10`` for an address inside a known symbol (None otherwise)."""
    s = obj.table.at(addr)
    if s is None:
        return None
    off = addr - s.addr
    if s.size and off >= s.size and off > 0x10000:
        return None
    if not s.size and off > DEFAULT_FUNCTION_BYTES:
        return None
    return f"{s.name}+0x{off:x}" if off else s.name


def _shown(obj: LoadedObject, addr: int) -> int:
    """The address objdump would print: section offset in an object, VA otherwise."""
    if obj.layout is None:
        return addr
    where = obj.section_of(addr)
    return addr - where[1] if where else addr


_TABLE_LOAD = re.compile(r"^(x\d+), \[(x\d+), (x\d+), lsl #3\]$")


def _annotate(obj: LoadedObject, insns: list[Insn], fault_pc: int | None,
              delta: int) -> list[Instruction]:
    """``insns`` are decoded at the shown addresses; ``+ delta`` gives our (layout) address."""
    relocs = _relocs(obj)
    pages: dict[str, tuple[int, str | None]] = {}  # reg -> (page address, reloc target text)
    out: list[Instruction] = []
    pending_table: dict[str, int] = {}  # reg loaded by `ldr xN, [xB, xI, lsl #3]` -> index in out
    for ins in insns:
        here = ins.address + delta
        r = relocs.get(here)
        relocation = _reloc_text(r) if r else None
        target: str | None = None
        literal: int | None = None
        note: str | None = None
        mn = ins.mnemonic
        dest = ins.reg(0)
        pc_t = ins.pc_target + delta if ins.pc_target is not None else None
        if mn == "adrp" and dest:
            pages[dest] = (pc_t or 0, _reloc_target(r) if r else None)
            target = _reloc_target(r) if r else (sym_text(obj, pc_t) if pc_t is not None else None)
        elif mn in ("ldr", "ldrsw") and pc_t is not None:  # literal load
            width = 8 if (dest or "").startswith("x") and mn == "ldr" else 4
            raw = obj.read(pc_t, width)
            lit_reloc = relocs.get(pc_t)
            if raw is not None and len(raw) == width:
                literal = struct.unpack("<Q" if width == 8 else "<I", raw)[0]
            if lit_reloc is not None:
                target = f"={_reloc_target(lit_reloc)} ({lit_reloc.type_name} in the literal pool)"
            elif literal is not None:
                named = sym_text(obj, literal)
                target = f"={named}" if named else None
            if target is None and pc_t is not None:
                target = sym_text(obj, pc_t)
        elif pc_t is not None:
            target = _reloc_target(r) if r else sym_text(obj, pc_t)
        elif mn == "add" and len(ins.operands) >= 3 and ins.reg(1) in pages and \
                ins.operands[2].kind == "imm":
            page, ptext = pages[ins.reg(1) or ""]
            if r is not None:
                target = _reloc_target(r)
            elif ptext is None:
                target = sym_text(obj, page + (ins.imm(2) or 0))
        elif mn.startswith(("ldr", "str", "ldp", "stp")) and len(ins.operands) >= 2 and \
                ins.operands[-1].kind == "mem" and ins.operands[-1].base in pages and \
                ins.operands[-1].index is None:
            page, ptext = pages[ins.operands[-1].base or ""]
            if r is not None:
                target = _reloc_target(r)
            elif ptext is None:
                target = sym_text(obj, page + ins.operands[-1].disp)
        m = _TABLE_LOAD.match(ins.op_str) if mn == "ldr" else None
        if m:
            pending_table[m.group(1)] = len(out)
        elif mn == "br" and dest in pending_table:
            i = pending_table.pop(dest or "")
            note = ("jump table: 8-byte absolute entries (`ldr` of a code address, then `br`); "
                    "wrong when the code runs at another VA (see `a64triage audit`)")
            out[i] = replace(out[i], note=note)
        if dest and mn not in ("adrp",) and dest in pages and not mn.startswith(("str", "stp", "cmp", "b")):
            pages.pop(dest, None)
        if mn == "brk" and note is None:
            site = _bug_sites(obj).get(here)
            if site is not None:
                note = f"BUG()/WARN() site {site[0]}:{site[1]} (__bug_table)"
        out.append(Instruction(ins.address, ins.word, ins.mnemonic, ins.op_str, relocation, target,
                               literal, None, fault_pc is not None and here == fault_pc, note,
                               symbol=sym_text(obj, here)))
    return out


def _sources(obj: LoadedObject, out: list[Instruction], delta: int) -> list[Instruction]:
    if obj.lines is None:
        return out
    res = []
    for ins in out:
        try:
            chain = obj.lines.locate(ins.address + delta)
        except InputError:
            chain = ()
        loc: SourceLocation | None = chain[0] if chain else None
        if loc is not None and loc.function == "??" and ins.symbol:
            loc = replace(loc, function=ins.symbol.split("+", 1)[0])
        res.append(replace(ins, source=loc) if loc else ins)
    return res


def disassemble_range(symbolizer_or_image: Symbolizer | LoadedObject | ElfImage, start: int, end: int,
                      *, fault_pc: int | None = None) -> list[Instruction]:
    """Instructions in [start, end) at link-time addresses (layout addresses for objects).

    ``fault_pc`` (link-time) gets ``faulting=True``.  Addresses in the result are
    what objdump shows (section offsets for relocatable objects).
    """
    obj = _obj(symbolizer_or_image)
    if end <= start:
        raise InputError("disasm", f"empty range 0x{start:x}-0x{end:x}")
    start &= ~3
    end = min(end, start + 4 * MAX_LISTING)
    code = obj.read(start, end - start)
    if not code:
        raise InputError(obj.path, f"0x{start:x} is not in a section with file contents")
    n = len(code) // 4
    words = struct.unpack(f"<{n}I", code[: 4 * n])
    delta = start - _shown(obj, start)
    insns = [decode_word(w, start - delta + 4 * i) for i, w in enumerate(words)]
    return _sources(obj, _annotate(obj, insns, fault_pc, delta), delta)


def resolve_place(obj: LoadedObject, name_or_addr: str | int) -> tuple[int, int, int | None]:
    """(start, end, address asked for) of a function name, ``sym+off`` or an address."""
    if isinstance(name_or_addr, str):
        text = name_or_addr.strip()
        if re.fullmatch(r"0x[0-9a-fA-F]{1,16}|[0-9a-fA-F]{8,16}", text):
            return _by_addr(obj, int(text, 16))
        m = re.fullmatch(r"([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-fA-F]+|\d+))?(?:/0x[0-9a-fA-F]+)?", text)
        if m is None:
            raise InputError(text, "not a function name, sym+off or address")
        return _by_name(obj, m.group(1), int(m.group(2), 0) if m.group(2) else None)
    return _by_addr(obj, name_or_addr)


def _by_name(obj: LoadedObject, name: str, off: int | None) -> tuple[int, int, int | None]:
    found = obj.table.find(name)
    if not found:
        raise InputError(name, f"no such symbol in {obj.path}")
    s = found[0]
    size = s.size or DEFAULT_FUNCTION_BYTES
    return s.addr, s.addr + size, (s.addr + off if off is not None else None)


def _by_addr(obj: LoadedObject, addr: int) -> tuple[int, int, int | None]:
    if obj.layout is not None:  # objects: an address is a .text offset, like objdump's
        base = obj.layout.get(".text")
        if base is None:
            raise InputError(obj.path, "no .text section")
        addr += base
    s = obj.table.at(addr)
    if s is None or (s.size and addr >= s.end):
        return addr & ~3, (addr & ~3) + 4, addr
    return s.addr, s.addr + (s.size or DEFAULT_FUNCTION_BYTES), addr


def disassemble_function(symbolizer: Symbolizer | LoadedObject | ElfImage, name_or_addr: str | int,
                         *, context: int | None = None,
                         fault_pc: int | None = None) -> list[Instruction]:
    """A whole function, or ``context`` instructions either side of an address.

    ``name_or_addr``: ``"func"``, ``"func+0x1c"``, a hex string or an int
    (link-time; for objects a ``.text`` offset, and so is ``fault_pc``).
    """
    obj = _obj(symbolizer)
    start, end, at = resolve_place(obj, name_or_addr)
    if fault_pc is not None and obj.layout is not None:  # objects: a .text offset
        fault_pc += obj.layout.get(".text", 0)
    if fault_pc is None and at is not None and at != start:
        fault_pc = at
    if context is not None:
        centre = at if at is not None else (fault_pc if fault_pc is not None else start)
        start, end = centre - 4 * context, centre + 4 * (context + 1)
    return disassemble_range(obj, start, end, fault_pc=fault_pc)


# --- oops Code: lines --------------------------------------------------------------------

_CODE_WORD = re.compile(r"^\(?([0-9a-fA-F]{8}|\?{8})\)?$")


def decode_code_line(line: str, pc: int | None = None) -> list[Instruction]:
    """Decode an oops ``Code:`` line (arch/arm64/kernel/traps.c dump_kernel_instr()).

    The word in parentheses is the faulting instruction; ``????????`` words could
    not be read by the kernel.  With ``pc`` the faulting word is at ``pc`` and
    addresses are absolute, otherwise they count from the first word.
    """
    text = line.split("Code:", 1)[1] if "Code:" in line else line
    tokens = text.split()
    if not tokens:
        raise InputError("Code:", "no instruction words")
    words: list[int | None] = []
    fault: int | None = None
    for i, tok in enumerate(tokens):
        if re.fullmatch(r"\(?[0-9a-fA-F]{4}\)?", tok):
            raise InputError("Code:", "16-bit words: a 32-bit ARM (Thumb) Code: line, not arm64")
        m = _CODE_WORD.match(tok)
        if m is None:
            raise InputError("Code:", f"not an instruction word: {tok!r}")
        if tok.startswith("("):
            fault = i
        words.append(None if m.group(1).startswith("?") else int(m.group(1), 16))
    if fault is None:
        fault = len(words) - 1 if len(words) == 1 else None
    base = (pc - 4 * fault) if (pc is not None and fault is not None) else 0
    if base < 0 or base + 4 * len(words) > 1 << 64:
        raise InputError("Code:", f"{len(words)} words around pc 0x{pc or 0:x} run outside the 64-bit address space")
    out = []
    for i, w in enumerate(words):
        addr = base + 4 * i
        if w is None:
            out.append(Instruction(addr, 0, "????????", "", faulting=(i == fault),
                                   note="not readable by the kernel when it printed the oops"))
            continue
        ins = decode_word(w, addr)
        note = None if ins.valid else "not a valid A64 instruction (data, or not arm64 code)"
        out.append(Instruction(addr, w, ins.mnemonic, ins.op_str, faulting=(i == fault), note=note))
    return out


# --- text rendering (returns lines; never prints) ----------------------------------------


def format_listing(insns: list[Instruction], *, show_source: bool = True) -> list[str]:
    """objdump-like lines with ``-->`` at the faulting instruction and source headers."""
    lines: list[str] = []
    last: tuple[str | None, int | None] | None = None
    width = max((len(f"{i.address:x}") for i in insns), default=8)
    for i in insns:
        if show_source and i.source is not None and i.source.line and \
                (i.source.file, i.source.line) != last:
            last = (i.source.file, i.source.line)
            lines.append(f"{i.source.function}() {i.source.file}:{i.source.line}")
        mark = "-->" if i.faulting else "   "
        word = f"{i.word:08x}" if i.mnemonic != "????????" else "????????"
        sym = f" <{i.symbol}>" if i.symbol else ""
        text = f"{i.mnemonic} {i.op_str}".strip()
        extras = [x for x in (i.target and f"<{i.target}>",
                              (i.literal is not None and f"literal 0x{i.literal:x}") or None,
                              i.relocation and f"reloc {i.relocation}", i.note) if x]
        comment = f"  // {'; '.join(extras)}" if extras else ""
        lines.append(f"{mark} {i.address:>{width}x}{sym}:\t{word}\t{text:<34}{comment}".rstrip())
    return lines
