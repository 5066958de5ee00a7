"""The stable list of hypothesis classes (JSON key ``"class"``).

A contract: scripts and tests match on these ids, so ids are only ever added,
never renamed or removed.  docs/CLASSES.md documents the same list (a test
keeps the two in step).
"""

from __future__ import annotations

from enum import StrEnum


class BugClass(StrEnum):
    """Hypothesis classes, one per root-cause family a developer acts on."""

    NULL_DEREF = "null-deref"
    WILD_POINTER = "wild-pointer"
    USE_AFTER_FREE = "use-after-free"
    DOUBLE_FREE = "double-free"
    LIST_CORRUPTION = "list-corruption"
    EXEC_NON_EXECUTABLE = "exec-non-executable"
    WRITE_READ_ONLY = "write-read-only"
    USER_ACCESS_VIOLATION = "user-access-violation"
    ALIGNMENT = "alignment"
    STACK_OVERFLOW = "stack-overflow"
    STACK_CORRUPTION = "stack-corruption"
    BUG_ASSERTION = "bug-assertion"
    WARNING = "warning"
    KASAN = "kasan"
    KFENCE = "kfence"
    UBSAN = "ubsan"
    CFI = "cfi"
    PAC_FAILURE = "pac-failure"
    BTI_FAILURE = "bti-failure"
    SERROR = "serror"
    EXTERNAL_ABORT = "external-abort"
    UNDEFINED_INSTRUCTION = "undefined-instruction"
    SOFT_LOCKUP = "soft-lockup"
    HARD_LOCKUP = "hard-lockup"
    RCU_STALL = "rcu-stall"
    HUNG_TASK = "hung-task"
    LOCKDEP = "lockdep"
    REFCOUNT = "refcount"
    USERCOPY = "usercopy"
    FORTIFY = "fortify"
    COMPILER_TRAP = "compiler-trap"
    STRAY_BREAKPOINT = "stray-breakpoint"
    ILLEGAL_STATE = "illegal-state"
    HYP_ABSOLUTE_ADDRESS = "hyp-absolute-address"
    HYP_FAULT = "hyp-fault"
    PANIC = "panic"


# One line each: what the class means.  docs/CLASSES.md repeats these lines.
DESCRIPTIONS: dict[BugClass, str] = {
    BugClass.NULL_DEREF: "a load, store or branch through a NULL (or NULL-plus-small-offset) pointer",
    BugClass.WILD_POINTER: "an access through a pointer that points nowhere valid: non-canonical, tagged, PAC-signed, uninitialised or simply unmapped",
    BugClass.USE_AFTER_FREE: "memory used after it was freed (slab free poison, LIST_POISON after list_del, KASAN/KFENCE use-after-free, refcount underflow)",
    BugClass.DOUBLE_FREE: "an object freed twice (KASAN/KFENCE double-free, SLUB 'already free')",
    BugClass.LIST_CORRUPTION: "a linked list whose next/prev pointers no longer agree (CONFIG_DEBUG_LIST)",
    BugClass.EXEC_NON_EXECUTABLE: "the CPU fetched instructions from memory that is not executable: data, stack, or past a function's end",
    BugClass.WRITE_READ_ONLY: "a store to read-only memory: kernel text, rodata or ro_after_init data",
    BugClass.USER_ACCESS_VIOLATION: "the kernel touched user memory outside the uaccess helpers (PAN) or executed user memory",
    BugClass.ALIGNMENT: "an alignment fault: misaligned PC, SP, exclusive/atomic or device-memory access",
    BugClass.STACK_OVERFLOW: "a kernel stack overflowed into its guard page (or the overflow stack was used)",
    BugClass.STACK_CORRUPTION: "a stack canary was overwritten (stack-protector)",
    BugClass.BUG_ASSERTION: "an explicit BUG()/BUG_ON() assertion failed",
    BugClass.WARNING: "a WARN()/WARN_ON() fired: the kernel continued, the condition is a bug",
    BugClass.KASAN: "a KASAN memory-safety report (out-of-bounds and the other bug types)",
    BugClass.KFENCE: "a KFENCE memory-safety report",
    BugClass.UBSAN: "an undefined-behaviour report or trap (UBSAN)",
    BugClass.CFI: "a control-flow-integrity check failed: an indirect call to a function of the wrong type",
    BugClass.PAC_FAILURE: "a pointer-authentication check failed (FPAC exception or a PAC-corrupted return address)",
    BugClass.BTI_FAILURE: "an indirect branch landed on an instruction that is not a valid BTI landing pad",
    BugClass.SERROR: "an asynchronous SError: usually a hardware or firmware error, or a bad device access",
    BugClass.EXTERNAL_ABORT: "a synchronous external abort: the memory system rejected the access (device/MMIO, ECC)",
    BugClass.UNDEFINED_INSTRUCTION: "the CPU executed an undefined instruction",
    BugClass.SOFT_LOCKUP: "a CPU looped in kernel code without scheduling for too long",
    BugClass.HARD_LOCKUP: "a CPU stopped taking interrupts for too long",
    BugClass.RCU_STALL: "an RCU grace period did not complete: a CPU or task stayed in a read-side section or with preemption off",
    BugClass.HUNG_TASK: "a task slept uninterruptibly (D state) for too long: a lost wake-up or a deadlock",
    BugClass.LOCKDEP: "lockdep found a locking-order or lock-usage problem",
    BugClass.REFCOUNT: "a refcount_t overflowed, underflowed or was incremented from zero",
    BugClass.USERCOPY: "a copy to or from user space touched a kernel object it must not (hardened usercopy)",
    BugClass.FORTIFY: "a FORTIFY_SOURCE check caught a string/memory function overflowing its buffer",
    BugClass.COMPILER_TRAP: "the CPU reached a trap the compiler emitted (__builtin_trap, BRK #0x3e8/#0x1): code it proved unreachable or undefined (a division by zero, a NULL dereference) ran",
    BugClass.STRAY_BREAKPOINT: "a debugger or probe breakpoint (kprobe, uprobe, kgdb BRK) trapped in the kernel with no handler to take it",
    BugClass.ILLEGAL_STATE: "an illegal execution state exception (PSTATE.IL): an exception return to a corrupted or invalid saved state",
    BugClass.HYP_ABSOLUTE_ADDRESS: "hyp (EL2) code used an absolute kernel-image address that is not mapped at EL2 (the 2017 clang jump-table panic)",
    BugClass.HYP_FAULT: "an exception at EL2 (hyp) that the other classes do not explain",
    BugClass.PANIC: "a kernel panic with no more specific explanation",
}
