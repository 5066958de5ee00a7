"""ESR_ELx: top-level layout, the ISS family dispatch, and the facts others need.

Layout: Arm ARM D24.2.41 ESR_EL1 (also D24.2.42/43 ESR_EL2/EL3): RES0 [63:56],
ISS2 [55:32], EC [31:26], IL [25], ISS [24:0].
"""

from __future__ import annotations

from dataclasses import dataclass

from a64triage.arm64.brk import brk_class, brk_meaning
from a64triage.arm64.classes import EC, IssFamily, class_info
from a64triage.arm64.fields import Field, FieldTree
from a64triage.arm64.fsc import FaultKind, fault_status, fault_status_name
from a64triage.arm64.iss import DECODERS
from a64triage.arm64.iss.sysreg import sys64_encoding
from a64triage.arm64.spec import FieldSpec, extract, walk
from a64triage.arm64.sysregs import sysreg_name

ABORT_CLASSES = frozenset({EC.IABT_LOW, EC.IABT_CUR, EC.DABT_LOW, EC.DABT_CUR})
_LOWER_EL = frozenset({0x20, 0x24, 0x30, 0x32, 0x34})
_SAME_EL = frozenset({0x21, 0x25, 0x31, 0x33, 0x35})


def _iss_meaning(ec: int) -> str:
    info = class_info(ec)
    return f"instruction specific syndrome ({info.family.value} encoding)"


def esr_specs(esr: int) -> tuple[FieldSpec, ...]:
    """The ESR table for this value: which ISS/ISS2 tables apply depends on EC."""
    ec = extract(esr, 31, 26)
    info = class_info(ec)
    dec = DECODERS[info.family]
    iss = extract(esr, 24, 0)
    iss2 = extract(esr, 55, 32)
    iss_rows = tuple(dec.iss(iss))
    iss2_rows = tuple(dec.iss2(iss2)) if dec.iss2 is not None else ()

    def iss_sub(v: int) -> tuple[Field, ...]:
        return walk(v, iss_rows, 25) if iss_rows else ()

    def iss2_sub(v: int) -> tuple[Field, ...]:
        return walk(v, iss2_rows, 24) if iss2_rows else ()

    iss_text = dec.summary(ec, iss) if dec.summary is not None else _iss_meaning(ec)
    iss2_text = "ISS2 (additional syndrome)" if iss2_rows else "ISS2: no fields defined for this class (RES0)"
    return (
        FieldSpec("RES0", 63, 56, "reserved, RES0", reserved=True),
        FieldSpec("ISS2", 55, 32, meaning=lambda v: iss2_text if v == 0 or iss2_rows else f"{iss2_text}; non-zero {v:#x}", sub=iss2_sub),
        FieldSpec("EC", 31, 26, "exception class", meaning=lambda v: f"{class_info(v).mnemonic}: {class_info(v).description}"),
        FieldSpec("IL", 25, 25, "instruction length", {1: "32-bit instruction (or RES1 for this class)", 0: "16-bit T32 instruction"}),
        FieldSpec("ISS", 24, 0, meaning=lambda v: iss_text, sub=iss_sub),
    )


@dataclass(frozen=True)
class EsrFacts:
    """What the diagnose stage asks of an ESR, without walking a field tree."""

    esr: int
    ec: int
    ec_mnemonic: str
    ec_name: str
    kernel_class: str
    il: bool
    iss: int
    iss2: int
    is_abort: bool
    is_data: bool
    is_instruction: bool
    same_el: bool | None
    fsc: int | None
    fsc_type: str | None
    fsc_name: str | None
    level: int | None
    wnr: bool | None
    cm: bool | None
    s1ptw: bool | None
    ea: bool | None
    fnv: bool | None
    isv: bool | None
    srt: int | None
    access_size: int | None
    brk_imm: int | None
    brk_meaning: str | None
    imm16: int | None
    sysreg: str | None
    sysreg_read: bool | None
    is_serror: bool
    far_valid: bool | None
    trap_class: str | None = None  # the diagnose class this exception supports (classes.py/brk.py tables)


def esr_summary(esr: int) -> EsrFacts:
    """Facts of an ESR value (never raises for any 64-bit value)."""
    esr &= (1 << 64) - 1
    ec = extract(esr, 31, 26)
    info = class_info(ec)
    iss = extract(esr, 24, 0)
    is_data = ec in (EC.DABT_LOW, EC.DABT_CUR)
    is_instr = ec in (EC.IABT_LOW, EC.IABT_CUR)
    is_abort = is_data or is_instr
    same_el: bool | None = True if ec in _SAME_EL else False if ec in _LOWER_EL else None
    fsc = fsc_type = fsc_name = level = None
    wnr = cm = s1ptw = ea = fnv = isv = None
    srt = size = None
    if is_abort:
        row = fault_status(iss & 0x3F)
        fsc, fsc_type, fsc_name, level = row.code, row.kind.value, fault_status_name(row.code), row.level
        s1ptw, ea, fnv = bool(iss >> 7 & 1), bool(iss >> 9 & 1), bool(iss >> 10 & 1)
        if is_data:
            wnr, cm, isv = bool(iss >> 6 & 1), bool(iss >> 8 & 1), bool(iss >> 24 & 1)
            if isv:
                srt, size = extract(iss, 20, 16), 1 << extract(iss, 23, 22)
    brk_imm = iss & 0xFFFF if ec == EC.BRK64 else None
    imm16 = iss & 0xFFFF if info.family in (IssFamily.IMM16, IssFamily.SVC32) else None
    sysreg = None
    sysreg_read = None
    if ec == EC.SYS64:
        sysreg = sysreg_name(*sys64_encoding(iss))
        sysreg_read = bool(iss & 1)
    far_valid: bool | None = None
    if is_abort:
        far_valid = not fnv
    elif ec in (EC.PC_ALIGN, EC.WATCHPT_LOW, EC.WATCHPT_CUR):
        far_valid = True
    return EsrFacts(
        esr=esr, ec=ec, ec_mnemonic=info.mnemonic, ec_name=info.description, kernel_class=info.kernel,
        il=bool(esr >> 25 & 1), iss=iss, iss2=extract(esr, 55, 32), is_abort=is_abort, is_data=is_data,
        is_instruction=is_instr, same_el=same_el, fsc=fsc, fsc_type=fsc_type, fsc_name=fsc_name,
        level=level, wnr=wnr, cm=cm, s1ptw=s1ptw, ea=ea, fnv=fnv, isv=isv, srt=srt, access_size=size,
        brk_imm=brk_imm, brk_meaning=brk_meaning(brk_imm) if brk_imm is not None else None,
        imm16=imm16, sysreg=sysreg, sysreg_read=sysreg_read, is_serror=ec == EC.SERROR,
        far_valid=far_valid,
        trap_class=(brk_class(brk_imm) if brk_imm is not None else info.bug_class or None),
    )


def _notes(f: EsrFacts, el: int | None) -> tuple[str, ...]:
    notes: list[str] = []
    where = f"EL{el}" if el is not None else "the current EL"
    if f.same_el is True:
        notes.append(f"taken from {where} to {where} (no change of exception level)")
    elif f.same_el is False and el is not None:
        notes.append(f"taken to EL{el} from a lower exception level")
    if f.is_abort and f.fsc is not None:
        row = fault_status(f.fsc)
        notes.append(f"fault: {row.arm} (kernel: \"{f.fsc_name}\")")
        if row.kind is FaultKind.TRANSLATION and f.level == 0:
            notes.append("level 0 translation fault: the walk found nothing at the first level, so the address is "
                         "outside every mapping of this translation regime")
            if el == 2 and f.is_instruction and f.same_el:
                notes.append("instruction fetch at EL2 from an unmapped VA: with nVHE, TTBR0_EL2 maps only HYP VAs, so "
                             "a branch to a kernel (EL1) VA — e.g. an absolute address from a jump table or function "
                             "pointer — faults like this")
        if f.fnv:
            notes.append("FnV=1: FAR does not hold the faulting address")
        if f.s1ptw:
            notes.append("S1PTW=1: stage 2 fault while walking the guest's stage 1 tables")
    if f.brk_meaning:
        notes.append(f"BRK #{f.brk_imm:#x}: {f.brk_meaning}")
    if f.sysreg is not None:
        notes.append(f"{'read of' if f.sysreg_read else 'write to'} {f.sysreg}")
    return tuple(notes)


def decode_esr(esr: int, *, el: int | None = None, register: str | None = None, width: int = 64) -> FieldTree:
    """Decode an ESR_ELx value into a field tree (any 64-bit value decodes)."""
    esr &= (1 << 64) - 1
    name = register or (f"ESR_EL{el}" if el is not None else "ESR_ELx")
    facts = esr_summary(esr)
    info = class_info(facts.ec)
    fields = walk(esr, esr_specs(esr), 64)
    if width < 64:
        fields = tuple(f for f in fields if f.lo < width)
    summary = f"{info.kernel} — {info.description}"
    if info.kernel == "UNRECOGNIZED EC":
        summary = f"{info.mnemonic} — {info.description}"
    dec = DECODERS[info.family]
    if dec.summary is not None:
        summary += f"; {dec.summary(facts.ec, facts.iss)}"
    return FieldTree(name, esr, width, fields, _notes(facts, el), summary)
