"""decode stage: Arm register values in, field trees out (declarative tables, no I/O).

Public API used by the other stages; see docs/ARCHITECTURE.md.
"""

from __future__ import annotations

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
