"""decode stage: Arm register values in, field trees out (declarative tables, no I/O).

Public API used by the other stages; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from a64triage._lazy import lazy_exports

if TYPE_CHECKING:
    from a64triage.arm64.address import AddressClass, AddressInfo, address_info, classify_address
    from a64triage.arm64.brk import brk_meaning
    from a64triage.arm64.classes import EC, esr_class_name, kernel_esr_class_str
    from a64triage.arm64.esr import EsrFacts, decode_esr, esr_summary
    from a64triage.arm64.fields import Field, FieldTree
    from a64triage.arm64.fsc import FaultKind, fault_status_name
    from a64triage.arm64.kernel_style import STYLES as KERNEL_STYLES
    from a64triage.arm64.kernel_style import detect_style, kernel_mem_abort_lines
    from a64triage.arm64.registry import REGISTERS, canonical, decode
    from a64triage.arm64.text import tree_lines

# Imported on first use (PEP 562): `symbols/` needs only the relocation table and
# must not pay for compiling every register table at start-up.
_LAZY: dict[str, tuple[str, str]] = {
    "AddressClass": ("a64triage.arm64.address", "AddressClass"),
    "AddressInfo": ("a64triage.arm64.address", "AddressInfo"),
    "EC": ("a64triage.arm64.classes", "EC"),
    "EsrFacts": ("a64triage.arm64.esr", "EsrFacts"),
    "FaultKind": ("a64triage.arm64.fsc", "FaultKind"),
    "Field": ("a64triage.arm64.fields", "Field"),
    "FieldTree": ("a64triage.arm64.fields", "FieldTree"),
    "KERNEL_STYLES": ("a64triage.arm64.kernel_style", "STYLES"),
    "REGISTERS": ("a64triage.arm64.registry", "REGISTERS"),
    "address_info": ("a64triage.arm64.address", "address_info"),
    "brk_meaning": ("a64triage.arm64.brk", "brk_meaning"),
    "canonical": ("a64triage.arm64.registry", "canonical"),
    "classify_address": ("a64triage.arm64.address", "classify_address"),
    "decode": ("a64triage.arm64.registry", "decode"),
    "decode_esr": ("a64triage.arm64.esr", "decode_esr"),
    "detect_style": ("a64triage.arm64.kernel_style", "detect_style"),
    "esr_class_name": ("a64triage.arm64.classes", "esr_class_name"),
    "esr_summary": ("a64triage.arm64.esr", "esr_summary"),
    "fault_status_name": ("a64triage.arm64.fsc", "fault_status_name"),
    "kernel_esr_class_str": ("a64triage.arm64.classes", "kernel_esr_class_str"),
    "kernel_mem_abort_lines": ("a64triage.arm64.kernel_style", "kernel_mem_abort_lines"),
    "tree_lines": ("a64triage.arm64.text", "tree_lines"),
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "EC",
    "KERNEL_STYLES",
    "REGISTERS",
    "AddressClass",
    "AddressInfo",
    "EsrFacts",
    "FaultKind",
    "Field",
    "FieldTree",
    "address_info",
    "brk_meaning",
    "canonical",
    "classify_address",
    "decode",
    "decode_esr",
    "detect_style",
    "esr_class_name",
    "esr_summary",
    "fault_status_name",
    "kernel_esr_class_str",
    "kernel_mem_abort_lines",
    "tree_lines",
]
