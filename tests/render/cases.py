"""Explanations built by hand for the renderer tests.

They are what ``explain`` produces, fixed here so the goldens only change when
the renderers do.  ``hyp_panic_2017`` is the Nov 2017 clang HYP panic
(https://lkml.org/lkml/2017/11/3/684, Mark Rutland's reply in "[PATCH 00/15] Add
support for clang LTO"): the register values, call trace and instruction words
are the report's; decoded field meanings follow the Arm ARM (D24.2.41 ESR_EL2,
C5.2.19 SPSR_EL2, D24.2.70 HPFAR_EL2).  The function's load address is
illustrative (PC - 0x34: the report has the object's disassembly, not the
vmlinux's).  ``hostile_oops`` is a 6.1-style NULL dereference whose comm name,
log lines, symbol and file names try to inject markup and terminal escapes.
"""

from __future__ import annotations

from collections.abc import Sequence

from a64triage.arm64.fields import Field, FieldTree
from a64triage.console.records import Frame, KvmInfo, Report
from a64triage.diagnose.types import (
    Evidence,
    Explanation,
    FrameResult,
    Hypothesis,
    ReportExplanation,
)
from a64triage.disasm.types import Instruction
from a64triage.relocs.findings import Finding, HazardClass, Severity
from a64triage.symbols.types import SourceLocation, Symbolized

# (name, hi, lo, meaning, sub-fields)
Spec = tuple[str, int, int, str, Sequence["Spec"]]


def _bits(value: int, hi: int, lo: int) -> int:
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def _fields(value: int, specs: Sequence[Spec]) -> tuple[Field, ...]:
    return tuple(
        Field(name, hi, lo, _bits(value, hi, lo), meaning, _fields(value, subs))
        for name, hi, lo, meaning, subs in specs
    )


def tree(register: str, value: int, width: int, specs: Sequence[Spec], summary: str = "",
         notes: tuple[str, ...] = ()) -> FieldTree:
    return FieldTree(register, value, width, _fields(value, specs), notes, summary)


def r0(hi: int, lo: int) -> Spec:
    return ("RES0", hi, lo, "reserved, RES0", ())


# --------------------------------------------------------------------- 2017
HYP_LINES = (
    "Kernel panic - not syncing: HYP panic:",
    "PS:800003c9 PC:ffff0000089e6fd8 ESR:86000004",
    "FAR:ffff0000089e6fd8 HPFAR:0000000009825000 PAR:0000000000000000",
    "VCPU:000804fc20001221",
    "",
    "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 4.14.0-rc7-dirty #3",
    "Hardware name: ARM Juno development board (r1) (DT)",
    "Call trace:",
    "[<ffff000008088ea4>] dump_backtrace+0x0/0x34c",
    "[<ffff000008089208>] show_stack+0x18/0x20",
    "[<ffff0000089c73ec>] dump_stack+0xc4/0xfc",
    "[<ffff0000080c8e1c>] panic+0x138/0x2b4",
    "[<ffff0000080c8ce4>] panic+0x0/0x2b4",
    "SMP: stopping secondary CPUs",
    "SMP: failed to stop secondary CPUs 0-3,5",
    "Kernel Offset: disabled",
    "CPU features: 0x002086",
    "Memory Limit: none",
    "---[ end Kernel panic - not syncing: HYP panic:",
)

ESR_2017 = tree(
    "ESR_EL2", 0x86000004, 64,
    [
        r0(63, 56),
        ("ISS2", 55, 32, "ISS2: no extra syndrome", ()),
        ("EC", 31, 26, "Instruction Abort taken without a change in Exception level (IABT_CUR)", ()),
        ("IL", 25, 25, "32-bit instruction trapped", ()),
        ("ISS", 24, 0, "instruction abort syndrome", [
            r0(24, 13),
            ("SET", 12, 11, "synchronous error type: recoverable (UER); only valid for external aborts", ()),
            ("FnV", 10, 10, "FAR is valid", ()),
            ("EA", 9, 9, "not an external abort", ()),
            r0(8, 8),
            ("S1PTW", 7, 7, "not a fault on a stage 2 translation for a stage 1 walk", ()),
            r0(6, 6),
            ("IFSC", 5, 0, "Translation fault, level 0", ()),
        ]),
    ],
    summary="Instruction Abort at EL2: level 0 translation fault",
)

SPSR_2017 = tree(
    "SPSR_EL2", 0x800003C9, 64,
    [
        r0(63, 32),
        ("N", 31, 31, "negative condition flag", ()),
        ("Z", 30, 30, "zero condition flag", ()),
        ("C", 29, 29, "carry condition flag", ()),
        ("V", 28, 28, "overflow condition flag", ()),
        r0(27, 26),
        ("TCO", 25, 25, "tag checks not overridden", ()),
        ("DIT", 24, 24, "data independent timing off", ()),
        ("UAO", 23, 23, "user access override off", ()),
        ("PAN", 22, 22, "privileged access never off", ()),
        ("SS", 21, 21, "software step off", ()),
        ("IL", 20, 20, "illegal execution state clear", ()),
        r0(19, 14),
        ("ALLINT", 13, 13, "", ()),
        ("SSBS", 12, 12, "speculative store bypass unsafe", ()),
        ("BTYPE", 11, 10, "", ()),
        ("D", 9, 9, "debug exceptions masked", ()),
        ("A", 8, 8, "SError masked", ()),
        ("I", 7, 7, "IRQ masked", ()),
        ("F", 6, 6, "FIQ masked", ()),
        r0(5, 5),
        ("nRW", 4, 4, "AArch64", ()),
        ("M", 3, 0, "EL2h: taken from EL2 using SP_EL2", ()),
    ],
    summary="exception taken from EL2h (hyp itself, not a guest), DAIF all masked",
)

FAR_2017 = tree(
    "FAR_EL2", 0xFFFF0000089E6FD8, 64,
    [("VA", 63, 0, "kernel image address (4.14 kimage), outside HYP VA range 800000000000:ffffffffffff", ())],
    summary="equals PC: the instruction fetch itself faulted",
)

HPFAR_2017 = tree(
    "HPFAR_EL2", 0x9825000, 64,
    [
        ("NS", 63, 63, "", ()),
        r0(62, 44),
        ("FIPA", 43, 4, "IPA[47:12] = 0x982500000", ()),
        r0(3, 0),
    ],
    notes=("HPFAR_EL2 is only written for stage 2 faults; this stage 1 fault at EL2 leaves it stale",),
)

S2 = "arch/arm64/kvm/hyp/s2-setup.c"
FN = "__init_stage2_translation"
BASE = 0xFFFF0000089E6FA4


def _loc(line: int, text: str | None = None) -> SourceLocation:
    return SourceLocation(FN, S2, line, None, text)


# offset, word, mnemonic, operands, source line, extra keyword arguments
_CODE: tuple[tuple[int, int, str, str, int, dict[str, object]], ...] = (
    (0x00, 0xD5380709, "mrs", "x9, id_aa64mmfr0_el1", 32, {}),
    (0x04, 0x12000928, "and", "w8, w9, #0x7", 32, {}),
    (0x08, 0x7100111F, "cmp", "w8, #0x4", 33, {}),
    (0x0C, 0xD3700928, "ubfiz", "x8, x9, #0x10, #3", 35, {}),
    (0x10, 0x54000188, "b.hi", f"#0x{BASE + 0x40:x}", 33, {"target": f"{FN}+0x40"}),
    (0x14, 0x9000000A, "adrp", f"x10, #0x{BASE & ~0xFFF:x}", 38,
     {"relocation": "R_AARCH64_ADR_PREL_PG_HI21 .rodata"}),
    (0x18, 0x92400929, "and", "x9, x9, #0x7", 38, {}),
    (0x1C, 0x9100014A, "add", "x10, x10, #0", 38, {"relocation": "R_AARCH64_ADD_ABS_LO12_NC .rodata"}),
    (0x20, 0xF869794B, "ldr", "x11, [x10, x9, lsl #3]", 38,
     {"note": "jump table: 8-byte absolute entries (R_AARCH64_ABS64 in .rela.rodata)"}),
    (0x24, 0x52800509, "mov", "w9, #0x28", 41, {}),
    (0x28, 0x321B03E0, "orr", "w0, wzr, #0x20", 39, {}),
    (0x2C, 0x321B03EA, "orr", "w10, wzr, #0x20", 39, {}),
    (0x30, 0xD61F0160, "br", "x11", 38, {"note": "indirect branch through the jump table"}),
    (0x34, 0x52800480, "mov", "w0, #0x24", 38,
     {"faulting": True, "note": "jump-table target: fetched at its kernel-image VA"}),
    (0x38, 0x321E0BEA, "orr", "w10, wzr, #0x1c", 40, {}),
    (0x3C, 0x14000008, "b", f"#0x{BASE + 0x5C:x}", 40, {"target": f"{FN}+0x5c"}),
    (0x40, 0x321C07E9, "orr", "w9, wzr, #0x30", 44, {}),
    (0x44, 0x14000004, "b", f"#0x{BASE + 0x54:x}", 44, {"target": f"{FN}+0x54"}),
)

SOURCE_TEXT = {
    32: "\tpa_bits = read_sysreg(id_aa64mmfr0_el1) & 7;",
    38: "\tswitch (pa_bits) {",
    39: "\tcase 0: pa_bits = 32; break;",
    40: "\tcase 1: pa_bits = 36; break;",
    41: "\tcase 2: pa_bits = 40; break;",
    44: "\tdefault: pa_bits = 48; break;",
}


def _disasm() -> tuple[Instruction, ...]:
    out = []
    for off, word, mn, ops, line, extra in _CODE:
        out.append(Instruction(BASE + off, word, mn, ops, source=_loc(line, SOURCE_TEXT.get(line)),
                               **extra))  # type: ignore[arg-type]
    return tuple(out)


def _trace_frame(line_no: int, addr: int, fn: str, off: int, size: int) -> FrameResult:
    return FrameResult(Frame(function=fn, offset=off, size=size, address=addr, line_no=line_no))


def hyp_panic_2017() -> Explanation:
    report = Report(
        kind="hyp-panic",
        title="Kernel panic - not syncing: HYP panic",
        span=(5, 23),
        kernel_version="4.14.0-rc7-dirty",
        build="#3",
        hardware="ARM Juno development board (r1) (DT)",
        cpu=0,
        pid=0,
        comm="swapper/0",
        tainted=None,
        message="HYP panic:",
        esr=0x86000004,
        far=0xFFFF0000089E6FD8,
        pc=Frame(address=0xFFFF0000089E6FD8, stack="hyp", line_no=6),
        pstate=0x800003C9,
        call_trace=(),
        kvm=KvmInfo(
            hyp_va_start=0x800000000000, hyp_va_end=0xFFFFFFFFFFFF, idmap_page=0x809E2000,
            initialized=True, mode="nvhe", vmid_bits=8,
            panic=(("PS", 0x800003C9), ("PC", 0xFFFF0000089E6FD8), ("ESR", 0x86000004),
                   ("FAR", 0xFFFF0000089E6FD8), ("HPFAR", 0x9825000), ("PAR", 0),
                   ("VCPU", 0x000804FC20001221)),
        ),
        kernel_offset=0,
        lines=HYP_LINES,
    )
    top = Hypothesis(
        cls="hyp-absolute-address",
        confidence=0.9,
        summary=(
            "EL2 branched to ffff0000089e6fd8, a kernel-image address the HYP page tables do not "
            "map: hyp code (which runs at its HYP VA alias) used an absolute address, here an "
            "entry of a compiler-generated jump table in __init_stage2_translation."
        ),
        evidence=(
            Evidence("log", "PS:800003c9 PC:ffff0000089e6fd8 ESR:86000004", 6),
            Evidence("log", "FAR equals PC: the fetch of the branch target itself faulted", 7),
            Evidence("log", "kvm [1]: HYP VA range: 800000000000:ffffffffffff", 3),
            Evidence("register", "ESR 0x86000004: EC 0x21 instruction abort at the current EL (EL2), "
                     "IFSC 0x04 level 0 translation fault"),
            Evidence("register", "SPSR_EL2 0x800003c9: taken from EL2h, so hyp code faulted, not a guest"),
            Evidence("symbol", "PC is __init_stage2_translation+0x34/0x98 (s2-setup.c:38) at its "
                     "kernel-image VA, not its HYP alias"),
            Evidence("disasm", "ldr x11, [x10, x9, lsl #3]; br x11 at +0x20/+0x30: an 8-byte jump "
                     "table of absolute addresses"),
            Evidence("audit", "absolute-table: R_AARCH64_ABS64 jump-table entries used by .hyp.text"),
        ),
        next_step=(
            "Rebuild arch/arm64/kvm/hyp/ with -fno-jump-tables (the workaround Android carried) and "
            "check every hyp object with `a64triage audit arch/arm64/kvm/hyp/*.o`; from v5.12 the "
            "kernel relocates absolute hyp addresses at boot (.hyp.reloc)."
        ),
    )
    second = Hypothesis(
        cls="hyp-corrupted-pointer",
        confidence=0.08,
        summary="A corrupted function pointer or return address at EL2 sent the PC into the kernel image.",
        evidence=(Evidence("note", "VCPU:000804fc20001221 is not a kernel pointer (no VM exists yet at hyp init)", 8),),
        next_step="Check that hyp init runs before any VM exists and that the VCPU value is stale.",
    )
    hyp = FrameResult(
        Frame(address=0xFFFF0000089E6FD8, stack="hyp", line_no=6),
        Symbolized(0xFFFF0000089E6FD8, FN, 0x34, 0x98, section=".hyp.text",
                   locations=(_loc(38, SOURCE_TEXT[38]),)),
    )
    frames = (
        hyp,
        _trace_frame(13, 0xFFFF000008088EA4, "dump_backtrace", 0x0, 0x34C),
        _trace_frame(14, 0xFFFF000008089208, "show_stack", 0x18, 0x20),
        _trace_frame(15, 0xFFFF0000089C73EC, "dump_stack", 0xC4, 0xFC),
        _trace_frame(16, 0xFFFF0000080C8E1C, "panic", 0x138, 0x2B4),
        _trace_frame(17, 0xFFFF0000080C8CE4, "panic", 0x0, 0x2B4),
    )
    finding = Finding(
        cls=HazardClass.ABSOLUTE_TABLE,
        region="hyp",
        function=FN,
        offset=0x20,
        instruction="ldr x11, [x10, x9, lsl #3]",
        relocation="R_AARCH64_ABS64",
        target=f"{FN}+0x34",
        severity=Severity.FATAL,
        safe_by=None,
        fix="build hyp code with -fno-jump-tables, or relocate absolute hyp addresses at boot",
        file=S2,
        line=38,
        address=0xFFFF000008A00010,
        section=".rodata",
        slot=".rodata+0x10",
        pc=BASE + 0x20,
        why="jump-table entries hold kernel-image VAs; EL2 runs this code at its HYP VA",
    )
    rx = ReportExplanation(
        report=report,
        hypotheses=(top, second),
        registers=(ESR_2017, SPSR_2017, FAR_2017, HPFAR_2017),
        frames=frames,
        disassembly=_disasm(),
        findings=(finding,),
        notes=("PAR and VCPU carry no information for a fault during hyp initialisation",),
    )
    return Explanation(source="examples/hyp-panic-2017/console.log", reports=(rx,), vmlinux="vmlinux")


# --------------------------------------------------------------------- hostile
HOSTILE_COMM = "<script>alert(1)</script>"
HOSTILE_LINE = '"><img src=x onerror=alert(2)> \x1b[31mred\x1b[0m caf\u00e9'

OOPS_LINES = (
    "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000",
    "Mem abort info:",
    "  ESR = 0x0000000096000045",
    "  EC = 0x25: DABT (current EL), IL = 32 bits",
    "  FSC = 0x05: level 1 translation fault",
    "Internal error: Oops: 0000000096000045 [#1] PREEMPT SMP",
    "Modules linked in: evil_drv(OE)",
    f"CPU: 1 PID: 4242 Comm: {HOSTILE_COMM} Tainted: G           OE      6.1.0-56-arm64 #1  Debian 6.1.158-1",
    "Hardware name: linux,dummy-virt (DT)",
    "pc : evil_write+0x1c/0x40 [evil_drv]",
    "lr : evil_ioctl+0x88/0x120 [evil_drv]",
    HOSTILE_LINE,
    "Call trace:",
    " evil_write+0x1c/0x40 [evil_drv]",
    " evil_ioctl+0x88/0x120 [evil_drv]",
    " __arm64_sys_ioctl+0xa8/0xf0",
    " invoke_syscall+0x50/0x120",
    " el0_svc_common.constprop.0+0x48/0xf0",
    " do_el0_svc+0x24/0x38",
    " el0_svc+0x30/0xe0",
    " el0t_64_sync_handler+0x120/0x130",
    " el0t_64_sync+0x190/0x194",
    "Code: f9400260 b4000080 52800021 aa1303e0 (f900001f)",
    "---[ end trace 0000000000000000 ]---",
)

ESR_OOPS = tree(
    "ESR_EL1", 0x96000045, 64,
    [
        r0(63, 56),
        ("ISS2", 55, 32, "", ()),
        ("EC", 31, 26, "Data Abort taken without a change in Exception level (DABT_CUR)", ()),
        ("IL", 25, 25, "32-bit instruction trapped", ()),
        ("ISS", 24, 0, "data abort syndrome", [
            ("ISV", 24, 24, "no valid instruction syndrome", ()),
            ("SAS", 23, 22, "", ()), ("SSE", 21, 21, "", ()), ("SRT", 20, 16, "", ()),
            ("SF", 15, 15, "", ()), ("AR", 14, 14, "", ()), ("VNCR", 13, 13, "", ()),
            ("SET", 12, 11, "", ()), ("FnV", 10, 10, "FAR is valid", ()), ("EA", 9, 9, "", ()),
            ("CM", 8, 8, "", ()), ("S1PTW", 7, 7, "", ()),
            ("WnR", 6, 6, "abort caused by a write", ()),
            ("DFSC", 5, 0, "Translation fault, level 1", ()),
        ]),
    ],
    summary="Data Abort at EL1: level 1 translation fault on a write",
)

FAR_OOPS = tree("FAR_EL1", 0, 64, [("VA", 63, 0, "NULL", ())], summary="NULL pointer")

EVIL_C = "drivers/misc/evil/<b>evil</b>_drv.c"


def hostile_oops() -> Explanation:
    report = Report(
        kind="oops",
        title="Unable to handle kernel NULL pointer dereference in evil_write",
        span=(101, 124),
        kernel_version="6.1.0-56-arm64",
        hardware="linux,dummy-virt (DT)",
        cpu=1,
        pid=4242,
        comm=HOSTILE_COMM,
        tainted="G           OE",
        modules=("evil_drv(OE)",),
        esr=0x96000045,
        far=0,
        pc=Frame("evil_write", 0x1C, 0x40, "evil_drv", line_no=110),
        lr=Frame("evil_ioctl", 0x88, 0x120, "evil_drv", line_no=111),
        lines=OOPS_LINES,
    )
    hyp = Hypothesis(
        cls="null-pointer-write",
        confidence=0.85,
        summary="evil_write() stored through a NULL pointer (str xzr, [x0]) -- " + HOSTILE_COMM,
        evidence=(
            Evidence("log", "NULL pointer dereference", 101),
            Evidence("log", HOSTILE_LINE, 112),
            Evidence("register", "ESR 0x96000045: WnR=1, level 1 translation fault at VA 0"),
            Evidence("log", "Comm: " + HOSTILE_COMM + " is the task that crashed", 108),
            Evidence("symbol", "evil_write+0x1c is " + EVIL_C + ":17, inlined from "
                     "an_extraordinarily_long_helper_function_name_that_keeps_going_and_going_x"),
        ),
        next_step="Check who passes a NULL buffer to evil_write(); see " + EVIL_C + ".",
    )
    other = Hypothesis(
        cls="use-after-free",
        confidence=0.05,
        summary="The pointer was freed and cleared before use.",
        next_step="Enable KASAN.",
    )
    sym = Symbolized(
        0x101C, "evil_write", 0x1C, 0x40, module="evil_drv", section=".text",
        locations=(
            SourceLocation("an_extraordinarily_long_helper_function_name_that_keeps_going_and_going_x",
                           "include/linux/<img src=x onerror=alert(3)>.h", 12, 5, "\t*p = 0; /* </pre><script>x</script> */"),
            SourceLocation("evil_write", EVIL_C, 17, 9, None),
        ),
        notes=("module evil_drv.ko built from a different tree <i>?</i>",),
    )
    frames = (
        FrameResult(Frame("evil_write", 0x1C, 0x40, "evil_drv", line_no=114), sym),
        FrameResult(Frame("evil_ioctl", 0x88, 0x120, "evil_drv", line_no=115)),
        FrameResult(Frame("__arm64_sys_ioctl", 0xA8, 0xF0, line_no=116)),
        FrameResult(Frame("invoke_syscall", 0x50, 0x120, line_no=117)),
        FrameResult(Frame("el0_svc_common.constprop.0", 0x48, 0xF0, line_no=118)),
        FrameResult(Frame("do_el0_svc", 0x24, 0x38, line_no=119)),
        FrameResult(Frame("el0_svc", 0x30, 0xE0, line_no=120)),
        FrameResult(Frame("el0t_64_sync_handler", 0x120, 0x130, line_no=121)),
        FrameResult(Frame("el0t_64_sync", 0x190, 0x194, line_no=122)),
    )
    dis = (
        Instruction(0x1000, 0xF9400260, "ldr", "x0, [x19]"),
        Instruction(0x1004, 0xB4000080, "cbz", "x0, #0x1014", target="evil_write+0x14"),
        Instruction(0x1008, 0x52800021, "mov", "w1, #1"),
        Instruction(0x100C, 0xAA1303E0, "mov", "x0, x19"),
        Instruction(0x1010, 0xF900001F, "str", "xzr, [x0]", faulting=True,
                    note="<script>alert(4)</script>"),
    )
    rx = ReportExplanation(
        report=report,
        hypotheses=(hyp, other),  # diagnose ranks; the renderers keep its order
        registers=(ESR_OOPS, FAR_OOPS),
        frames=frames,
        disassembly=dis,
        notes=("Code: line decoded without vmlinux; addresses are offsets <0x1000>",),
    )
    return Explanation(
        source="evil<script>.log",
        reports=(rx,),
        vmlinux=None,
        warnings=("log line 112 contains control characters \x07",),
    )


def empty() -> Explanation:
    return Explanation(source="-", reports=(), warnings=("no crash report found",))


def two_reports() -> Explanation:
    """Two reports in one log (the renderers number them and, in HTML, link them)."""
    a, b = hyp_panic_2017(), hostile_oops()
    return Explanation("two.log", (a.reports[0], b.reports[0]), vmlinux=None, warnings=b.warnings)


CASES = {
    "hyp_panic_2017": hyp_panic_2017,
    "hostile_oops": hostile_oops,
    "empty": empty,
    "two_reports": two_reports,
}
