"""Which EL2 is this?  The host kernel (VHE), nVHE hyp code, or the pKVM hypervisor.

An exception taken from EL2 means three different things on arm64 Linux:

* **VHE** (ARMv8.1 FEAT_VHE, HCR_EL2.E2H = 1; Neoverse/Ampere servers, Apple
  silicon under Asahi, Cortex-A55/A76-class boards booted at EL2): the host
  kernel itself runs at EL2 (``is_kernel_in_hyp_mode()``); its oopses print
  an EL2h pstate, its ESR is ESR_EL2, and EL2 maps every kernel VA.
* **nVHE**: the kernel runs at EL1 and only the small ``__kvm_nvhe_*`` world
  switch runs at EL2, in its own translation regime (HYP VAs, the "HYP VA
  range" and "Hyp Offset" lines); a fault there is a ``HYP panic``.
* **pKVM** (``kvm-arm.mode=protected``): nVHE hyp code that also owns the
  host's stage 2 (``handle_host_mem_abort``, ``pkvm_*``).

The answer is chosen once per report (:func:`el2_view`) as one small variant
class; rules ask ``facts.view.hyp_code`` instead of testing flags, and the
evidence quotes the view's reasons.  Sources: arch/arm64/kvm/arm.c
(``kvm_arm_init``: "VHE mode initialized successfully", "Protected nVHE mode
initialized successfully", "Hyp mode initialized successfully"),
arch/arm64/kvm/handle_exit.c (``nvhe_hyp_panic_handler``: "nVHE hyp panic at",
"nVHE hyp BUG at", "Hyp Offset"), arch/arm64/kvm/hyp/vhe/switch.c
(``__hyp_call_panic``: the same "HYP panic:" block, PC a kernel VA),
arch/arm64/kernel/traps.c (``die()`` prints the register dump of the kernel's
own exceptions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from a64triage.console.records import Frame, Report

# Kernel address classes (arm64.address) that VHE's EL2 maps and nVHE's EL2 does not.
_KERNEL_VA = ("kimage", "kernel-image", "linear", "modules", "vmalloc", "vmemmap", "fixmap")
_NVHE_LINE = re.compile(r"nVHE hyp (?:panic|BUG|CFI failure) at|nVHE call trace|Hyp Offset:")
# The boot lines that say pKVM (explain keeps them outside the report), and in the report itself.
PKVM_BOOT_LINE = re.compile(r"Protected nVHE mode initialized|kvm-arm\.mode=protected")
_PKVM_LINE = re.compile(PKVM_BOOT_LINE.pattern + r"|Failed to finalize Hyp protection")
# Functions that exist only when the hypervisor owns the host's stage 2 (pKVM).
_PKVM_FN = re.compile(r"(?:^|_)pkvm_|finalize_pkvm|handle_host_mem_abort|host_stage2|__pkvm_")
_NVHE_FN = "__kvm_nvhe_"
# Exception-entry and syscall frames every kernel trace ends with: not evidence of anything.
_ENTRY_FN = re.compile(r"^(?:el[01]h?t?_64_|el0_svc|el1_|ret_from_fork|kthread|do_el0_svc|invoke_syscall)")


@dataclass(frozen=True)
class El2View:
    """What ran at the exception level that took the exception, and why we think so."""

    name: ClassVar[str] = "el1"
    short: ClassVar[str] = "EL1"
    hyp_code: ClassVar[bool] = False  # EL2 code is hyp code, not the host kernel
    label: ClassVar[str] = "the kernel at EL1"
    reasons: tuple[str, ...] = ()

    def register_el(self, el: int | None) -> int:
        """The ELx suffix of ESR/FAR/SPSR: the level that took the exception."""
        return 2 if el == 2 else 1

    def describe(self, el: int | None) -> str:
        if el == 0:
            return "user space (EL0), taken to the kernel"
        return self.label

    def hyp_rules_apply(self, el: int | None) -> bool:
        return el == 2 and self.hyp_code


@dataclass(frozen=True)
class KernelAtEl1(El2View):
    """The ordinary case: the kernel runs at EL1 (or the report is not about EL2)."""


@dataclass(frozen=True)
class VheHost(El2View):
    name: ClassVar[str] = "vhe"
    short: ClassVar[str] = "VHE"
    label: ClassVar[str] = "the host kernel itself, running at EL2 (VHE), not hyp code"


@dataclass(frozen=True)
class NvheHyp(El2View):
    name: ClassVar[str] = "nvhe"
    short: ClassVar[str] = "nVHE"
    hyp_code: ClassVar[bool] = True
    label: ClassVar[str] = "nVHE hyp code (KVM's EL2 world switch in its own HYP VA space), not the host kernel"


@dataclass(frozen=True)
class PkvmHyp(NvheHyp):
    name: ClassVar[str] = "pkvm"
    short: ClassVar[str] = "pKVM"
    label: ClassVar[str] = ("the pKVM hypervisor (protected nVHE: hyp code that owns the host's stage 2), "
                            "not the host kernel")


def _fn(frame: Frame | None) -> str:
    return (frame.function or "") if frame is not None else ""


def _names(frames: Iterable[Frame]) -> list[str]:
    return [f.function for f in frames if f.function]


def _kernel_frames(report: Report) -> list[str]:
    """Ordinary (task/irq stack) kernel frames that name real work, in trace order."""
    return [f.function for f in report.call_trace
            if f.function and f.stack != "hyp" and not f.function.startswith(_NVHE_FN)
            and not _ENTRY_FN.match(f.function)]


def el2_view(report: Report, el: int | None, pc_class: str | None, esr_is_fetch_translation: bool,
             context: Iterable[str] = ()) -> El2View:
    """Choose the variant once for a report.

    ``pc_class`` is the arm64 address class of the faulting PC; ``context`` the
    log lines outside the report that explain kept (kvm boot lines).
    """
    if el != 2:
        return KernelAtEl1()  # the common case costs nothing: no line is scanned
    lines = (*report.lines, *context)
    kvm = report.kvm
    hyp_frames = [f for f in report.call_trace if f.stack == "hyp" or _fn(f).startswith(_NVHE_FN)]
    at = kvm.panic_at if kvm is not None else None
    hyp_names = _names([*hyp_frames, *([at] if at is not None else [])])
    pkvm_hits = [n for n in hyp_names + _names(report.call_trace) if _PKVM_FN.search(n)]
    pkvm_line = next((ln.strip() for ln in lines if _PKVM_LINE.search(ln)), None)
    nvhe_line = next((ln.strip() for ln in lines if _NVHE_LINE.search(ln)), None)
    mode = kvm.mode if kvm is not None else None

    def hyp(reasons: list[str]) -> El2View:
        if mode == "protected" or pkvm_line or pkvm_hits:
            extra = (["kvm mode: protected"] if mode == "protected" else []) + \
                ([f"'{pkvm_line}'"] if pkvm_line else []) + \
                ([f"pKVM-only code in the trace: {', '.join(dict.fromkeys(pkvm_hits))}"] if pkvm_hits else [])
            return PkvmHyp(tuple(reasons + extra))
        return NvheHyp(tuple(reasons))

    if mode == "vhe":
        return VheHost(("the log says 'kvm [1]: VHE mode initialized successfully': the kernel runs at EL2",))
    hyp_panic = report.kind == "hyp-panic" or (kvm is not None and bool(kvm.panic))
    if not hyp_panic:
        # Only the kernel's own die()/__warn() print a register dump with a pstate line; an
        # nVHE or pKVM hypervisor never does (its faults end in "HYP panic").
        reasons = [f"the report is the kernel's own {report.kind} with an EL2h pstate: an nVHE or pKVM "
                   "hypervisor never prints one, so the kernel itself runs at EL2 (VHE)"]
        frames = _kernel_frames(report)
        if frames:
            reasons.append("ordinary kernel frames in the call trace: " + ", ".join(frames[:3]))
        if pc_class in _KERNEL_VA:
            reasons.append(f"the PC is a kernel address ({pc_class}), which only VHE's EL2 maps")
        reasons.append("no 'HYP panic' or 'nVHE hyp panic' line")
        return VheHost(tuple(reasons))
    reasons = []
    if nvhe_line:
        reasons.append(f"'{nvhe_line}' is printed only for nVHE/pKVM hyp code")
    if kvm is not None and kvm.hyp_va_start is not None:
        reasons.append("the log prints a 'HYP VA range': EL2 has its own address space (nVHE)")
    if hyp_names and any(n.startswith(_NVHE_FN) for n in hyp_names):
        reasons.append(f"__kvm_nvhe_ symbols: {', '.join(dict.fromkeys(hyp_names))[:120]}")
    if mode == "nvhe":
        reasons.append("the boot log says 'Hyp mode initialized successfully', not 'VHE mode': KVM runs nVHE")
    if reasons or pkvm_line or pkvm_hits or mode == "protected":
        return hyp(reasons)
    # A bare "HYP panic:" block: VHE (vhe/switch.c) and 4.x nVHE print the same format.
    if pc_class in _KERNEL_VA and not esr_is_fetch_translation:
        return VheHost((f"a 'HYP panic' whose PC is a kernel address ({pc_class}) with no nVHE line, "
                        "no Hyp Offset and no HYP VA range: VHE's __hyp_call_panic, EL2 running kernel code",))
    if pc_class in _KERNEL_VA:
        return NvheHyp((f"an instruction fetch at EL2 faulted at a kernel address ({pc_class}): VHE's EL2 maps "
                        "every kernel VA, so this EL2 has its own tables (nVHE)",))
    return NvheHyp(("a 'HYP panic' whose PC is not a kernel address: a HYP VA of nVHE hyp code",))
