"""Forward data flow over one function: where table bases go, what is loaded, what is branched to.

Tracks, per register, one abstract value: the page or address of a symbol
(``adrp`` / ``adrp+add`` / ``adr`` / literal / ``movz+movk``), an address plus an index
(``add xB, xB, xI, lsl #3``), or a value loaded from a data slot.  ``br``/``blr`` on a
loaded value is a *consumed table*; a load never branched to is data.  The walk is
linear with the state cleared after unconditional control flow (``b``, ``br``, ``ret``),
so it follows basic blocks and their fall-through (the short-window approach the
issue asks for); caller-saved registers die at calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from a64triage.arm64.elf_relocs import RelocKind, reloc_type
from a64triage.relocs import a64bits as A
from a64triage.relocs.a64bits import Op
from a64triage.relocs.image import Image

# AAELF64 numbers of the relocations the flow gives meaning to.
_PAGE = frozenset({275, 276})  # ADR_PREL_PG_HI21(_NC)
_LO12 = frozenset({277, 278, 284, 285, 286, 299})  # ADD_ABS_LO12_NC, LDST*_ABS_LO12_NC
_LDST64 = 286
_BRANCH = frozenset({282, 283})  # JUMP26, CALL26
_LIT = 273  # LD_PREL_LO19
_ADR = 274

_PAGE_V, _ADDR, _INDEXED, _LOADED = 1, 2, 3, 4


@dataclass(frozen=True)
class Val:
    kind: int
    addr: int
    chain: tuple[int, ...]
    indexed: bool = False
    value: int | None = None  # for a value loaded from a known slot: the absolute address it holds


@dataclass
class FunctionFlow:
    """What one function does with addresses (all addresses in the Image's space)."""

    name: str
    start: int
    end: int
    refs: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (data addr, chain)
    accesses: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # loads/stores at a known addr
    loads: list[tuple[int, bool, tuple[int, ...]]] = field(default_factory=list)  # (table, indexed, chain)
    consumed: list[tuple[int, bool, tuple[int, ...]]] = field(default_factory=list)  # (table, indexed, chain+br)
    calls: list[tuple[int, int, str]] = field(default_factory=list)  # (pc, target, "bl"/"b")
    literals: list[tuple[int, int]] = field(default_factory=list)  # (pc, literal addr)
    movw: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)  # (value, chain), linked images
    indirect: int = 0


def scan(img: Image, name: str, start: int, end: int) -> FunctionFlow:
    flow = FunctionFlow(name, start, end)
    words = img.words(start, end)
    relocs = img.code_relocs
    linked = img.linked
    slots = img.slots
    st: dict[int, Val] = {}
    movw_acc: dict[int, tuple[int, tuple[int, ...]]] = {}

    def deref(addr: int, chain: tuple[int, ...]) -> Val:
        s = img.slot(addr) if slots or img.dyn_values else None
        # a literal, GOT or pointer slot: loaded, and usable as an address (a table base) afterwards
        return Val(_LOADED, addr, chain, False, s.value if s is not None else None)

    def base(r: int) -> Val | None:
        b = st.get(r)
        if b is not None and b.kind == _LOADED and b.value is not None and not b.indexed:
            return Val(_ADDR, b.value, b.chain)
        return b

    for i, w in enumerate(words):
        pc = start + 4 * i
        op = A.classify(w)
        rel = relocs.get(pc) if not linked else None
        if op is Op.OTHER:
            if rel is not None:
                _generic_reloc(flow, st, pc, w, rel.type, rel.value)
            elif linked and (w >> 24) & 0x3B == 0x39:  # load/store, unsigned immediate offset
                b = st.get(A.rn(w))
                if b is not None and b.kind == _PAGE_V:
                    flow.accesses.append((b.addr + (((w >> 10) & 0xFFF) << (w >> 30)), (*b.chain, pc)))
            for r in A.writes_rd(w):
                st.pop(r, None)
                movw_acc.pop(r, None)
            continue
        d = A.rd(w)
        if op is Op.ADRP:
            if rel is not None and rel.type in _PAGE:
                st[d] = Val(_PAGE_V, rel.value, (pc,))
            elif rel is not None:  # ADR_GOT_PAGE and friends
                st.pop(d, None)
            else:
                st[d] = Val(_PAGE_V, A.adrp_target(w, pc), (pc,))
        elif op is Op.ADR:
            target = rel.value if rel is not None else A.adr_target(w, pc)
            st[d] = Val(_ADDR, target, (pc,))
            flow.refs.append((target, (pc,)))
        elif op is Op.ADD_IMM:
            b = base(A.rn(w))
            if b is None:
                st.pop(d, None)
            else:
                # .o: the lo12 relocation gives S+A of the adrp/add pair
                addr = rel.value if rel is not None and rel.type in _LO12 else b.addr + A.add_imm(w)
                st[d] = Val(_ADDR if b.kind != _INDEXED else _INDEXED, addr, (*b.chain, pc))
                if b.kind == _PAGE_V:
                    flow.refs.append((addr, (*b.chain, pc)))
        elif op is Op.ADD_REG:
            b = base(A.rn(w)) or base(A.rm(w))
            if b is not None and b.kind in (_ADDR, _PAGE_V):
                st[d] = Val(_INDEXED, b.addr, (*b.chain, pc), True)
            else:
                st.pop(d, None)
        elif op is Op.LDR_IMM:
            b = base(A.rn(w))
            if b is None:
                st.pop(d, None)
            else:
                if rel is not None and rel.type in _LO12:
                    addr = rel.value
                else:
                    addr = b.addr + A.ldr_imm_offset(w)
                chain = (*b.chain, pc)
                if b.kind == _PAGE_V:
                    flow.refs.append((addr, chain))
                    flow.accesses.append((addr, chain))
                if b.kind == _LOADED:
                    st.pop(d, None)
                else:
                    indexed = b.kind == _INDEXED
                    flow.loads.append((addr, indexed, chain))
                    st[d] = deref(addr, chain) if not indexed else Val(_LOADED, addr, chain, True)
        elif op is Op.LDR_REG:
            b = base(A.rn(w))
            if b is not None and b.kind in (_ADDR, _PAGE_V):
                chain = (*b.chain, pc)
                flow.loads.append((b.addr, True, chain))
                st[d] = Val(_LOADED, b.addr, chain, True)
            else:
                st.pop(d, None)
        elif op is Op.LDR_LIT:
            lit = rel.value if rel is not None and rel.type == _LIT else A.literal_target(w, pc)
            flow.literals.append((pc, lit))
            st[d] = deref(lit, (pc,))
        elif op in (Op.BR, Op.BLR):
            b = st.get(A.rn(w))
            flow.indirect += 1
            if b is not None and b.kind == _LOADED:
                flow.consumed.append((b.addr, b.indexed, (*b.chain, pc)))
            if op is Op.BR:
                st.clear()
                movw_acc.clear()
            else:
                for r in A.CALLER_SAVED:
                    st.pop(r, None)
        elif op in (Op.B, Op.BL):
            target = rel.value if rel is not None and rel.type in _BRANCH else A.branch_target(w, pc)
            if rel is not None or not (start <= target < end):
                flow.calls.append((pc, target, "bl" if op is Op.BL else "b"))
            if op is Op.B:
                st.clear()
                movw_acc.clear()
            else:
                for r in A.CALLER_SAVED:
                    st.pop(r, None)
        elif op is Op.RET:
            st.clear()
            movw_acc.clear()
        elif op is Op.MOV_REG:
            b = st.get(A.rm(w))
            if b is not None:
                st[d] = Val(b.kind, b.addr, (*b.chain, pc), b.indexed, b.value)
            else:
                st.pop(d, None)
        elif op in (Op.MOVZ, Op.MOVK):
            if rel is not None:
                rt = reloc_type(rel.type)
                if rt is not None and rt.kind is RelocKind.ABSOLUTE:
                    prev = st.get(d)
                    chain = (*prev.chain, pc) if prev is not None and prev.kind == _ADDR else (pc,)
                    st[d] = Val(_ADDR, rel.value, chain)
                    flow.refs.append((rel.value, chain))
                    continue
            imm, sh = A.movw_part(w)
            if op is Op.MOVZ:
                movw_acc[d] = (imm << sh, (pc,))
            elif d in movw_acc:
                v, ch = movw_acc[d]
                movw_acc[d] = ((v & ~(0xFFFF << sh)) | (imm << sh), (*ch, pc))
            st.pop(d, None)
            if linked and d in movw_acc:
                v, ch = movw_acc[d]
                lo, hi = img.image_bounds
                if len(ch) >= 3 and lo <= v < hi:
                    flow.movw.append((v, ch))
                    st[d] = Val(_ADDR, v, ch)
        elif op is Op.LDR_NARROW_REG:
            st.pop(d, None)
    return flow


def _generic_reloc(flow: FunctionFlow, st: dict[int, Val], pc: int, w: int, rtype: int, value: int) -> None:
    """Stores and narrow loads with a lo12 relocation still reference data."""
    if rtype in _LO12:
        b = st.get(A.rn(w))
        if b is not None and b.kind == _PAGE_V:
            flow.refs.append((value, (*b.chain, pc)))
            flow.accesses.append((value, (*b.chain, pc)))
