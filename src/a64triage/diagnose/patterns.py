"""Kernel message patterns the rules test for, as one table.

Each row names a line the kernel prints and where the format string lives, so
a rule says ``log("uaccess")`` instead of carrying a regular expression.  The
patterns run on the report's cleaned lines (timestamps and prefixes removed
by the console stage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LogPattern:
    name: str
    regex: re.Pattern[str]
    source: str  # where the kernel prints it


def _p(name: str, rx: str, source: str) -> LogPattern:
    return LogPattern(name, re.compile(rx), source)


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
    _p("serror", r"SError Interrupt on CPU|Asynchronous SError Interrupt",
       "arch/arm64/kernel/traps.c arm64_serror_panic(), do_serror()"),
    _p("bad-mode", r"Bad mode in .* handler detected", "arch/arm64/kernel/traps.c bad_mode() (4.x)"),
    _p("stack-overflow", r"Insufficient stack space to handle exception|[Kk]ernel stack overflow",
       "arch/arm64/kernel/traps.c handle_bad_stack()"),
    _p("hyp-stack-overflow", r"hyp_panic_bad_stack\b", "arch/arm64/kvm/hyp/nvhe/host.S (hyp stack guard)"),
    _p("stack-protector", r"stack-protector: Kernel stack is corrupted", "kernel/panic.c __stack_chk_fail()"),
    _p("kernel-bug", r"kernel BUG at ", "include/asm-generic/bug.h / lib/bug.c"),
    _p("warning", r"^WARNING: ", "kernel/panic.c __warn()"),
    _p("cfi", r"CFI failure at|CFI failure \(target", "kernel/cfi.c report_cfi_failure()"),
    _p("kasan", r"BUG: KASAN: ", "mm/kasan/report.c"),
    _p("kasan-uaf", r"BUG: KASAN: (?:slab-|vmalloc-)?use-after-free", "mm/kasan/report.c"),
    _p("kasan-double-free", r"BUG: KASAN: double-free|BUG: KASAN: invalid-free", "mm/kasan/report.c"),
    _p("kfence", r"BUG: KFENCE: ", "mm/kfence/report.c"),
    _p("kfence-uaf", r"BUG: KFENCE: use-after-free", "mm/kfence/report.c"),
    _p("kfence-invalid-free", r"BUG: KFENCE: invalid free", "mm/kfence/report.c"),
    _p("ubsan", r"UBSAN: |Oops - UBSAN", "lib/ubsan.c"),
    _p("slub-double-free", r"Object already free|double free detected|double free or corruption",
       "mm/slub.c"),
    _p("slub-poison", r"Poison overwritten|Object padding overwritten|Redzone overwritten",
       "mm/slub.c check_bytes_and_report()"),
    _p("slub-bug", r"kernel BUG at mm/slub\.c", "mm/slub.c set_freepointer() BUG_ON(object == fp)"),
    _p("list-corruption", r"list_(?:add|del)(?:_rcu)? corruption|list_del corruption|list_add corruption",
       "lib/list_debug.c"),
    _p("refcount", r"refcount_t: ", "lib/refcount.c refcount_warn_saturate()"),
    _p("refcount-uaf", r"refcount_t: (?:underflow|addition on 0); use-after-free", "lib/refcount.c"),
    _p("usercopy", r"usercopy: Kernel memory (?:exposure|overwrite) attempt detected", "mm/usercopy.c"),
    _p("fortify", r"detected buffer overflow|\bfortify_panic\b", "lib/string_helpers.c fortify_panic()"),
    _p("soft-lockup", r"BUG: soft lockup - CPU#", "kernel/watchdog.c"),
    _p("hard-lockup", r"[Hh]ard LOCKUP", "kernel/watchdog.c / kernel/watchdog_perf.c"),
    _p("rcu-stall", r"rcu_(?:sched|preempt|bh)? ?(?:self-)?detected stall|rcu: INFO: .*detected stall|"
       r"detected stalls on CPUs/tasks", "kernel/rcu/tree_stall.h"),
    _p("hung-task", r"INFO: task .* blocked for more than \d+ seconds", "kernel/hung_task.c"),
    _p("lockdep", r"possible circular locking dependency|possible recursive locking|inconsistent lock state|"
       r"BUG: sleeping function called from invalid context|bad unlock balance", "kernel/locking/lockdep.c"),
    _p("panic", r"Kernel panic - not syncing", "kernel/panic.c"),
    _p("hyp-panic", r"HYP panic|hyp panic at|nVHE hyp (?:panic|BUG)", "arch/arm64/kvm/handle_exit.c, hyp/*/switch.c"),
    _p("hyp-va-range", r"HYP VA range: ", "arch/arm64/kvm/mmu.c kvm_mmu_init()"),
)

PATTERNS: dict[str, LogPattern] = {p.name: p for p in LOG_PATTERNS}
