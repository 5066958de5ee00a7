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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from a64triage.console.patterns import regex_atoms


@dataclass(frozen=True, slots=True)
class Sign:
    arch: str
    rx: str  # matched at the start of a report line (blanks skipped); frame rows: at the function name
    source: str  # the kernel file that prints it
    weak: bool = False  # other architectures print it too
    frame: bool = False  # a function name in a call-trace entry


_H8, _H16 = "[0-9a-f]{8}", "[0-9a-f]{16}"

SIGNS: tuple[Sign, ...] = (
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
    Sign("arm", r"[\w.]{1,200} from [\w.]{1,200}\+0x[0-9a-f]{1,8}/0x|Exception stack\(0x[0-9a-f]{8} to ",
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
_FRAME_LEAD = r"(?:\[<[0-9a-f]{8,16}>\]\s{1,4})?(?:\? )?\(?"
# Weak rows come last: the first alternative that matches is the one counted.
_LINE_RX = re.compile(r"\s{0,8}(?:" + "|".join(
    f"(?P<s{i}>{_FRAME_LEAD}(?:{s.rx}))" if s.frame else f"(?P<s{i}>{s.rx})"
    for i, s in sorted(enumerate(SIGNS), key=lambda e: e[1].weak)) + ")")
_ROW = {f"s{i}": s for i, s in enumerate(SIGNS)}


_REFUSED = ("\\W", "\\D", "\\A", "\\Z")  # a newline, or the text's ends rather than a line's


def _within_line(rx: str) -> str:
    """``rx`` with each ``\\s`` outside a character class made a blank that is not a newline:
    on lines joined by newlines it then matches what it matched on the line alone (``.`` and
    ``\\S`` never match a newline, and ``$`` under re.MULTILINE ends a line as it ended the
    text).  What could match the newline otherwise (a negated class, ``\\s`` in a class, ``\\W``,
    ``\\D``) or mean the ends of the whole text (``\\A``, ``\\Z``) is refused (the rows have none)."""
    out: list[str] = []
    for _, atom in regex_atoms(rx):
        if atom[:1] == "[" and len(atom) > 1:  # a character class
            if atom[1:2] in ("^", "]"):
                raise ValueError(f"a class that may hold a newline: {rx}")
            if any(e in _REFUSED or e == "\\s" for e in re.findall(r"\\[\s\S]", atom)):  # its escapes
                raise ValueError(f"\\s, \\W, \\D, \\A or \\Z in a character class: {rx}")
        elif atom in _REFUSED:
            raise ValueError(f"{atom} in {rx}")
        out.append("[^\\S\\n]" if atom == "\\s" else atom)
    return "".join(out)


# The regex parser (re._parser, untyped and not public) reads the rows for _may_start_blank.
sre = importlib.import_module("re._parser")
C = importlib.import_module("re._constants")
_BLANK_CATEGORIES = (C.CATEGORY_SPACE, C.CATEGORY_NOT_WORD, C.CATEGORY_NOT_DIGIT, C.CATEGORY_LINEBREAK,
                     C.CATEGORY_UNI_SPACE, C.CATEGORY_UNI_NOT_WORD, C.CATEGORY_UNI_NOT_DIGIT,
                     C.CATEGORY_UNI_LINEBREAK)


def _may_start_blank(items: Any) -> bool | None:  # re._parser's items are untyped
    """Can a match of this parsed regex begin with a blank?  True when it may (anything not
    understood here counts as may), False when it cannot, None when it may match nothing."""
    for op, av in items:
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue  # zero width: the next item starts the match
        if op is C.LITERAL:
            return chr(av).isspace()
        if op is C.SUBPATTERN:
            first = _may_start_blank(av[3])
        elif op is C.BRANCH:
            branches = [_may_start_blank(b) for b in av[1]]
            first = True if True in branches else None if None in branches else False
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            first = _may_start_blank(av[2])
            if first is False and av[0] == 0:
                first = None  # it may be absent: the next item decides too
        elif op is C.IN:
            first = any(o is C.NEGATE or (o is C.LITERAL and chr(a).isspace())
                        or (o is C.RANGE and any(chr(c).isspace() for c in range(a[0], a[1] + 1)))
                        or (o is C.CATEGORY and a in _BLANK_CATEGORIES) for o, a in av)
        else:
            return True  # NOT_LITERAL, ANY, groupref...: may
        if first is not None:
            return first
    return None


# The rows searched over a report's lines joined by newlines, one scan for the whole report
# (evidence_of): a hit starts right after a newline (a literal first character lets re skip
# to the next line start at C speed); each row's group is empty and placed after the row,
# so that the alternation's quick check of a row's first literal still applies (a group
# around a row hides it); which group matched says the row, as in _LINE_RX.
#
# _LINE_RX's "\s{0,8}" gives back its blanks one by one, all rows tried at each: only rows
# that can start with a blank can match there.  So all rows are tried once after all the
# blanks (possessive), then, only if none matched, the rows that can start with a blank (in
# the same order) with the blanks given back one by one, as before: the same first match.
_ROWS = sorted(enumerate(SIGNS), key=lambda e: e[1].weak)  # weak rows last: the first match counts
_ROW_RX = {i: f"{_FRAME_LEAD}(?:{s.rx})" if s.frame else s.rx for i, s in _ROWS}
_BLANK_FIRST = frozenset(i for i, rx in _ROW_RX.items() if _may_start_blank(list(sre.parse(rx))) is not False)
_JOINED_RX = re.compile("\n" + _within_line(
    r"(?:\s{0,8}+(?:" + "|".join(f"(?:{_ROW_RX[i]})(?P<s{i}>)" for i, _ in _ROWS) + ")"
    + r"|\s{0,8}(?:" + "|".join(f"(?:{_ROW_RX[i]})(?P<b{i}>)" for i, _ in _ROWS if i in _BLANK_FIRST) + "))"),
    re.MULTILINE)
_JOINED_ROW = {index: _ROW["s" + name[1:]] for name, index in _JOINED_RX.groupindex.items()}  # lastindex -> row


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


def evidence_of(lines: Sequence[str], joined: str, header_arch: str | None = None) -> Evidence:
    """``evidence(lines, header_arch)`` found by one scan of ``joined``, the lines joined by
    newlines (a report's lines are joined once for all its per-report scans): a Python-level
    match call per line cost more than the matching.  A line holding a newline itself (a
    task's comm) would let a row match across it: such reports take the line-by-line way."""
    if joined.count("\n") != len(lines) - 1:
        return evidence(lines, header_arch)
    ev = Evidence({}, {})
    if header_arch is not None:
        ev.strong[header_arch] = 1
    # Hits per row, rows in the order first seen (a Counter keeps it), then per architecture
    # in that order: each architecture's first row decides where it stands, as in ``evidence``.
    for index, n in Counter([m.lastindex for m in _JOINED_RX.finditer("\n" + joined)]).items():
        row = _JOINED_ROW[index]  # type: ignore[index]  # every alternative ends in its row's group
        votes = ev.weak if row.weak else ev.strong
        votes[row.arch] = votes.get(row.arch, 0) + n
    return ev
