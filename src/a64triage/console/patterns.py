"""Every console line the parser recognises, as one declarative table each.

Sources of the formats: arch/arm64/mm/fault.c (die_kernel_fault, mem_abort_decode,
show_pte), arch/arm64/kernel/traps.c (__die, bad_mode, arm64_serror_panic,
dump_kernel_instr), arch/arm64/kernel/process.c (__show_regs, print_pstate),
arch/arm64/kernel/stacktrace.c (dump_backtrace), kernel/panic.c (panic, __warn),
lib/dump_stack.c, arch/arm64/kvm/handle_exit.c (nvhe_hyp_panic_handler),
arch/arm64/kvm/hyp/*/switch.c (HYP panic string), kernel/watchdog.c,
kernel/rcu/tree_stall.h, kernel/hung_task.c, kernel/locking/lockdep.c,
lib/list_debug.c, mm/usercopy.c, lib/string_helpers.c (fortify), lib/refcount.c,
mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c, arch/arm/kernel/traps.c.
See /work/shared/research/kernel-formats-and-hyp-relocations.md §3.

All regexes are anchored at the start and use bounded repetition so that a
4096-character line costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import ahocorasick_rs

from a64triage.console.formats import CONTEXT_LINES, FORMATS, NOT_REPORTS, Format
from a64triage.console.kinds import Kind

_HEX: Final = r"[0-9a-fA-F]"
_SYM: Final = r"[\w.$@:\-]{1,256}?"  # symbol names: foo.isra.0, $x, __kvm_nvhe_foo


@dataclass(frozen=True)
class Header:
    """A line that opens (or joins) a crash report: a ``formats.Format`` row as the parser sees it.

    ``slot`` names the piece of the report it fills; a second header for an
    already-filled slot starts a new report instead of joining the current one.
    """

    slot: str
    kind: Kind | None
    rx: re.Pattern[str]
    first: str  # characters the line can start with ("" = any): lets the parser skip most headers
    fmt: Format


def regex_atoms(pattern: str) -> Iterator[tuple[int, str]]:
    """The atoms of a regex source with their offsets: an escape (``\\d``), a whole
    character class (``[^]a-z]``: a "]" first is a member) or one other character.  What
    rewrites a pattern walks these, so that a "(", "|" or "^" inside a class or after a
    backslash is never read as syntax."""
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            j = i + 2
        elif c == "[":
            j = i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1
            j += pattern[j : j + 1] == "]"
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            j += 1
        else:
            j = i + 1
        yield i, pattern[i:j]
        i = j


def ungroup(pattern: str) -> str:
    """``pattern`` with every group made non-capturing (to nest it in a union)."""
    out: list[str] = []
    name_end = -1  # inside "(?P<name>": skip up to here
    for i, atom in regex_atoms(pattern):
        if i < name_end:
            continue
        if atom == "(" and pattern.startswith("(?P<", i):
            name_end = pattern.index(">", i) + 1
            out.append("(?:")
        elif atom == "(" and not pattern.startswith("(?", i):
            out.append("(?:")
        else:
            out.append(atom)
    return "".join(out)


# Derived from formats.FORMATS (one row per report format); order matters: the first match wins.
HEADERS: Final[tuple[Header, ...]] = tuple(Header(f.slot, f.kind, f.rx, f.first, f) for f in FORMATS)

_HEADER_ANY: Final[tuple[Header, ...]] = tuple(h for h in HEADERS if not h.first)
HEADERS_BY_FIRST: Final[dict[str, tuple[Header, ...]]] = {
    c: tuple(h for h in HEADERS if not h.first or c in h.first) for c in sorted({c for h in HEADERS for c in h.first})
}


# The few headers that can start with any character (fortify's "memcpy: detected ...",
# "comm: vmalloc: allocation failure") need their literal text; without it a line
# starting with, say, "x" has no candidate at all and costs no regex.
_ANY_LITERALS: Final[tuple[str, ...]] = tuple(dict.fromkeys(h.fmt.literal for h in _HEADER_ANY))
_HEADERS_NO_FORTIFY: Final[dict[str, tuple[Header, ...]]] = {
    c: tuple(h for h in hs if h.first) for c, hs in HEADERS_BY_FIRST.items()
}


# syzkaller's headers may start anywhere in a line ("2018/01/09 14:28:48 BUG: memory leak",
# "Oops: int3: 0000"): their literals, found by one Aho-Corasick scan (sre would try a regex
# alternation of them at every offset), say where to try them.
_ANYWHERE_LIT: Final = ahocorasick_rs.AhoCorasick(sorted({f.literal for f in FORMATS if f.syz and f.literal}),
                                                  matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
_BY_LITERAL: Final[dict[str, tuple[Header, ...]]] = {}
for _h in HEADERS:
    if _h.fmt.syz and _h.fmt.literal:
        _BY_LITERAL[_h.fmt.literal] = (*_BY_LITERAL.get(_h.fmt.literal, ()), _h)


def match_header(text: str, anywhere: bool = False) -> tuple[Header, re.Match[str]] | None:
    """The first header (in table order) matching ``text``, trying only those that can.

    With ``anywhere``, a header syzkaller knows may also start inside the line (the
    match is then against the line from that point: ``m.string``); the parser asks
    for that only while no report is open, where it costs one search per line."""
    candidates = _HEADERS_NO_FORTIFY.get(text[:1], ())
    for any_lit in _ANY_LITERALS:
        if any_lit in text:
            candidates = tuple(h for h in HEADERS_BY_FIRST.get(text[:1], _HEADER_ANY)
                               if h.first or h.fmt.literal in text)
            break
    for h in candidates:
        m = h.rx.match(text)
        if m is not None:
            ign = h.fmt.ignore_rx
            return None if NOT_REPORTS.match(text) or (ign is not None and ign.search(text)) else (h, m)
    if not anywhere:
        return None
    lits = _ANYWHERE_LIT.find_matches_as_indexes(text[1:])  # leftmost first: lits[0] starts first
    if not lits or text.startswith("---[ end "):
        return None
    rest = text[1 + lits[0][1] :]
    if NOT_REPORTS.match(rest):
        return None
    for h in HEADERS:  # table order, as for a header at the line's start
        if h.fmt.syz:
            m = h.rx.match(rest)
            if m is not None:
                ign = h.fmt.ignore_rx
                return None if ign is not None and ign.search(text) else (h, m)
    return None


# Headers printed as two lines (a newline inside a task's comm): the first piece's shape.
SPLIT_LITERALS: Final[tuple[str, ...]] = tuple(dict.fromkeys(f.literal for f in FORMATS if f.split))
SPLIT_HEAD: Final = re.compile("|".join(f"(?:{f.split})" for f in FORMATS if f.split) or "(?!)")


# Body lines: (name, regex).  The parser dispatches on the name.
BODY: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("trace_start", r"^(?:Call trace|Call Trace|Backtrace|stack backtrace|backtrace(?: \(crc [0-9a-f]{1,16}\))?):\s?$"),
        ("hyp_trace_start", r"^(?:kvm \[\d{1,10}\]: )?(?:Protected )?nVHE (?:HYP )?call trace:"),
        ("hyp_trace_end", r"^(?:kvm \[\d{1,10}\]: )?-{3,4}\[? end (?:of )?(?:Protected )?nVHE (?:HYP )?call trace \]?-{3,4}"),
        ("hyp_offset", r"^(?:kvm \[\d{1,10}\]: )?Hyp Offset: 0x(?P<v>" + _HEX + r"{1,16})"),
        ("hyp_cfi", r"^(?:kvm \[\d{1,10}\]: )?\s?\(target: \[<(?P<addr>" + _HEX + r"{1,16})>\] (?P<sym>\S{1,300}), expected type: 0x(?P<type>" + _HEX + r"{1,8})\)"),
        ("end_trace", r"^-{3}\[ end trace (?:" + _HEX + r"{1,16} )?\]-{3}"),
        ("end_panic", r"^-{3}\[ end Kernel panic - not syncing: ?(?P<msg>.{0,400})$"),
        ("cpu", r"^CPU: (?P<cpu>\d{1,5}) (?:UID: \d{1,10} )?PID: (?P<pid>\d{1,10}) Comm: (?P<comm>.{1,20}?) (?:Kdump: loaded )?"
                r"(?:Not tainted|Tainted: (?P<taint>[A-Z ]{1,40}?)) {1,40}(?P<ver>\d[^\s]{0,120})(?: (?P<build>.{1,200}))?$"),
        ("cpu_old", r"^CPU:? ?(?P<cpu>\d{1,5}) PID: (?P<pid>\d{1,10}) Comm: (?P<comm>.{1,20}?) (?:Kdump: loaded )?(?:Not tainted|Tainted: (?P<taint>[A-Z ]{1,40}?)) {0,40}(?P<ver>\d\S{0,120})?"),
        ("taint_ver", r"^(?:Not tainted|Tainted: [A-Z ]{1,40}?) {1,40}(?P<ver>\d[^\s]{0,120})(?: (?P<build>.{1,200}))?$"),
        ("taint_line", r"^Tainted: (?P<flags>\[[A-Z]\]=\w{1,30}(?:, \[[A-Z]\]=\w{1,30}){0,20})$"),
        ("hardware", r"^Hardware name: (?P<v>.{1,200})$"),
        ("modules", r"^Modules linked in:(?P<v>.{0,4000})$"),
        ("workqueue", r"^Workqueue: (?P<v>.{1,200})$"),
        ("process", r"^Process (?P<comm>.{1,20}?) \(pid: (?P<pid>\d{1,10}), stack limit = 0x" + _HEX + r"{1,16}\)"),
        ("pstate", r"^pstate: (?P<v>" + _HEX + r"{8})(?: \((?P<flags>[^)]{0,120})\))?$"),
        ("old_pc", r"^pc : \[<(?P<pc>" + _HEX + r"{8,16})>\]\s{1,8}lr : \[<(?P<lr>" + _HEX + r"{8,16})>\]\s{1,8}(?P<which>pstate|psr): (?P<ps>" + _HEX + r"{8,16})"),
        ("pc", r"^pc : (?P<v>.{1,400})$"),
        ("lr", r"^lr : (?P<v>.{1,400})$"),
        ("sp", r"^sp : (?P<v>" + _HEX + r"{1,16})(?: pstate : (?P<ps>" + _HEX + r"{1,16}))?\s?$"),
        ("pc_is_at", r"^PC is at (?P<v>.{1,400})$"),
        ("lr_is_at", r"^LR is at (?P<v>.{1,400})$"),
        ("old_sp32", r"^sp : (?P<sp>" + _HEX + r"{8})\s{1,8}ip : (?P<ip>" + _HEX + r"{8})\s{1,8}fp : (?P<fp>" + _HEX + r"{8})"),
        ("xregs", r"^x\d{1,2}\s?: " + _HEX + r"{16}"),
        ("rregs", r"^r\d{1,2}\s?: " + _HEX + r"{8}\s"),
        ("pmr", r"^pmr_save: (?P<v>" + _HEX + r"{1,16})"),
        ("code", r"^Code: (?P<v>.{1,400})$"),
        ("mem_abort", r"^(?:Mem abort info|Data abort info):$"),
        ("esr_eq", r"^ESR = 0x(?P<v>" + _HEX + r"{1,16})$"),
        ("esr_colon", r"^ESR: 0x(?P<v>" + _HEX + r"{1,16})(?: -- (?P<cls>.{1,80}))?$"),
        ("far_colon", r"^FAR: 0x(?P<v>" + _HEX + r"{1,16})$"),
        ("abort_field", r"^(?:Exception class|EC|SET|EA|FSC|ISV|CM|GCS|Access size|SSE|SF|SRT|AR|VNCR|Xs) = .{1,200}$"),
        ("pgtable", r"^(?P<which>\w{1,20}) pgtable: (?P<v>.{1,200})$"),
        ("pgd32", r"^pgd = (?P<v>" + _HEX + r"{8})$"),
        ("walk", r"^\[(?P<addr>" + _HEX + r"{8,16})\] (?P<v>(?:\*?pgd|address|\*pgd)\S{0,4}.{0,300})$"),
        ("stack_range", r"^(?P<which>Task|IRQ|Overflow|SDEI|Shadow call) stack: {0,8}\[0x(?P<lo>" + _HEX + r"{1,16})\.\.0x(?P<hi>" + _HEX + r"{1,16})\]"),
        ("hyp_ps", r"^PS:(?P<ps>" + _HEX + r"{1,16}) PC:(?P<pc>" + _HEX + r"{1,16}) ESR:(?P<esr>" + _HEX + r"{1,16})\s?$"),
        ("hyp_far", r"^FAR:(?P<far>" + _HEX + r"{1,16}) HPFAR:(?P<hpfar>" + _HEX + r"{1,16}) PAR:(?P<par>" + _HEX + r"{1,16})\s?$"),
        ("hyp_vcpu", r"^VCPU:(?P<vcpu>" + _HEX + r"{1,16}|\(?\S{1,40}\)?)\s?$"),
        ("kasan_access", r"^(?P<acc>Read|Write) (?:of size (?P<size>\d{1,10}) )?at addr (?P<addr>" + _HEX + r"{1,16}) by task (?P<comm>.{1,64})/(?P<pid>\d{1,10})"),
        ("kfence_access", r"^(?P<what>[\w -]{1,40}) (?P<acc>read|write) at 0x(?P<addr>" + _HEX + r"{1,16}) \("),
        ("slub_site", r"^(?P<which>Allocated|Freed) in (?P<func>[\w.$]{1,256})\+0x" + _HEX + r"{1,16}/0x"),
        ("slub_dump", r"^(?:(?:Redzone|Object|Padding) {1,4}" + _HEX + r"{8,16}: |Slab 0x|Object 0x|Disabling lock debugging)"),
        ("slub_fix", r"^FIX [^\s:]{1,64}: "),
        ("aux_stack", r"^(?:Allocated by task|Freed by task|Last potentially related work creation|Second to last potentially related"
                      r"|(?:allocated|freed) by task \d{1,10}|The buggy address|kfence-#\d|Memory state around|-> #\d{1,3} |"
                      r"other info that might help|the existing dependency chain|but task is already holding lock"
                      r"|Possible unsafe locking scenario|\d{1,3} locks? held by|Showing all locks held"
                      r"|\{[A-Z-]{1,30}\} state was registered at:"
                      # mm/page_owner.c __dump_page_owner(): the page's allocation and last free stacks
                      r"|page last (?:allocated via|free) )"),
        ("stack_trace_kasan_end", r"^={20,200}$"),
        ("smp_stop", r"^SMP: stopping secondary CPUs"),
        ("kernel_offset", r"^Kernel Offset: (?P<v>disabled|0x" + _HEX + r"{1,16})"),
        ("phys_offset", r"^PHYS_OFFSET: 0x(?P<v>" + _HEX + r"{1,16})"),
        ("cpu_features", r"^CPU features: (?P<v>0x[0-9a-fA-F,]{1,120})\s?$"),
        ("memory_limit", r"^Memory Limit: "),
        ("exception_stack", r"^Exception stack\(0x" + _HEX + r"{1,16} to 0x" + _HEX + r"{1,16}\)"),
        # arch/arm/kernel/traps.c dump_mem: "%04lx:" then 8 words " %08lx", the missing ones 9 blanks
        # (only before the first word: lines are stripped).  Blanks, then words one space apart, each
        # run taken possessively: the old "(?: {8,16}| ?HEX{8,16}){1,8}" could split a run of digits in
        # exponentially many ways (issue #16 D2: seconds per line of more than 128 digits).
        ("hexdump", r"^" + _HEX + r"{3,4}: {0,72}+(?:" + _HEX + r"{8,16}+ ?+){1,8}+$"),
        ("stack_dump", r"^Stack: \(0x" + _HEX + r"{1,16} to 0x" + _HEX + r"{1,16}\)"),
        ("irq_marker", r"^<(?P<v>IRQ|/IRQ|TASK|/TASK|NMI|/NMI|SOFTIRQ|/SOFTIRQ|EOI)>$"),
        ("arm32_cpu", r"^CPU: ARMv\d|^Function entered at|^\s?r\d{1,2}:" + _HEX + r"{8}"),
        ("x86_rip", r"^(?:RIP|IP): (?:[0-9a-f]{4}:)?(?:\[<" + _HEX + r"{8,16}>\]\s{1,4}){0,2}(?P<v>[\w.$]{1,256}\+0x" + _HEX + r"{1,16}/0x" + _HEX + r"{1,16})"),
        # The trapping pc of other architectures: powerpc's "NIP [c0000000002d79c] f+0x1ac/0x5f0" and
        # "--- interrupt: 700 at f+0x2c/0x70" (arch/powerpc/kernel/process.c), riscv's "epc : f+0x44c/0xbc0"
        # (arch/riscv/kernel/process.c __show_regs()).
        ("other_pc", r"^(?:NIP \[" + _HEX + r"{16}\] |--- interrupt: " + _HEX + r"{1,4} at |epc : )(?P<v>[\w.$]{1,256}\+0x"
                     + _HEX + r"{1,16}/0x" + _HEX + r"{1,16})"),
        # riscv's __show_regs() ends with "status: ... badaddr: ... cause: ..."; its stack
        # follows with no "Call Trace:" line (syzkaller's riscvSpecialStackStart).
        ("riscv_status", r"^status: " + _HEX + r"{16} badaddr: " + _HEX + r"{16} cause: " + _HEX + r"{16}"),
        ("x86_regs", r"^(?:RIP: [0-9a-f]{4}:|RSP: [0-9a-f]{4}:|RAX: [0-9a-f]{16}|EFLAGS: |R[A-Z0-9]{1,2}: ?[0-9a-f]{4,16}|EFLAGS: |[CDEFG]S: )"),
        ("ubsan_detail", r"^(?:index \d|shift exponent|signed integer overflow|load of value|.{0,80} is out of range for type)"),
        # lockdep: "ffff... (css_set_lock){..-.}-{2:2}, at: _raw_spin_lock_irqsave+0x1c/0x30" (3.x: "at: [<c035d398>] f+0x10/0x4c")
        # lockdep's own kernel line ("5.17.0-...aarch64 #1 Not tainted") and the task taking the lock
        ("lockdep_ver", r"^(?P<ver>\d[^\s]{0,120}) (?P<build>#\S{1,40}) {1,4}(?:Not tainted|Tainted: [A-Z ]{1,40}?)\s?$"),
        ("lockdep_task", r"^(?P<comm>[^\s/]{1,64}(?:/[^\s/]{1,20})?)/(?P<pid>\d{1,10})(?: \[.{0,80}?\])? "
                         r"(?:is trying to acquire lock|takes):$"),
        ("lockdep_at", r"^(?:#\d{1,3}: {1,2})?(?:[0-9a-f]{8,16} )?\(.{1,300}?, at: (?:\[<[0-9a-f]{8,16}>\] {1,8})?(?P<func>[\w.$]{1,256})\+0x[0-9a-f]{1,16}/0x"),
    )
)

# First characters each body line can start with ("" = any).  Lets the parser try
# only the few patterns that can match a line instead of all of them.
_FIRST: Final[dict[str, str]] = {
    "trace_start": "CBsb", "hyp_trace_start": "kPn", "hyp_trace_end": "k-", "hyp_offset": "kH", "hyp_cfi": "k(",
    "end_trace": "-", "end_panic": "-", "cpu": "C", "cpu_old": "C", "taint_ver": "NT", "taint_line": "T",
    "hardware": "H", "modules": "M", "workqueue": "W", "process": "P", "pstate": "p", "old_pc": "p", "pc": "p",
    "lr": "l", "sp": "s", "pc_is_at": "P", "lr_is_at": "L", "old_sp32": "s", "xregs": "x", "rregs": "r",
    "pmr": "p", "code": "C", "mem_abort": "MD", "esr_eq": "E", "esr_colon": "E", "far_colon": "F",
    "abort_field": "ESFICGAVX", "pgtable": "", "pgd32": "p", "walk": "[", "stack_range": "TIOS", "hyp_ps": "P",
    "hyp_far": "F", "hyp_vcpu": "V", "kasan_access": "RW", "kfence_access": "", "aux_stack": "",
    "stack_trace_kasan_end": "=", "smp_stop": "S", "kernel_offset": "K", "phys_offset": "P", "cpu_features": "C",
    "memory_limit": "M", "exception_stack": "E", "hexdump": "0123456789abcdefABCDEF", "stack_dump": "S",
    "irq_marker": "<", "arm32_cpu": "CFr", "x86_rip": "RI", "other_pc": "N-e", "riscv_status": "s", "x86_regs": "RECDFG", "ubsan_detail": "", "slub_site": "AF", "slub_dump": "ROPSD", "slub_fix": "F",
    "lockdep_at": "0123456789abcdef(#", "lockdep_ver": "0123456789", "lockdep_task": "",
}

# Fast body matching.  The patterns that may start with any character are slow to
# reject (``.{0,80} is out of range``, ``[\w -]{1,40} read at``...), so each gets a
# cheap necessary condition; the rest are chosen by first character.  The surviving
# candidates are joined into one regex whose ``lastindex`` names the first (in table
# order) that matches: one C-level call instead of a Python loop.
_AUX_FIRST: Final = "AFLSafTkM-otbP{p"  # aux_stack's literal starts; its "\d{1,3} locks held" adds any digit
_UBSAN_STARTS: Final = ("index ", "shift exponent", "signed integer overflow", "load of value")
_KNOWN_FIRST: Final = frozenset(c for chars in _FIRST.values() for c in chars) | frozenset(_AUX_FIRST)
_Union = tuple[re.Pattern[str], tuple[str, ...], bool]
BODY_RX: Final[dict[str, re.Pattern[str]]] = dict(BODY)
_UNIONS: Final[dict[tuple[str, int], _Union]] = {}


def _guard_bits(text: str) -> int:
    bits = 0
    if " pgtable: " in text:
        bits |= 1
    if " at 0x" in text:
        bits |= 2
    if " is out of range for type" in text or text.startswith(_UBSAN_STARTS):
        bits |= 4
    if text.endswith((" is trying to acquire lock:", " takes:")):
        bits |= 8
    return bits


def _union(c: str, bits: int) -> _Union:
    """The candidates for a first-character class and guard bits, as one regex."""
    names: list[str] = []
    for name, _ in BODY:
        first = _FIRST[name]
        if name == "aux_stack":
            ok = c in _AUX_FIRST or c.isdecimal()
        elif name == "pgtable":
            ok = bool(bits & 1)
        elif name == "kfence_access":
            ok = bool(bits & 2)
        elif name == "ubsan_detail":
            ok = bool(bits & 4)
        elif name == "lockdep_task":
            ok = bool(bits & 8)
        else:
            ok = bool(first) and c != "" and c in first
        if ok:
            names.append(name)
    if len(names) == 1:
        return BODY_RX[names[0]], tuple(names), True
    rx = re.compile("|".join("(" + ungroup(BODY_RX[n].pattern) + ")" for n in names) or "(?!)")
    return rx, tuple(names), False


def match_body(text: str) -> tuple[str | None, re.Match[str] | None]:
    """The first body pattern (in table order) matching ``text`` (a stripped, non-empty line)."""
    c = text[:1]
    if c not in _KNOWN_FIRST:
        c = "0" if c.isdecimal() else ""  # \d also matches non-ASCII digits
    key = (c, _guard_bits(text))
    u = _UNIONS.get(key)
    if u is None:
        u = _UNIONS[key] = _union(*key)
    rx, names, single = u
    m = rx.match(text)
    if m is None:
        return None, None
    if single:
        return names[0], m
    name = names[(m.lastindex or 1) - 1]
    return name, BODY_RX[name].match(text)


# Context lines that may appear anywhere in the log (mostly at boot, before the crash):
# formats.CONTEXT_LINES' rows, compiled.
CONTEXT: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple((c.name, re.compile(c.rx)) for c in CONTEXT_LINES)

# Call-trace entry formats.
# powerpc prints each entry as "[stack pointer] [return address] f+0x1/0x2", the first
# one possibly "(unreliable)" (arch/powerpc/kernel/process.c show_stack()).
_PPC_SP_LR: Final = r"(?:\[" + _HEX + r"{16}\] \[" + _HEX + r"{16}\]\s{1,12})?"
FRAME_MODERN: Final[re.Pattern[str]] = re.compile(
    r"^(?P<unrel>\?\s{1,4})?(?:\[<(?P<addr>" + _HEX + r"{8,16})>\]\s{1,8})?" + _PPC_SP_LR + r"(?P<unrel2>\?\s{1,4})?(?P<func>" + _SYM + r")\+0x(?P<off>"
    + _HEX + r"{1,16})"
    r"/0x(?P<size>" + _HEX + r"{1,16})(?:\s{1,4}\[(?P<mod>[\w\-]{1,64})(?: " + _HEX + r"{8,64})?\])?"
    r"(?:\s{1,4}\((?P<marker>[PLFCT])\))?(?:\s{1,4}(?P<src>[^\s:]{1,300}:\d{1,7}(?::\d{1,5})?))?"
    r"(?:\s{1,4}\[(?P<inline>inline)\])?(?P<unrel3>\s{1,4}\(unreliable\))?\s{0,4}$"
)
FRAME_INLINE: Final[re.Pattern[str]] = re.compile(
    r"^(?:\[<" + _HEX + r"{8,16}>\]\s{1,8})?" + _PPC_SP_LR + r"(?P<func>" + _SYM + r")\s{1,4}(?P<src>[^\s:]{1,300}:\d{1,7}(?::\d{1,5})?)\s{1,4}\[inline\]\s{0,4}$"
)
FRAME_ADDR_ONLY: Final[re.Pattern[str]] = re.compile(
    r"^\[<(?P<addr>" + _HEX + r"{8,16}|\s{0,16}\(null\))>\]\s{1,16}(?P<func>\S{1,300})?\s{0,4}$"
)
FRAME_HYP: Final[re.Pattern[str]] = re.compile(
    r"^(?:kvm \[\d{1,10}\]: )?\s{0,4}\[<(?P<addr>" + _HEX + r"{1,16})>\]\s{1,8}(?P<sym>\S{1,300}?)(?:\s{1,4}\[hyp\])?\s{0,4}$"
)
FRAME_ARM32: Final[re.Pattern[str]] = re.compile(
    r"^\[<(?P<addr>" + _HEX + r"{8})>\]\s?\((?P<func>" + _SYM + r")(?:\+0x(?P<off>" + _HEX + r"{1,8})/0x(?P<size>"
    + _HEX + r"{1,8}))?(?: \[(?P<mod>[\w\-]{1,64})\])?\) from \[<(?P<from>" + _HEX + r"{8})>\]"
    r"(?: {1,4}\((?P<caller>" + _SYM + r")\+0x" + _HEX + r"{1,8}/0x" + _HEX + r"{1,8}(?: \[[\w\-]{1,64}\])?\))?"
)
FRAME_ARM32_NEW: Final[re.Pattern[str]] = re.compile(
    r"^(?P<func>" + _SYM + r")(?: \[(?P<mod>[\w\-]{1,64})\])? from (?P<caller>" + _SYM + r")\+0x(?P<off>"
    + _HEX + r"{1,8})/0x(?P<size>" + _HEX + r"{1,8})(?: \[(?P<mod2>[\w\-]{1,64})\])?\s?$"
)
SYMBOL: Final[re.Pattern[str]] = re.compile(
    r"^(?P<func>" + _SYM + r")\+0x(?P<off>" + _HEX + r"{1,16})/0x(?P<size>" + _HEX + r"{1,16})"
    r"(?:\s{1,4}\[(?P<mod>[\w\-]{1,64})(?: " + _HEX + r"{8,64})?\])?"
)
HEX_ONLY: Final = re.compile(r"^(?:0x)?(?P<v>" + _HEX + r"{1,16})$")
XREG: Final = re.compile(r"(?:^|\s)(x\d{1,2}|lr|sp|fp)\s?: (" + _HEX + r"{16})")
RREG: Final = re.compile(r"(?:^|\s)(r\d{1,2}|ip|fp|sp|lr|pc)\s?: (" + _HEX + r"{8})")
KVM_PREFIX: Final = re.compile(r"^kvm \[\d{1,10}\]: ")
ARM32_HINT: Final = re.compile(r"(?:\bSMP ARM|\bPREEMPT ARM|\bARM| THUMB2?)$")
