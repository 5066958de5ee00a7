"""Register names, aliases and the one ``decode()`` entry point."""

from __future__ import annotations

import difflib
from dataclasses import replace

from a64triage.arm64.address import AddressClass, classify_address
from a64triage.arm64.esr import decode_esr
from a64triage.arm64.fields import FieldTree
from a64triage.arm64.regs.control import HCR_EL2, SCTLR_EL1, SCTLR_EL2
from a64triage.arm64.regs.midr import MIDR
from a64triage.arm64.regs.mmu import HPFAR, MMFR0, MMFR1, MMFR2, PAR, TCR_EL1, TCR_EL2, VTCR
from a64triage.arm64.regs.spsr import SPSR
from a64triage.arm64.spec import RegisterDef, walk
from a64triage.errors import InputError

_TABLES: dict[str, RegisterDef] = {
    "SPSR": SPSR, "MIDR_EL1": MIDR, "HPFAR_EL2": HPFAR, "PAR_EL1": PAR,
    "ID_AA64MMFR0_EL1": MMFR0, "ID_AA64MMFR1_EL1": MMFR1, "ID_AA64MMFR2_EL1": MMFR2,
    "VTCR_EL2": VTCR, "TCR_EL1": TCR_EL1, "TCR_EL2": TCR_EL2,
    "SCTLR_EL1": SCTLR_EL1, "SCTLR_EL2": SCTLR_EL2, "HCR_EL2": HCR_EL2,
}

# Canonical names: the tables above, ESR_EL1/2/3, FAR_EL1/2/3 (address classification).
REGISTERS: tuple[str, ...] = (
    "ESR_EL1", "ESR_EL2", "ESR_EL3", "SPSR_EL1", "SPSR_EL2", "SPSR_EL3", "FAR_EL1", "FAR_EL2", "FAR_EL3",
    "MIDR_EL1", "HPFAR_EL2", "PAR_EL1", "ID_AA64MMFR0_EL1", "ID_AA64MMFR1_EL1", "ID_AA64MMFR2_EL1",
    "VTCR_EL2", "TCR_EL1", "TCR_EL2", "SCTLR_EL1", "SCTLR_EL2", "HCR_EL2",
)

ALIASES: dict[str, str] = {
    "ESR": "ESR_ELx", "ESR_ELX": "ESR_ELx", "HSR": "HSR", "SPSR": "SPSR_ELx", "SPSR_ELX": "SPSR_ELx",
    "PSTATE": "PSTATE", "PS": "PSTATE", "CPSR": "PSTATE", "FAR": "FAR_ELx", "FAR_ELX": "FAR_ELx",
    "ADDR": "ADDRESS", "ADDRESS": "ADDRESS", "VA": "ADDRESS", "PC": "ADDRESS", "HPFAR": "HPFAR_EL2",
    "PAR": "PAR_EL1", "MIDR": "MIDR_EL1", "VTCR": "VTCR_EL2", "HCR": "HCR_EL2", "TCR": "TCR_EL1",
    "SCTLR": "SCTLR_EL1", "MMFR0": "ID_AA64MMFR0_EL1", "MMFR1": "ID_AA64MMFR1_EL1", "MMFR2": "ID_AA64MMFR2_EL1",
    "ID_AA64MMFR0": "ID_AA64MMFR0_EL1", "ID_AA64MMFR1": "ID_AA64MMFR1_EL1", "ID_AA64MMFR2": "ID_AA64MMFR2_EL1",
}

_ALL_NAMES = sorted({*REGISTERS, *ALIASES})


def canonical(register: str) -> str:
    """Resolve a (case-insensitive) register name or alias; unknown names raise InputError."""
    key = register.strip().upper()
    if key in ALIASES:
        return ALIASES[key]
    if key in {r.upper() for r in REGISTERS}:
        return next(r for r in REGISTERS if r.upper() == key)
    close = difflib.get_close_matches(key, _ALL_NAMES, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(REGISTERS)}"
    raise InputError("register", f"unknown register {register!r}{hint}")


def register_width(name: str) -> int:
    return 32 if name == "HSR" else 64


def _el_of(name: str, el: int | None) -> int | None:
    if name[-1:].isdigit() and "_EL" in name:
        return int(name[-1])
    return el


def decode(register: str, value: int, *, el: int | None = None, va_bits: int = 48, layout: str = "auto") -> FieldTree:
    """Decode ``value`` as ``register`` (names case-insensitive, aliases allowed).

    Raises InputError for unknown names and for values wider than the register.
    """
    name = canonical(register)
    width = register_width(name)
    if value < 0 or value >> width:
        raise InputError(name, f"value {value:#x} is wider than the {width}-bit register")
    if el is not None and el not in (0, 1, 2, 3):
        raise InputError("el", f"exception level must be 0-3, not {el}")
    level = _el_of(name, el)
    if name.startswith("ESR"):
        reg = f"ESR_EL{level}" if level is not None else "ESR_ELx"
        return decode_esr(value, el=level, register=reg)
    if name == "HSR":
        return decode_esr(value, el=2, register="HSR", width=32)
    if name.startswith("FAR") or name == "ADDRESS":
        reg = f"FAR_EL{level}" if name.startswith("FAR") and level is not None else name
        tree = classify_address(value, va_bits=va_bits, layout=layout, register=reg)
        if reg == "FAR_EL2":
            tree = replace(tree, notes=(*tree.notes, *_el2_address_notes(tree.summary.split(":", 1)[0])))
        return tree
    if name.startswith("SPSR") or name == "PSTATE":
        reg = name if name == "PSTATE" else (f"SPSR_EL{level}" if level is not None else "SPSR_ELx")
        tree = _table(SPSR, value, reg)
        if reg.startswith("SPSR_EL") and level is not None and not value >> 4 & 1:
            src = (value >> 2) & 3
            where = f"EL{src} itself (no change of exception level)" if src == level else f"EL{src}"
            tree = replace(tree, notes=(*tree.notes, f"the exception taken to EL{level} came from {where}"))
        return tree
    return _table(_TABLES[name], value, name)


def _table(rd: RegisterDef, value: int, name: str) -> FieldTree:
    fields = walk(value, rd.table(value), rd.width)
    notes = rd.notes(value) if rd.notes is not None else ()
    summary = rd.summary(value) if rd.summary is not None else ""
    return FieldTree(name, value, rd.width, fields, notes, summary)


def _el2_address_notes(cls: str) -> tuple[str, ...]:
    """What an address class means when the fault was taken at EL2 (nVHE vs VHE)."""
    if cls == AddressClass.USER:
        return ("low-half address at EL2: under nVHE this is a HYP VA (TTBR0_EL2 is EL2's only range); "
                "under VHE it is a user (EL0) address",)
    if cls in (AddressClass.KIMAGE, AddressClass.MODULES, AddressClass.VMALLOC, AddressClass.LINEAR):
        return ("EL1 kernel VA at EL2: nVHE hyp code cannot reach it (only HYP aliases are mapped); "
                "with VHE (HCR_EL2.E2H=1) the kernel's own VAs are valid at EL2",)
    return ()
