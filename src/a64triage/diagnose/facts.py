"""Facts: everything the rules may test, computed once per report.

The rule table (rules.py) reads only this record, so a rule never parses a
log or decodes a register itself; the stages before us did that, and this
module only collects their answers (and a few comparisons between them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from a64triage.arm64.address import address_info, classify_address
from a64triage.arm64.esr import EsrFacts, esr_summary
from a64triage.arm64.fields import FieldTree
from a64triage.console.records import Report
from a64triage.diagnose.el2 import PKVM_BOOT_LINE, El2View, KernelAtEl1, el2_view
from a64triage.diagnose.patterns import present
from a64triage.diagnose.poison import Poison, poison_of
from a64triage.disasm.types import Instruction
from a64triage.relocs.findings import Finding, HazardClass
from a64triage.symbols.types import Symbolized
from a64triage.symbols.vmcore import MemoryFact

PAGE_SIZE = 4096  # NULL-pointer window: arch/arm64/mm/fault.c uses addr < PAGE_SIZE
# arch/arm64/include/asm/memory.h: THREAD_SHIFT = MIN_THREAD_SHIFT (14) + KASAN_THREAD_SHIFT
# (0, or 1 with KASAN); with VMAP_STACK a task stack is THREAD_ALIGN-aligned and the vmalloc
# guard page lies just below its base.
THREAD_SIZE = 1 << 14
THREAD_SIZE_MAX = 1 << 15  # KASAN doubles it

# Symbolizer notes that mean "this PC is not inside the code of its symbol".
_BEYOND = re.compile(r"beyond|past the end|outside .*size|> ?size", re.IGNORECASE)
_LOCK_FN = re.compile(r"spin_lock|spin_trylock|queued_(?:spin|read|write)_lock|rwlock|_raw_(?:read|write)_lock|"
                      r"mutex_spin|osq_lock|rwsem_optimistic_spin")
_BASE_REG = re.compile(r"\[(x\d+|sp)\b")
_INDIRECT = re.compile(r"^(?:br|blr|braa|brab|blraa|blrab|braaz|brabz|blraaz|blrabz)$")


@dataclass(frozen=True)
class AddressFacts:
    """One address (FAR or PC) as the arm64 stage classified it."""

    value: int
    cls: str  # "null", "user", "kimage", "linear", "vmalloc", "modules", "noncanonical", ...
    summary: str
    tree: FieldTree
    tagged: bool = False  # a non-zero/non-0xff top byte (a tag, or PAC/error bits)


@dataclass(frozen=True)
class Facts:
    """What rules test.  ``el`` is the exception level the fault happened at."""

    kind: str
    title: str
    el: int | None
    esr: EsrFacts | None
    far: AddressFacts | None
    pc: AddressFacts | None
    far_is_pc: bool
    sp: int | None
    hyp_range: tuple[int, int] | None
    far_outside_hyp: bool | None
    pc_outside_hyp: bool | None
    poison: Poison | None  # of the FAR
    register_poisons: tuple[tuple[str, int, Poison], ...]
    function: str | None  # the faulting function, symbolized or as printed
    offset: int | None
    size: int | None
    section: str | None
    beyond_size: bool  # PC offset beyond its function's size: executing data/padding
    sym_notes: tuple[str, ...]
    findings: tuple[Finding, ...]
    abs_findings: tuple[Finding, ...]  # absolute-table/absolute-in-code in the faulting function
    indirect_branches: tuple[Instruction, ...]  # br/blr in the faulting function before the PC
    fault_insn: Instruction | None
    patterns: frozenset[str]
    extra: Mapping[str, str] = field(default_factory=dict)
    registers: tuple[tuple[str, int], ...] = ()
    lr: str | None = None  # the printed lr symbol
    has_vmlinux: bool = False
    view: El2View = field(default_factory=KernelAtEl1)  # what ran at the faulting EL (el2.py)
    memory: tuple[MemoryFact, ...] = ()  # what a core dump says about the report's addresses

    def has(self, *names: str) -> bool:
        """True when any of the named log patterns (patterns.py) occurs in the report."""
        return any(n in self.patterns for n in names)

    @property
    def fsc_type(self) -> str | None:
        return self.esr.fsc_type if self.esr is not None else None

    @property
    def is_abort(self) -> bool:
        return self.esr is not None and self.esr.is_abort

    @property
    def far_value(self) -> int | None:
        return self.far.value if self.far is not None else None

    @property
    def brk_imm(self) -> int | None:
        return self.esr.brk_imm if self.esr is not None else None

    @property
    def pc_label(self) -> str | None:
        """``function+0xoff`` of the PC, as the audit names branch targets."""
        if self.function is None or self.offset is None:
            return None
        return f"{self.function}+{self.offset:#x}"

    @property
    def table_holds_pc(self) -> bool:
        """An absolute table slot found by the audit holds the faulting PC."""
        return self.pc_label is not None and any(f.target == self.pc_label for f in self.abs_findings)

    @property
    def via(self) -> str:
        """How control reached the PC, when the disassembly/audit show it."""
        if self.indirect_branches:
            br = self.indirect_branches[-1]
            off = f" at +{br.address - self.pc.value + (self.offset or 0):#x}" if self.pc and self.offset is not None else ""
            text = f", reached by `{br.mnemonic} {br.op_str}`{off}"
            if self.abs_findings:
                sections = sorted({f.section for f in self.abs_findings if f.section})
                text += f" whose target comes from an absolute jump table in {', '.join(sections) or 'data'}"
            return text
        if self.abs_findings:
            return ", where the audit finds an absolute address"
        return ""

    @property
    def access_insn(self) -> str:
        """The faulting load/store and its base register's value, when both are known."""
        insn = self.fault_insn
        if insn is None:
            return ""
        text = f" by `{insn.mnemonic} {insn.op_str}`"
        m = _BASE_REG.search(insn.op_str)
        if m:
            reg = m.group(1)
            value = dict(self.registers).get(reg)
            if value is not None:
                text += f" ({reg} = {value:#x})"
        return text

    @property
    def free_object(self) -> MemoryFact | None:
        """The fault address (or the slab object a slub report names) inside a FREE slab object."""
        return next((m for m in self.memory if m.role in ("FAR", "corrupted byte", "object")
                     and m.slab is not None and (m.slab.allocated is False or m.free_poisoned)), None)

    @property
    def freed_register_object(self) -> MemoryFact | None:
        """A crash-time register pointing into a FREE slab object (the object being freed again)."""
        return next((m for m in self.memory if m.role.startswith("x")
                     and m.slab is not None and m.slab.allocated is False), None)

    @property
    def at_hyp(self) -> bool:
        """The fault is in hyp code (nVHE/pKVM), not in a VHE host kernel that runs at EL2."""
        return self.view.hyp_rules_apply(self.el)

    def values(self) -> dict[str, str]:
        """Strings for summary templates.  A missing fact reads as what is unknown and which
        input would give it, never as a bare '?'."""
        esr = self.esr
        access = "access"
        if esr is not None and esr.is_instruction:
            access = "instruction fetch"
        elif esr is not None and esr.wnr is not None:
            access = "write" if esr.wnr else "read"
        no_far = "an address the log does not show (the 'Unable to handle ... at virtual address' or FAR line gives it)"
        where = self.function or (f"the code at {self.pc.value:#x}" if self.pc else
                                  "code the log does not locate (no pc line)")
        if self.function and self.offset is not None:
            where = f"{self.function}+{self.offset:#x}"
        if self.hyp_range:
            hyp_where = f"a kernel-image address outside the HYP VA range {self.hyp_range[0]:x}:{self.hyp_range[1]:x}"
        else:
            hyp_where = ("a kernel-image address that nVHE's EL2 does not map (the log has no 'HYP VA range' "
                         "line to check it against)")
        no_esr = "an exception the log does not decode (no ESR)"
        return {
            "kind": self.kind,
            "title": self.title,
            "el": f"EL{self.el}" if self.el is not None else "an unknown exception level (no pstate or PS line)",
            "far": f"{self.far.value:#018x}" if self.far else no_far,
            "far_short": f"{self.far.value:#x}" if self.far else no_far,
            "far_class": self.far.summary if self.far else "not classified: no faulting address in the log",
            "pc": f"{self.pc.value:#018x}" if self.pc else "a PC the log does not show",
            "lr": self.lr or "the caller",
            "function": self.function or "the faulting function (unnamed in the log: --vmlinux names it)",
            "where": where,
            "lock": (f" — spinning in {self.function}: waiting for a lock another CPU holds"
                     if self.function and _LOCK_FN.search(self.function) else ""),
            "in_where": f"in {where}" if self.function else (f"at PC {self.pc.value:#x}" if self.pc else ""),
            "access": access,
            "fault": (esr.fsc_name or esr.kernel_class) if esr else no_esr,
            "ec": esr.kernel_class if esr else no_esr,
            "level": str(esr.level) if esr and esr.level is not None else "unknown",
            "poison": self.poison.name if self.poison else "no known poison value",
            "brk": f"{esr.brk_imm:#x}" if esr and esr.brk_imm is not None else "an immediate the log does not show",
            "brk_meaning": (f"BRK #{esr.brk_imm:#x}: {esr.brk_meaning}" if esr and esr.brk_imm is not None
                            and esr.brk_meaning else "a BRK whose immediate no table knows"),
            "hyp_range": (f"{self.hyp_range[0]:x}:{self.hyp_range[1]:x}" if self.hyp_range
                          else "unknown: the log has no 'HYP VA range' line"),
            "hyp_where": hyp_where,
            "bug_type": self.extra.get("bug_type", "of a type the report does not name"),
            "via": self.via,
            "insn": self.access_insn,
            "free_object": _object_text(self.free_object or self.freed_register_object),
        }


def _object_text(m: MemoryFact | None) -> str:
    if m is None or m.slab is None:
        return "no slab object (the core dump does not place the address in one)"
    state = "which is free" if m.slab.allocated is False else "whose bytes still hold slub's free poison"
    return (f"{m.role} {m.address:#x} is inside object {m.slab.start:#x} "
            f"(+{m.address - m.slab.start:#x}) of slab cache {m.slab.cache}, {state}")


def _spsr_el(ps: int | None) -> int | None:
    """Exception level a SPSR/PSTATE value says the exception was taken from.

    Arm ARM C5.2.18 SPSR_EL2: M[4] = 0 for AArch64, M[3:2] = exception level.
    """
    if ps is None or ps >> 4 & 1:
        return None
    return ps >> 2 & 3


_RELEASE = re.compile(r"^(\d+)\.(\d+)")


def _release(version: str | None) -> tuple[int, int] | None:
    """(major, minor) of the kernel that printed the report: the address layout depends on it."""
    m = _RELEASE.match(version or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def _address(value: int | None, report: Report, hyp_range: tuple[int, int] | None) -> AddressFacts | None:
    if value is None:
        return None
    release = _release(report.kernel_version)
    info = address_info(value, hyp_va_range=hyp_range, kaslr_offset=report.kernel_offset, release=release)
    tree = classify_address(value, hyp_va_range=hyp_range, kaslr_offset=report.kernel_offset, release=release)
    return AddressFacts(value, info.cls.value.lower(), tree.summary, tree, info.tag is not None)


def _panic_value(report: Report, key: str) -> int | None:
    if report.kvm is None:
        return None
    for name, value in report.kvm.panic:
        if name == key:
            return value
    return None


def fault_el(report: Report, esr: EsrFacts | None) -> int | None:
    """EL of the fault: the hyp-panic PS (SPSR_EL2) or the report's pstate."""
    ps = _panic_value(report, "PS")
    if ps is not None:
        return _spsr_el(ps)
    if report.kind == "hyp-panic":
        return 2
    el = _spsr_el(report.pstate)
    if el is not None:
        return el
    if esr is not None and esr.same_el:
        return 1
    return None


def _view(report: Report, el: int | None, esr: EsrFacts | None, pc: AddressFacts | None,
          context_line: Callable[[re.Pattern[str]], str | None] | None) -> El2View:
    context = []
    if context_line is not None and (line := context_line(PKVM_BOOT_LINE)) is not None:
        context.append(line)
    fetch_translation = bool(esr and esr.is_instruction and esr.fsc_type == "translation")
    return el2_view(report, el, pc.cls if pc is not None else None, fetch_translation, context)


def exception_view(report: Report,
                   context_line: Callable[[re.Pattern[str]], str | None] | None = None) -> tuple[int | None, El2View]:
    """The faulting EL and what ran there, before the other facts (explain needs them to name
    the registers and to decide whether to audit hyp code)."""
    if report.arch != "arm64":
        return None, KernelAtEl1()
    esr_value = _panic_value(report, "ESR") if report.esr is None else report.esr
    esr = esr_summary(esr_value) if esr_value is not None else None
    pc_value = report.pc.address if report.pc is not None and report.pc.address is not None else None
    if pc_value is None:
        pc_value = _panic_value(report, "PC")
    hyp_range = None
    if report.kvm is not None and report.kvm.hyp_va_start is not None and report.kvm.hyp_va_end is not None:
        hyp_range = (report.kvm.hyp_va_start, report.kvm.hyp_va_end)
    el = fault_el(report, esr)
    return el, _view(report, el, esr, _address(pc_value, report, hyp_range), context_line)


def gather(
    report: Report,
    *,
    symbolized_pc: Symbolized | None,
    findings: tuple[Finding, ...],
    disassembly: tuple[Instruction, ...],
    has_vmlinux: bool,
    context_line: Callable[[re.Pattern[str]], str | None] | None = None,
) -> Facts:
    """Collect the facts of one report from the stage results explain already has.

    Every arm64 fact (ESR, FAR, PC, EL, poison) comes from the arm64 decoding of
    an arm64 report or is absent: a fact that is absent is absent for every rule
    and every evidence producer, whatever the report's arch.  ``context_line``
    finds a log line outside the report (kvm boot lines) for the EL2 view.
    """
    arm64 = report.arch == "arm64"  # a 32-bit ARM or x86 report's FSR/addresses are not arm64 registers
    esr_value = _panic_value(report, "ESR") if report.esr is None else report.esr
    esr = esr_summary(esr_value) if esr_value is not None and arm64 else None
    kvm = report.kvm
    hyp_range = None
    if kvm is not None and kvm.hyp_va_start is not None and kvm.hyp_va_end is not None:
        hyp_range = (kvm.hyp_va_start, kvm.hyp_va_end)
    far_value = report.far if report.far is not None else _panic_value(report, "FAR")
    pc_value = report.pc.address if report.pc is not None and report.pc.address is not None else None
    if pc_value is None:
        pc_value = _panic_value(report, "PC")
    if far_value is None and esr is not None and esr.is_instruction:
        far_value = pc_value  # an instruction abort's FAR is the fetch address: the PC (Arm ARM D24.2.48)
    far = _address(far_value, report, hyp_range) if arm64 else None
    pc = _address(pc_value, report, hyp_range) if arm64 else None

    def outside(a: AddressFacts | None) -> bool | None:
        if a is None or hyp_range is None:
            return None
        return not hyp_range[0] <= a.value <= hyp_range[1]

    function = offset = size = None
    section = None
    sym_notes: tuple[str, ...] = ()
    if symbolized_pc is not None and symbolized_pc.function:
        function, offset, size = symbolized_pc.function, symbolized_pc.offset, symbolized_pc.size
        section, sym_notes = symbolized_pc.section, symbolized_pc.notes
    elif report.pc is not None and report.pc.function:
        function, offset, size = report.pc.function, report.pc.offset, report.pc.size
    elif kvm is not None and kvm.panic_at is not None and kvm.panic_at.function:
        function, offset, size = kvm.panic_at.function, kvm.panic_at.offset, kvm.panic_at.size
    beyond = bool(offset is not None and size and offset >= size) or any(_BEYOND.search(n) for n in sym_notes)

    regs = tuple((name, value, p) for name, value in report.registers
                 if arm64 and (p := poison_of(value)) is not None)
    el = fault_el(report, esr) if arm64 else None
    view = _view(report, el, esr, pc, context_line)
    abs_kinds = {HazardClass.ABSOLUTE_TABLE, HazardClass.ABSOLUTE_IN_CODE}
    abs_findings = tuple(f for f in findings if f.cls in abs_kinds)
    fault_insn = next((i for i in disassembly if i.faulting), None)
    indirect = tuple(
        i for i in disassembly
        if _INDIRECT.match(i.mnemonic) and (pc_value is None or i.address < pc_value)
    )
    patterns = present(report.lines)
    return Facts(
        kind=report.kind,
        title=report.headline,
        el=el,
        esr=esr,
        far=far,
        pc=pc,
        far_is_pc=far is not None and pc is not None and far.value == pc.value,
        sp=report.sp,
        hyp_range=hyp_range,
        far_outside_hyp=outside(far),
        pc_outside_hyp=outside(pc),
        poison=poison_of(far.value) if far is not None else None,
        register_poisons=regs,
        function=function,
        offset=offset,
        size=size,
        section=section,
        beyond_size=beyond,
        sym_notes=sym_notes,
        findings=findings,
        abs_findings=abs_findings,
        indirect_branches=indirect,
        fault_insn=fault_insn,
        patterns=patterns,
        extra=dict(report.extra),
        registers=report.registers,
        lr=(f"{report.lr.function}+{report.lr.offset:#x}" if report.lr and report.lr.function
            and report.lr.offset is not None else report.lr.function if report.lr else None),
        has_vmlinux=has_vmlinux,
        view=view,
    )
