"""Report kinds and how strongly each one names a crash.

When several headers land in one report (``cut here`` + ``list_del corruption``
+ ``kernel BUG at`` + ``Internal error: Oops - BUG``), the most specific kind
wins: ``RANK`` orders them.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """``Report.kind`` values (a JSON contract: see schemas/report.schema.json)."""

    OOPS = "oops"
    PANIC = "panic"
    HYP_PANIC = "hyp-panic"
    BUG = "bug"
    WARNING = "warning"
    KASAN = "kasan"
    KFENCE = "kfence"
    UBSAN = "ubsan"
    SERROR = "serror"
    BAD_MODE = "bad-mode"
    ALIGNMENT = "alignment"
    SOFT_LOCKUP = "soft-lockup"
    HARD_LOCKUP = "hard-lockup"
    RCU_STALL = "rcu-stall"
    HUNG_TASK = "hung-task"
    LOCKDEP = "lockdep"
    LIST_CORRUPTION = "list-corruption"
    USERCOPY = "usercopy"
    FORTIFY = "fortify"
    REFCOUNT = "refcount"
    STACK_OVERFLOW = "stack-overflow"
    OTHER_BUG = "other-bug"
    KMSAN = "kmsan"
    KCSAN = "kcsan"
    MEMORY_LEAK = "memory-leak"
    GPF = "general-protection"  # x86 general protection / stack segment fault
    TRAP = "trap"  # x86 divide error, invalid opcode, int3, double fault
    REBOOT = "reboot"  # the kernel booted again in the middle of a log
    SYZ_FAILURE = "syz-failure"  # syzkaller's executor reported its own failure


# Higher wins when two headers of one report disagree.
RANK: dict[Kind, int] = {
    Kind.PANIC: 0,
    Kind.REBOOT: 1,
    Kind.SYZ_FAILURE: 2,
    Kind.TRAP: 12,
    Kind.GPF: 12,
    Kind.MEMORY_LEAK: 45,
    Kind.KCSAN: 50,
    Kind.KMSAN: 50,
    Kind.OOPS: 10,
    Kind.OTHER_BUG: 15,
    Kind.WARNING: 20,
    Kind.BUG: 25,
    Kind.ALIGNMENT: 30,
    Kind.BAD_MODE: 30,
    Kind.SERROR: 30,
    Kind.SOFT_LOCKUP: 35,
    Kind.HARD_LOCKUP: 35,
    Kind.RCU_STALL: 35,
    Kind.HUNG_TASK: 35,
    Kind.LOCKDEP: 40,
    Kind.UBSAN: 45,
    Kind.KFENCE: 50,
    Kind.KASAN: 50,
    Kind.REFCOUNT: 55,
    Kind.LIST_CORRUPTION: 55,
    Kind.USERCOPY: 55,
    Kind.FORTIFY: 55,
    Kind.STACK_OVERFLOW: 60,
    Kind.HYP_PANIC: 70,
}
