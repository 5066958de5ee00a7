"""Kernel message patterns the rules test for, as one table.

Each row names a line the kernel prints and where the format string lives, so
a rule says ``log("uaccess")`` instead of carrying a regular expression.  The
patterns run on the report's cleaned lines (timestamps and prefixes removed
by the console stage).  The report-kind patterns (``log("kasan")``,
``log("warning")``...) are derived from the console stage's format rows
(``console.formats.FORMATS``): one per kind, the union of its header regexes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from a64triage.console.formats import FORMATS
from a64triage.console.kinds import Kind
from a64triage.console.patterns import ungroup


@dataclass(frozen=True)
class LogPattern:
    name: str
    regex: re.Pattern[str]
    source: str  # where the kernel prints it
    # A report-kind pattern: the literals its format rows' headers contain (formats' PREFILTER
    # contract) and the regex of the lines it matches without one (``also``).  A header
    # regex with an optional leading prefix gives sre no literal to scan for, so trying it
    # on every report line was most of ``diagnose``'s time per report.
    needs: tuple[str, ...] = ()
    also: re.Pattern[str] | None = None
    # ``regex`` (``also``) with MULTILINE, for a report's lines joined by newlines: its ^ and
    # $ then match at every line's ends, so a line's match is a match in the joined text too.
    joined: re.Pattern[str] = field(init=False, compare=False, repr=False)
    also_joined: re.Pattern[str] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        ml = re.MULTILINE
        object.__setattr__(self, "joined", re.compile(self.regex.pattern, self.regex.flags | ml))
        object.__setattr__(self, "also_joined",
                           re.compile(self.also.pattern, self.also.flags | ml) if self.also else None)

    def search(self, line: str) -> bool:
        """``regex.search(line)``, ruled out by a substring test where the rows allow."""
        if self.needs and not any(n in line for n in self.needs):
            return self.also is not None and self.also.search(line) is not None
        return self.regex.search(line) is not None

    def maybe_in(self, text: str) -> bool:
        """False when no line of ``text`` (lines joined by newlines) can match: one C-speed
        test of the whole text instead of one call per line; True may be a match across
        two lines, which ``present`` confirms line by line."""
        if self.needs:
            return any(n in text for n in self.needs) or (
                self.also_joined is not None and self.also_joined.search(text) is not None)
        return self.joined.search(text) is not None


def _p(name: str, rx: str, source: str) -> LogPattern:
    return LogPattern(name, re.compile(rx), source)


def _kind(kind: Kind, also: str = "", also_source: str = "", name: str = "") -> LogPattern:
    """The headers of every format of ``kind`` (searched anywhere in a line), plus ``also``:
    lines that name the kind without opening a report (a panic message, an arm64 die string)."""
    rows = [f for f in FORMATS if f.kind is kind]
    alts = [ungroup(f.header).removeprefix("^") for f in rows] + ([also] if also else [])
    source = "; ".join(dict.fromkeys([f.source for f in rows] + ([also_source] if also_source else [])))
    needs = tuple(dict.fromkeys(f.literal for f in rows)) if all(f.literal for f in rows) else ()
    return LogPattern(name or kind.value, re.compile("|".join(f"(?:{a})" for a in alts)), source,
                      needs, re.compile(also) if also and needs else None)


LOG_PATTERNS: tuple[LogPattern, ...] = (
    # arch/arm64/mm/fault.c die_kernel_fault() / __do_kernel_fault() messages
    _p("null-deref", r"Unable to handle kernel NULL pointer dereference", "arch/arm64/mm/fault.c"),
    _p("paging-request", r"Unable to handle kernel paging request", "arch/arm64/mm/fault.c"),
    _p("write-ro", r"Unable to handle kernel write to read-only memory", "arch/arm64/mm/fault.c"),
    _p("exec-nx", r"Unable to handle kernel execute from non-executable memory", "arch/arm64/mm/fault.c"),
    _p("exec-user", r"Unable to handle kernel execution of user memory", "arch/arm64/mm/fault.c"),
    _p("uaccess", r"access to user memory outside uaccess routines|access to user memory with fs=KERNEL_DS",
       "arch/arm64/mm/fault.c"),
    _p("read-unreadable", r"Unable to handle kernel read from unreadable memory", "arch/arm64/mm/fault.c"),
    _p("between-ranges", r"address between user and kernel address ranges", "arch/arm64/mm/fault.c"),
    _p("unhandled-fault", r"Unhandled fault(?: at| in|:)", "arch/arm64/mm/fault.c"),
    _p("mem-abort", r"^Mem abort info:", "arch/arm64/mm/fault.c mem_abort_decode()"),
    _p("alignment-msg", r"alignment fault|Alignment", "arch/arm64/mm/fault.c fault_info[]"),
    _p("sea", r"synchronous external abort|Synchronous External Abort", "arch/arm64/mm/fault.c do_sea()"),
    # arch/arm64/kernel/traps.c die() strings and friends
    _p("oops-bug", r"Internal error: Oops - BUG", "arch/arm64/kernel/traps.c bug_handler()"),
    _p("oops-undef", r"Internal error: Oops - undefined instruction|Oops - Undefined instruction|undefined instruction",
       "arch/arm64/kernel/traps.c do_undefinstr()"),
    _p("oops-bti", r"Internal error: Oops - BTI|Oops - BTI", "arch/arm64/kernel/traps.c do_el1_bti()"),
    _p("oops-fpac", r"Oops - FPAC|Oops - PAC", "arch/arm64/kernel/traps.c do_el1_fpac()"),
    _kind(Kind.SERROR, r"Asynchronous SError Interrupt", "arch/arm64/kernel/traps.c do_serror() (panic message)"),
    _kind(Kind.BAD_MODE),
    _kind(Kind.STACK_OVERFLOW, r"[Kk]ernel stack overflow", "arch/arm64/kernel/traps.c panic_bad_stack() (panic message)"),
    _p("hyp-stack-overflow", r"hyp_panic_bad_stack\b", "arch/arm64/kvm/hyp/nvhe/host.S (hyp stack guard)"),
    _p("stack-protector", r"stack-protector: Kernel stack is corrupted", "kernel/panic.c __stack_chk_fail()"),
    _kind(Kind.BUG, name="kernel-bug"),
    _kind(Kind.WARNING),
    _p("cfi", r"CFI failure at|CFI failure \(target", "kernel/cfi.c report_cfi_failure()"),
    _kind(Kind.KASAN, r"Oops - KASAN", "arch/arm64/kernel/traps.c kasan_handler()"),
    _p("kasan-uaf", r"BUG: KASAN: (?:slab-|vmalloc-)?use-after-free", "mm/kasan/report.c"),
    _p("kasan-double-free", r"BUG: KASAN: double-free|BUG: KASAN: invalid-free", "mm/kasan/report.c"),
    _kind(Kind.KFENCE),
    _p("kfence-uaf", r"BUG: KFENCE: use-after-free", "mm/kfence/report.c"),
    _p("kfence-invalid-free", r"BUG: KFENCE: invalid free", "mm/kfence/report.c"),
    _kind(Kind.UBSAN, r"Oops - UBSAN", "arch/arm64/kernel/traps.c ubsan_handler()"),
    _p("slub-double-free", r"Object already free|double free detected|double free or corruption",
       "mm/slub.c"),
    _p("slub-poison", r"Poison overwritten|Object padding overwritten|Redzone overwritten",
       "mm/slub.c check_bytes_and_report()"),
    _p("slub-bug", r"kernel BUG at mm/slub\.c", "mm/slub.c set_freepointer() BUG_ON(object == fp)"),
    _kind(Kind.LIST_CORRUPTION, r"list_(?:add|del)(?:_rcu)? corruption", "lib/list_debug.c"),
    _kind(Kind.REFCOUNT, r"refcount_t: ", "lib/refcount.c refcount_warn_saturate()"),
    _p("refcount-uaf", r"refcount_t: (?:underflow|addition on 0); use-after-free", "lib/refcount.c"),
    _kind(Kind.USERCOPY),
    _kind(Kind.FORTIFY, r"detected buffer overflow|\bfortify_panic\b", "lib/string_helpers.c fortify_panic()"),
    _kind(Kind.SOFT_LOCKUP),
    _kind(Kind.HARD_LOCKUP, r"[Hh]ard LOCKUP", "kernel/watchdog_perf.c (panic message)"),
    _kind(Kind.RCU_STALL, r"rcu_(?:sched|preempt|bh)? ?(?:self-)?detected stall|detected stalls on CPUs/tasks",
          "kernel/rcu/tree_stall.h"),
    _kind(Kind.HUNG_TASK),
    _kind(Kind.LOCKDEP, r"BUG: sleeping function called from invalid context", "kernel/sched/core.c __might_resched()"),
    _kind(Kind.PANIC, r"Kernel panic - not syncing", "kernel/panic.c (inside a line)"),
    _kind(Kind.HYP_PANIC, r"HYP panic|hyp panic at", "arch/arm64/kvm/hyp/*/switch.c hyp_panic() (panic message)"),
    _p("hyp-va-range", r"HYP VA range: ", "arch/arm64/kvm/mmu.c kvm_mmu_init()"),
)

PATTERNS: dict[str, LogPattern] = {p.name: p for p in LOG_PATTERNS}


def present(lines: Sequence[str]) -> frozenset[str]:
    """The names of the patterns some line of a report matches (``present_plain``'s answer:
    tests/diagnose/test_patterns_search.py).  Trying some 60 patterns on each line was
    half of a batch worker's time per log; most patterns are absent from a report, and
    ``maybe_in`` rules them out over the joined text in one test each."""
    text = "\n".join(lines)
    return frozenset(p.name for p in LOG_PATTERNS if p.maybe_in(text) and any(p.search(line) for line in lines))


def present_plain(lines: Sequence[str]) -> frozenset[str]:
    """Every pattern's plain regex against every line."""
    return frozenset(p.name for p in LOG_PATTERNS if any(p.regex.search(line) for line in lines))
