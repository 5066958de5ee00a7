"""Which architecture printed a report: one row per line only that architecture's kernel prints.

A report's ``arch`` decides whether it is decoded as arm64 (``diagnose`` decodes only
``"arm64"``), so it comes from evidence in the report's own lines, never from the tool's
purpose alone.  Each row names the kernel file that prints the text.  A *strong* row is
printed by one architecture only; a *weak* row is printed by several (x86's "Call Trace:" is
also powerpc's, riscv's and s390's) and decides only when no strong row matched.
``frame`` rows name a function that exists on one architecture only (syscall and exception
entry code): they are matched after a call-trace entry's address/"? " prefix.

The rule (docs/ARCHITECTURE.md, "A report's architecture"): the architecture with the most
strong hits (a tie: the one seen first), else the most weak hits, else the architecture of
another report of the same log that had evidence (parser.Parser), else arm64 with ``arch_from`` =
``"default"`` so that nothing downstream mistakes the guess for evidence.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Sign:
    arch: str
    rx: str  # matched at the start of a report line (blanks skipped); frame rows: at the function name
    source: str  # the kernel file that prints it
    weak: bool = False  # other architectures print it too
    frame: bool = False  # a function name in a call-trace entry


_H8, _H16 = "[0-9a-f]{8}", "[0-9a-f]{16}"

SIGNS: Final[tuple[Sign, ...]] = (
    # ------------------------------------------------------------------ x86
    Sign("x86", r"(?:RIP|RSP): [0-9a-f]{4}:", "arch/x86/kernel/process_64.c __show_regs(), dumpstack.c show_ip()"),
    Sign("x86", r"(?:RAX|RDX|RBP|R10|R13): " + _H16, "arch/x86/kernel/process_64.c __show_regs()"),
    Sign("x86", r"(?:FS|CS):  ?" + _H16 + r"\(|CR2: " + _H16, "arch/x86/kernel/process_64.c __show_regs()"),
    Sign("x86", r"</?(?:IRQ|NMI|TASK|SOFTIRQ|EOI)>", "arch/x86/kernel/dumpstack.c show_trace_log_lvl()"),
    Sign("x86", r"(?:\[<" + _H16 + r">\]\s{1,4})?\? \S", "arch/x86/kernel/dumpstack.c printk_stack_address() (unreliable)"),
    Sign("x86", r"Hardware name: QEMU Standard PC \((?:i440FX|Q35)",
         "DMI product of QEMU's x86 machines, printed by lib/dump_stack.c dump_stack_print_info()"),
    Sign("x86", r"Call Trace:", "arch/x86/kernel/dumpstack.c (also powerpc, riscv, s390, mips)", weak=True),
    Sign("x86", r"(?:entry_SYSCALL_64|entry_SYSENTER_compat|entry_INT80_compat|do_syscall_64|do_fast_syscall_32"
         r"|do_int80_syscall_32|x64_sys_call|__x64_sys_|__ia32_sys_|asm_exc_|asm_sysvec_|asm_common_interrupt"
         r"|sysvec_apic_timer_interrupt|smp_apic_timer_interrupt|apic_timer_interrupt|system_call_fastpath)",
         "arch/x86/entry/entry_64.S, entry_64_compat.S, common.c, syscall_64.c; arch/x86/include/asm/idtentry.h",
         frame=True),
    # ------------------------------------------------------------------ arm64
    Sign("arm64", r"pc : (?!\[<" + _H8 + r">\])", "arch/arm64/kernel/process.c __show_regs() (arm's has 8 digits)"),
    Sign("arm64", r"pstate: ", "arch/arm64/kernel/process.c print_pstate()"),
    Sign("arm64", r"x(?:29|2[0-8]|1\d|\d)\s?: " + _H16, "arch/arm64/kernel/process.c __show_regs()"),
    Sign("arm64", r"Mem abort info:|ESR = 0x|  EC = 0x|Data abort info:", "arch/arm64/mm/fault.c mem_abort_decode()"),
    Sign("arm64", r"Hardware name: linux,dummy-virt \(DT\)",
         "arch/arm64/kernel/setup.c setup_machine_fdt() \"%s (DT)\" with QEMU virt's model (arm prints no \"(DT)\")"),
    Sign("arm64", r"PS:[0-9a-f]{8} PC:[0-9a-f]{16} ESR:",
         "arch/arm64/kvm/hyp/vhe/switch.c __hyp_call_panic(), handle_exit.c nvhe_hyp_panic_handler()"),
    Sign("arm64", r"Call trace:", "arch/arm64/kernel/stacktrace.c dump_backtrace() (also arm since 5.x)", weak=True),
    Sign("arm64", r"(?:el0_svc|el0t_64_|el1h_64_|el0_sync|el1_sync|el0_irq|el1_irq|el1_abort|el0_da"
         r"|do_el0_svc|__arm64_sys_|invoke_syscall|call_on_irq_stack|el1_dbg|el0_ia)",
         "arch/arm64/kernel/entry.S, entry-common.c, syscall.c, include/asm/syscall_wrapper.h", frame=True),
    # ------------------------------------------------------------------ arm (32-bit)
    Sign("arm", r"pc : \[<" + _H8 + r">\]|(?:r1[0-2]|r\d|ip|fp)\s?: ?" + _H8 + r"\s|sp : " + _H8 + r"\s",
         "arch/arm/kernel/process.c __show_regs()"),
    Sign("arm", r"Flags: [nN][zZ][cC][vV]\s+IRQs o", "arch/arm/kernel/process.c __show_regs()"),
    Sign("arm", r"Internal error: .{1,200}\] .{0,40}\b(?:ARM|THUMB2)$", "arch/arm/kernel/traps.c __die() S_ISA"),
    Sign("arm", r"pgd = " + _H8 + r"$|\[" + _H8 + r"\] \*pgd=", "arch/arm/mm/fault.c show_pte()"),
    Sign("arm", r"[\w.]{1,200}+ from [\w.]{1,200}+\+0x[0-9a-f]{1,8}/0x|Exception stack\(0x[0-9a-f]{8} to ",
         "arch/arm/kernel/traps.c dump_backtrace_entry() (5.13+: \"f from g+0x1/0x2\"), dump_mem()"),
    Sign("arm", r"Backtrace:", "arch/arm/kernel/traps.c dump_backtrace() (before 5.x)"),
    Sign("arm", r"Hardware name: (?:Generic DT based system|ARM-Versatile)",
         "arch/arm/kernel/devtree.c, mach-versatile: machine names set by arch/arm/kernel/setup.c"),
    Sign("arm", r"\[<" + _H8 + r">\]", "a 32-bit kernel address in a trace entry (arch/arm/kernel/traps.c)", weak=True),
    Sign("arm", r"(?:ret_fast_syscall|__irq_svc|__irq_usr|vector_swi|__dabt_svc|__dabt_usr|__und_svc|__pabt_usr|do_DataAbort)", "arch/arm/kernel/entry-common.S, entry-armv.S; arch/arm/mm/fault.c",
         frame=True),
    # ------------------------------------------------------------------ powerpc
    Sign("powerpc", r"NIP[: ] |--- interrupt: [0-9a-f]{1,4} at |MSR:  " + _H16,
         "arch/powerpc/kernel/process.c show_regs(), show_stack()"),
    # ------------------------------------------------------------------ riscv
    Sign("riscv", r"epc : | ?s1[01] ?: " + _H16 + r" t[3-6] ?: ", "arch/riscv/kernel/process.c __show_regs()"),
    Sign("riscv", r"Hardware name: riscv-virtio,qemu \(DT\)",
         "arch/riscv/kernel/setup.c parse_dtb() \"%s (DT)\" with QEMU riscv virt's model"),
    Sign("riscv", r"(?:do_trap_ecall_[usm]|do_trap_break|do_trap_insn_|do_trap_load_|do_trap_store_)",
         "arch/riscv/kernel/traps.c", frame=True),
)
"""The evidence rows (docs/ARCHITECTURE.md, "A report's architecture")."""

# One alternation, a group per row: a line costs one match.  Frame rows follow a trace entry's
# address and "? " prefix (x86 "[<ffffffff8100>] ? f", arm "[<c0100000>] (f) from").
_FRAME_LEAD: Final = r"(?:\[<[0-9a-f]{8,16}>\]\s{1,4})?(?:\? )?\(?"
# Weak rows come last: the first alternative that matches is the one counted.
_LINE_RX: Final = re.compile(r"\s{0,8}(?:" + "|".join(
    f"(?P<s{i}>{_FRAME_LEAD}(?:{s.rx}))" if s.frame else f"(?P<s{i}>{s.rx})"
    for i, s in sorted(enumerate(SIGNS), key=lambda e: e[1].weak)) + ")")
_ROW: Final = {f"s{i}": s for i, s in enumerate(SIGNS)}


# The regex parser (re._parser, untyped and not public) reads the rows for _first_chars.
sre: Final = importlib.import_module("re._parser")
C: Final = importlib.import_module("re._constants")


def _first_chars(items: Any) -> tuple[frozenset[str] | None, bool]:  # re._parser's items are untyped
    """(the characters a match of this parsed regex can begin with, None for any (or what is
    not understood here); whether it may match nothing)."""
    out: frozenset[str] = frozenset()
    for op, av in items:
        first: frozenset[str] | None
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue  # zero width: the next item starts the match
        if op is C.LITERAL:
            return out | {chr(av)}, False
        if op is C.IN:
            chars: set[str] = set()
            for o, a in av:
                if o is C.LITERAL:
                    chars.add(chr(a))
                elif o is C.RANGE and a[1] - a[0] < 256:
                    chars.update(map(chr, range(a[0], a[1] + 1)))
                else:
                    return None, False  # a negation or a category (\w, \d, \s)
            return out | chars, False
        if op is C.SUBPATTERN:
            first, empty = _first_chars(av[3])
        elif op is C.BRANCH:
            parts = [_first_chars(b) for b in av[1]]
            if any(f is None for f, _ in parts):
                return None, False
            first, empty = frozenset().union(*(f for f, _ in parts if f is not None)), any(e for _, e in parts)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            first, empty = _first_chars(av[2])
            empty = empty or av[0] == 0
        else:
            return None, False
        if first is None:
            return None, False
        out |= first
        if not empty:
            return out, False
    return out, True


# The rows by the first character of a line: a line starting with ``c`` (no blank) is matched
# against only the rows a match of which can start with ``c``, in _LINE_RX's order (the others
# fail there at once, and _LINE_RX's "\s{0,8}" takes nothing before ``c``); a row that may start
# with anything, or match nothing, is in every group.  A line starting with a blank takes
# _LINE_RX itself.  One small match per line instead of a scan of the report's joined lines
# with every row tried at each line start (tests/console/test_finish_fastpaths.py holds
# evidence_of to evidence).
_ROWS: Final = sorted(enumerate(SIGNS), key=lambda e: e[1].weak)  # weak rows last: the first match counts
_ROW_RX: Final = {i: f"{_FRAME_LEAD}(?:{s.rx})" if s.frame else s.rx for i, s in _ROWS}
_FIRST: Final = {i: (None if empty else first) for i, (first, empty) in
                 ((i, _first_chars(sre.parse(rx))) for i, rx in _ROW_RX.items())}


def _rows_rx(rows: list[int]) -> re.Pattern[str]:
    """The rows' alternation, each in its group (``lastgroup`` names the row); used with
    ``match`` (its ``^`` says so to tests/console/test_linear_regex.py)."""
    return re.compile("^(?:" + "|".join(f"(?P<s{i}>{_ROW_RX[i]})" for i in rows) + ")" if rows else "(?!)")


_ANY_FIRST: Final = _rows_rx([i for i, _ in _ROWS if _FIRST[i] is None])
_BY_FIRST: Final = {c: _rows_rx([i for i, _ in _ROWS if (f := _FIRST[i]) is None or c in f])
                    for c in sorted(set().union(*(f for f in _FIRST.values() if f is not None)))}


@dataclass(slots=True)
class Evidence:
    """Hits per architecture over one report's lines, in the order first seen."""

    strong: dict[str, int]
    weak: dict[str, int]

    def best(self) -> str | None:
        for votes in (self.strong, self.weak):
            if votes:
                top = max(votes.values())
                return next(a for a, n in votes.items() if n == top)
        return None


def evidence(lines: Iterable[str], header_arch: str | None = None) -> Evidence:
    """The signs in ``lines``; ``header_arch`` is the arch of a report format only one
    architecture prints (formats.Format.arch), counted as one strong hit."""
    ev = Evidence({}, {})
    if header_arch is not None:
        ev.strong[header_arch] = 1
    match = _LINE_RX.match
    for text in lines:
        m = match(text)
        if m is not None and m.lastgroup is not None:
            row = _ROW[m.lastgroup]
            votes = ev.weak if row.weak else ev.strong
            votes[row.arch] = votes.get(row.arch, 0) + 1
    return ev


def evidence_of(lines: Iterable[str], header_arch: str | None = None) -> Evidence:
    """``evidence(lines, header_arch)``, each line matched against the rows that can begin
    with its first character only (_BY_FIRST)."""
    ev = Evidence({}, {})
    if header_arch is not None:
        ev.strong[header_arch] = 1
    for text in lines:
        c = text[:1]
        m = (_LINE_RX if c.isspace() else _BY_FIRST.get(c, _ANY_FIRST)).match(text)
        if m is not None and m.lastgroup is not None:
            row = _ROW[m.lastgroup]
            votes = ev.weak if row.weak else ev.strong
            votes[row.arch] = votes.get(row.arch, 0) + 1
    return ev
