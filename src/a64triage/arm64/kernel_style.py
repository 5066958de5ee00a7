"""The ESR as Linux prints it: ``Mem abort info:`` / ``Data abort info:`` blocks.

Format strings: ``mem_abort_decode()`` and ``data_abort_decode()`` in
arch/arm64/mm/fault.c, in the eras listed in :data:`STYLES` (research notes
§3.4; v5.4 form from commit 2951d5efaf8b "arm64: mm: print hexadecimal EC
value in mem_abort_decode()").  Class strings: ``esr_class_str[]``
(arch/arm64/kernel/traps.c); fault names: ``fault_info[]`` (see ``fsc.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from a64triage.arm64.classes import EC, kernel_esr_class_str
from a64triage.arm64.fsc import fault_status_name
from a64triage.arm64.spec import extract
from a64triage.errors import InputError


@dataclass(frozen=True)
class KernelStyle:
    """Which lines one kernel era prints (the eras differ only in these features)."""

    name: str
    era: str
    esr_digits: int  # "ESR = 0x%08x" (8) or "0x%016lx" (16)
    ec_hex: bool  # "EC = 0x25: DABT..." (True) or "Exception class = DABT..." (False)
    fsc_line: bool  # "FSC = 0x07: level 3 translation fault"
    iss2: bool  # ISS2/TnD/TagAccess/GCS/Overlay/DirtyBit/Xs lines


# Eras as seen in real logs (tests/data/arm64/kernel-decodes): "old" in 4.19, "v5.4" in 5.8/5.10/5.13,
# "v6.1" in 6.1.75, "modern" in 6.12/6.15.  Boundaries are approximate.
STYLES: dict[str, KernelStyle] = {
    s.name: s
    for s in (
        KernelStyle("modern", "~v6.x with ISS2 decoding (TnD/TagAccess, GCS/Overlay/DirtyBit/Xs lines); seen in 6.12, 6.15", 16, True, True, True),
        KernelStyle("v6.1", "~v5.19 to before ISS2 decoding (64-bit ESR, FSC line); seen in 6.1", 16, True, True, False),
        KernelStyle("v5.4", "v5.4 (commit 2951d5efaf8b, hexadecimal EC) to ~v5.18; seen in 5.8, 5.10, 5.13", 8, True, False, False),
        KernelStyle("old", "v4.x to v5.3 (\"Exception class = ...\"); seen in 4.19", 8, False, False, False),
    )
}


def _style(style: str) -> KernelStyle:
    try:
        return STYLES[style]
    except KeyError:
        raise InputError("kernel style", f"unknown style {style!r}; choose one of {', '.join(STYLES)}") from None


def kernel_mem_abort_lines(esr: int, style: str = "modern") -> list[str]:
    """The lines ``mem_abort_decode(esr)`` prints, without the log-level prefix.

    Non-abort classes still get the ``Mem abort info:`` block (that is what the
    kernel would print if it reached mem_abort_decode with such an ESR).
    """
    st = _style(style)
    esr &= (1 << 64) - 1 if st.esr_digits == 16 else (1 << 32) - 1
    ec = extract(esr, 31, 26)
    il = 32 if esr >> 25 & 1 else 16
    lines = ["Mem abort info:"]
    lines.append(f"  ESR = 0x{esr:0{st.esr_digits}x}")
    if st.ec_hex:
        lines.append(f"  EC = 0x{ec:02x}: {kernel_esr_class_str(ec)}, IL = {il} bits")
    else:
        lines.append(f"  Exception class = {kernel_esr_class_str(ec)}, IL = {il} bits")
    lines.append(f"  SET = {extract(esr, 12, 11)}, FnV = {extract(esr, 10, 10)}")
    lines.append(f"  EA = {extract(esr, 9, 9)}, S1PTW = {extract(esr, 7, 7)}")
    if st.fsc_line:
        lines.append(f"  FSC = 0x{esr & 0x3F:02x}: {fault_status_name(esr)}")
    if ec in (EC.DABT_LOW, EC.DABT_CUR):
        lines.extend(_data_abort_lines(esr, st))
    return lines


def _data_abort_lines(esr: int, st: KernelStyle) -> list[str]:
    iss2 = extract(esr, 55, 32)
    out = ["Data abort info:"]
    if esr >> 24 & 1:
        out.append(f"  Access size = {1 << extract(esr, 23, 22)} byte(s)")
        out.append(f"  SSE = {extract(esr, 21, 21)}, SRT = {extract(esr, 20, 16)}")
        out.append(f"  SF = {extract(esr, 15, 15)}, AR = {extract(esr, 14, 14)}")
    elif st.iss2:
        out.append(f"  ISV = 0, ISS = 0x{esr & 0x1FFFFFF:08x}, ISS2 = 0x{iss2:08x}")
    else:
        out.append(f"  ISV = 0, ISS = 0x{esr & 0x1FFFFFF:08x}")
    if st.iss2:
        out.append(f"  CM = {extract(esr, 8, 8)}, WnR = {extract(esr, 6, 6)}, "
                   f"TnD = {extract(iss2, 10, 10)}, TagAccess = {extract(iss2, 9, 9)}")
        out.append(f"  GCS = {extract(iss2, 8, 8)}, Overlay = {extract(iss2, 6, 6)}, "
                   f"DirtyBit = {extract(iss2, 5, 5)}, Xs = {extract(iss2, 4, 0)}")
    else:
        out.append(f"  CM = {extract(esr, 8, 8)}, WnR = {extract(esr, 6, 6)}")
    return out


_ESR_RE = re.compile(r"^\s*ESR = 0x([0-9a-fA-F]+)\s*$")


def detect_style(lines: Iterable[str]) -> str:
    """Which :data:`STYLES` entry printed these ``Mem abort info`` lines (by their shape)."""
    text = [ln.rstrip() for ln in lines]
    digits = 8
    for ln in text:
        m = _ESR_RE.match(ln)
        if m:
            digits = 16 if len(m.group(1)) > 8 else 8
            break
    ec_hex = any(ln.lstrip().startswith("EC = 0x") for ln in text)
    fsc = any(ln.lstrip().startswith("FSC = 0x") for ln in text)
    iss2 = any("TnD = " in ln or "ISS2 = " in ln for ln in text)
    for st in STYLES.values():
        if (st.esr_digits, st.ec_hex, st.fsc_line, st.iss2) == (digits, ec_hex, fsc, iss2):
            return st.name
    return "modern"
