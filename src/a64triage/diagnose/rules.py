"""The rule table: facts -> class, confidence, summary, next step, evidence.

One row per hypothesis a report can support.  ``when`` is a predicate over
:class:`~a64triage.diagnose.facts.Facts`; ``boosts`` raise the confidence when
a corroborating fact holds (and their reason becomes evidence); ``summary``
and ``next_step`` are templates over ``Facts.values()``; ``evidence`` names
evidence producers (evidence.py).  The generic evaluator lives in engine.py.
Several rows may fire for one report: they are alternatives, ranked by
confidence.  ``fallback`` rows fire only when no other row did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from a64triage.diagnose.classes import BugClass as C
from a64triage.diagnose.facts import PAGE_SIZE, THREAD_SIZE, THREAD_SIZE_MAX, Facts

Predicate = Callable[[Facts], bool]


@dataclass(frozen=True)
class Boost:
    when: Predicate
    delta: float
    why: str  # shown as evidence when the boost applies


@dataclass(frozen=True)
class Need:
    """A key fact of a hypothesis.  When it is missing the hypothesis says so (``missing``:
    what is unknown and which input would give it) and loses ``delta`` of confidence."""

    present: Predicate
    missing: str
    delta: float


@dataclass(frozen=True)
class Rule:
    name: str
    cls: C
    when: Predicate
    confidence: float
    summary: str
    next_step: str
    evidence: tuple[str, ...] = ()
    boosts: tuple[Boost, ...] = ()
    fallback: bool = False
    needs: tuple[Need, ...] = ()
    # Names the mechanism that reported (a BUG()/WARN() trap, "an exception at EL2"), not a
    # cause: checks such as refcount, lockdep or SLUB report through it, so any specific rule
    # that fires ranks first whatever the confidences.
    generic: bool = False


# --- small predicates the table shares -------------------------------------

def _fsc(*kinds: str) -> Predicate:
    return lambda f: f.is_abort and f.fsc_type in kinds


def _trap(cls: C) -> Predicate:
    """The exception itself names the class: the EC row (arm64/classes.py) or the BRK row
    (arm64/brk.py) of the decoder's own tables carries it."""
    return lambda f: f.esr is not None and f.esr.trap_class == cls.value


def _below_stack_base(f: Facts) -> bool:
    """A translation fault in the page just below a THREAD_SIZE-aligned base that SP lies
    above, within one stack: the vmap stack's guard page, i.e. the stack ran out."""
    if f.sp is None or f.far is None or not f.is_abort or f.fsc_type != "translation":
        return False
    base = (f.far.value + PAGE_SIZE) & ~(THREAD_SIZE - 1)
    return base - PAGE_SIZE <= f.far.value < base <= f.sp < base + THREAD_SIZE_MAX


def _far_cls(*classes: str) -> Predicate:
    return lambda f: f.far is not None and f.far.cls in classes


def _poison(*names: str) -> Predicate:
    return lambda f: f.poison is not None and f.poison.name in names


def _kind(*kinds: str) -> Predicate:
    return lambda f: f.kind in kinds


def _log(*names: str) -> Predicate:
    return lambda f: f.has(*names)


def _any(*preds: Predicate) -> Predicate:
    return lambda f: any(p(f) for p in preds)


def _all(*preds: Predicate) -> Predicate:
    return lambda f: all(p(f) for p in preds)


def _not(pred: Predicate) -> Predicate:
    return lambda f: not pred(f)


def _hyp_bad_address(f: Facts) -> bool:
    """At EL2, the faulting address is a kernel-image VA or lies outside the printed HYP VA range."""
    if not (f.at_hyp and f.is_abort):
        return False
    addr = f.far if f.far is not None else f.pc
    if addr is None:
        return False
    outside = f.far_outside_hyp if f.far is not None else f.pc_outside_hyp
    return outside is True or addr.cls in ("kimage", "kernel-image")


def _null(f: Facts) -> bool:
    return f.is_abort and f.far is not None and f.far.value < PAGE_SIZE and f.fsc_type == "translation"


def _pac_corrupted_branch(f: Facts) -> bool:
    """Instruction fetch from a kernel-half address (bit 55 set) whose top bits are wrong.

    Without FEAT_FPAC a failed AUTIASP/AUTIA does not trap: it writes an error code into
    the PAC field of the pointer (Arm ARM D8.8 "Pointer authentication"), so the RET that
    follows branches to a kernel address with corrupted top bits.
    """
    if f.esr is None or not f.esr.is_instruction:
        return False
    addr = f.far if f.far is not None else f.pc
    if addr is None or not (addr.tagged or addr.cls in _NON_CANONICAL):
        return False
    return bool(addr.value >> 55 & 1)


_EL1_ABORT = _all(lambda f: f.is_abort, lambda f: not f.at_hyp)
_NON_CANONICAL = ("noncanonical", "non-canonical", "tagged", "pac", "pac-signed")
_KERNEL_TEXT = ("kimage", "kernel-image", "kernel-text", "rodata", "kimage-text", "kimage-rodata")

_SIZE_HINT = "Get the vmlinux (and modules) of this build and run `a64triage explain LOG --vmlinux vmlinux` "

RULES: tuple[Rule, ...] = (
    # ---- EL2 / hyp ---------------------------------------------------------
    Rule(
        "hyp-absolute-address", C.HYP_ABSOLUTE_ADDRESS, _hyp_bad_address, 0.6,
        "EL2 {access} fault at {far}, {hyp_where}, {in_where}{via}: hyp code used an absolute kernel VA",
        "Find the absolute address in the hyp code: `a64triage audit` on the hyp objects (kvm_nvhe.o or "
        "vmlinux). For a jump table build hyp code with -fno-jump-tables (the 2017 fix for clang); "
        "for any absolute address use Linux >= 5.12, which relocates hyp VAs at boot (gen-hyprel, "
        "kvm_apply_hyp_relocations) — or take the address PC-relatively (adrp/add).",
        ("log:hyp-panic", "el", "esr", "far", "far-is-pc", "hyp-range", "pc", "indirect-branch", "audit",
         "disasm-fault", "trace-top"),
        (
            Boost(lambda f: f.far_is_pc and f.esr is not None and f.esr.is_instruction, 0.1,
                  "PC == FAR on an instruction abort: EL2 branched to the bad address itself (an indirect "
                  "branch or return to a kernel VA)"),
            Boost(lambda f: f.fsc_type == "translation" and f.esr is not None and f.esr.level == 0, 0.05,
                  "level 0 translation fault: the address is outside every EL2 mapping"),
            Boost(lambda f: bool(f.abs_findings), 0.2,
                  "the audit finds an absolute address (relocation to a kernel VA) in the faulting function"),
            Boost(lambda f: f.table_holds_pc, 0.04,
                  "a slot of that absolute table holds exactly the faulting PC"),
            Boost(lambda f: bool(f.indirect_branches), 0.03,
                  "the faulting function contains an indirect branch before the PC"),
        ),
        needs=(
            Need(lambda f: f.hyp_range is not None,
                 "the HYP VA range: without the boot log's 'kvm [1]: HYP VA range' line the address cannot be "
                 "checked against EL2's own mapping", 0.15),
        ),
    ),
    Rule(
        "hyp-fault", C.HYP_FAULT, lambda f: f.at_hyp, 0.35,
        "exception at EL2 in hyp code ({ec}, {fault}) at {where}",
        "Symbolize the hyp PC (nVHE symbols are __kvm_nvhe_-prefixed) and read the hyp call trace; "
        "check the address against the HYP VA range.",
        ("log:hyp-panic", "el", "esr", "far", "hyp-range", "pc", "disasm-fault"),
        needs=(
            Need(lambda f: f.function is not None,
                 "the hyp function: the log names none ('nVHE hyp panic at' names it; or give --vmlinux and the "
                 "Hyp Offset)", 0.05),
        ),
        generic=True,
    ),
    # ---- address-class faults ----------------------------------------------
    Rule(
        "null-call", C.NULL_DEREF,
        _all(_null, lambda f: f.esr is not None and f.esr.is_instruction), 0.85,
        "call through a NULL function pointer: instruction fetch at {far_short}",
        "The caller is the LR / first call-trace frame: find the function-pointer member it called "
        "and why it is NULL (ops table not set, object not initialised).",
        ("message", "el", "esr", "far", "pc", "lr", "trace-top"),
    ),
    Rule(
        "null-deref", C.NULL_DEREF,
        # Not when the bad-stack handler reports it: that exception is the overflow's consequence.
        _all(_any(_all(_log("null-deref"), lambda f: not (f.esr is not None and f.esr.is_instruction)),
                  _all(_null, lambda f: f.esr is not None and f.esr.is_data)),
             _not(_log("stack-overflow"))), 0.85,
        "NULL pointer dereference: {access} at {far_short} (a member at offset {far_short} of a NULL "
        "struct pointer) in {where}{insn}",
        "Find the base register of the faulting instruction in {function} and the struct member at "
        "offset {far_short}; follow the pointer back to where it should have been set or checked.",
        ("message", "el", "esr", "far", "pc", "disasm-fault", "code", "trace-top"),
        (Boost(_log("null-deref"), 0.05, "the kernel itself says NULL pointer dereference"),),
        needs=(
            Need(lambda f: f.far is not None,
                 "the faulting address: no FAR in the log (the 'Unable to handle kernel NULL pointer dereference "
                 "at virtual address' line or a FAR line gives it), so the member offset is unknown", 0.05),
        ),
    ),
    Rule(
        "list-poison", C.USE_AFTER_FREE,
        _poison("LIST_POISON1", "LIST_POISON2", "POISON_POINTER_DELTA"), 0.8,
        "{access} through {poison} ({far_short}) in {where}{insn}: a list entry used after list_del()",
        "Find who keeps using the entry after list_del() (iteration without the lock, missing "
        "list_del_init/RCU grace period); enable CONFIG_DEBUG_LIST and KASAN to catch the first misuse.",
        ("message", "far", "poison", "el", "esr", "pc", "trace-top"),
    ),
    Rule(
        "slab-poison", C.USE_AFTER_FREE,
        _poison("POISON_FREE", "POISON_END", "SLUB_RED_INACTIVE"), 0.8,
        "{access} through a pointer read from freed slab memory ({poison}, {far_short}) in {where}{insn}",
        "The object holding that pointer was freed: find its last kfree() (slub_debug=FZPU prints the "
        "free stack; KASAN reports the exact access).",
        ("message", "far", "poison", "el", "esr", "pc", "trace-top"),
    ),
    Rule(
        "uninit-poison", C.WILD_POINTER, _poison("POISON_INUSE", "SLUB_RED_ACTIVE"), 0.7,
        "{access} through a pointer read from uninitialised or out-of-bounds slab memory ({poison}, "
        "{far_short}) in {where}",
        "Find the allocation that is read before it is written (kzalloc vs kmalloc) or the out-of-bounds "
        "read; KASAN/KMSAN pinpoint it.",
        ("message", "far", "poison", "el", "esr", "pc", "trace-top"),
    ),
    Rule(
        "register-poison", C.USE_AFTER_FREE,
        lambda f: any(p.cls == C.USE_AFTER_FREE for _, _, p in f.register_poisons) and f.poison is None, 0.45,
        "a register holds slab/list poison: the code was working on freed memory",
        "Check which object the poisoned register was loaded from (disassembly around the PC).",
        ("register-poison", "pc"),
    ),
    Rule(
        "non-canonical", C.WILD_POINTER,
        _all(_any(_far_cls(*_NON_CANONICAL), _log("between-ranges")), lambda f: f.poison is None), 0.75,
        "{access} through a non-canonical, tagged or PAC-signed pointer {far} in {where}: a corrupted "
        "or never-valid pointer",
        "Look for memory corruption of the structure the pointer was loaded from, a missing PAC strip "
        "(xpaci) or a tag not removed; KASAN helps find the corrupting write.",
        ("message", "far", "el", "esr", "pc", "trace-top"),
    ),
    Rule(
        "exec-nx", C.EXEC_NON_EXECUTABLE,
        _any(_log("exec-nx"),
             _all(_EL1_ABORT, lambda f: f.esr is not None and f.esr.is_instruction, _fsc("permission"))), 0.85,
        "instruction fetch from non-executable memory at {far} ({far_class}): the kernel branched into "
        "memory that is not mapped executable",
        "Find the indirect branch or return that went there: a corrupted function pointer or return "
        "address (the LR and the caller in the call trace), code placed in a data section, or module "
        "memory called before it was made executable.",
        ("message", "el", "esr", "far", "pc", "lr", "sym-notes", "trace-top"),
        needs=(
            Need(lambda f: f.esr is not None,
                 "the ESR: without the 'Mem abort info' lines or the Oops code the permission fault rests on the "
                 "message alone", 0.05),
        ),
    ),
    Rule(
        "pc-beyond-size", C.EXEC_NON_EXECUTABLE, lambda f: f.beyond_size, 0.6,
        "the PC is past the end of {function} (offset >= size): the CPU was executing padding or data",
        "Find the indirect branch or corrupted return address that went there; check the vmlinux "
        "matches the log.",
        ("pc", "sym-notes", "trace-top"),
    ),
    Rule(
        "write-ro", C.WRITE_READ_ONLY,
        _any(_log("write-ro"),
             _all(_EL1_ABORT, _fsc("permission"), lambda f: bool(f.esr and f.esr.wnr), _far_cls(*_KERNEL_TEXT))),
        0.85,
        "write to read-only memory at {far} ({far_class}) in {where}{insn}",
        "The target is kernel text, rodata or __ro_after_init data: find the object written to and "
        "either move it to writable data or write it before mark_rodata_ro().",
        ("message", "el", "esr", "far", "pc", "disasm-fault", "trace-top"),
    ),
    Rule(
        "uaccess", C.USER_ACCESS_VIOLATION,
        _any(_log("uaccess", "exec-user"),
             _all(_EL1_ABORT, _fsc("permission"), _far_cls("user"))), 0.85,
        "kernel {access} of user memory at {far} outside the uaccess helpers (PAN) in {where}",
        "Use copy_from_user()/get_user() (or the user_access_begin() helpers) for user pointers; "
        "a kernel pointer that holds a user address is a bug in its producer.",
        ("message", "el", "esr", "far", "pc", "trace-top"),
    ),
    Rule(
        "user-address", C.WILD_POINTER,
        _all(_EL1_ABORT, _fsc("translation"), _far_cls("user"), lambda f: not _null(f)), 0.55,
        "kernel {access} at {far}, a user-space/small address: an integer or stale pointer used as a "
        "kernel pointer (or branch target) in {where}",
        "Find where the pointer came from (the base register of the faulting instruction).",
        ("message", "el", "esr", "far", "pc", "disasm-fault", "trace-top"),
    ),
    Rule(
        "unmapped-kernel", C.WILD_POINTER,
        _all(_EL1_ABORT, _fsc("translation", "access-flag"),
             lambda f: f.far is not None and f.far.value >= PAGE_SIZE and f.poison is None,
             _not(_far_cls("user", *_NON_CANONICAL))),
        0.45,
        "kernel {access} at unmapped address {far} ({far_class}) in {where}{insn}",
        "A wild pointer or an object freed with its mapping (vfree, module unload): check the "
        "registers for the pointer's origin, enable KASAN.",
        ("message", "el", "esr", "far", "pc", "disasm-fault", "trace-top"),
    ),
    Rule(
        "unsupported-atomic", C.WILD_POINTER, _fsc("implementation-defined", "atomic-update"), 0.6,
        "{fault} at {far} in {where}: an exclusive/atomic access (e.g. a lock) on memory that does not "
        "support it — a lock inside a device/non-cacheable mapping, or a pointer into one",
        "Check what the address maps (the page-table dump shows the memory type): a struct with a lock "
        "placed in ioremap()/DMA-coherent memory, or a wild pointer into a device mapping.",
        ("message", "el", "esr", "far", "pc", "disasm-fault", "trace-top"),
    ),
    Rule(
        "paging-request-32", C.WILD_POINTER,
        _all(_log("paging-request"), lambda f: f.esr is None), 0.4,
        "kernel paging request at an unmapped address in {where}",
        "Find where the pointer came from (registers, the instruction at the PC).",
        ("message", "pc", "trace-top"),
    ),
    Rule(
        "abort-no-address", C.WILD_POINTER,
        _all(_EL1_ABORT, _fsc("translation", "access-flag", "permission"), lambda f: f.far is None), 0.35,
        "kernel {access} fault ({fault}) in {where}; the log does not show the faulting address",
        "Find the full report (the 'Unable to handle kernel ... at virtual address' line gives the "
        "address) or the pointer in the registers of the faulting instruction.",
        ("message", "el", "esr", "pc", "disasm-fault", "code", "trace-top"),
    ),
    Rule(
        "alignment", C.ALIGNMENT,
        _any(_fsc("alignment"), _trap(C.ALIGNMENT), _kind("alignment")), 0.85,
        "alignment fault ({ec}) at {far} in {where}",
        "Check the access: exclusive/atomic or device-memory accesses must be naturally aligned; a "
        "misaligned PC/SP means a corrupted branch target or stack pointer.",
        ("message", "el", "esr", "far", "pc", "disasm-fault"),
    ),
    Rule(
        "stack-overflow", C.STACK_OVERFLOW,
        _any(_kind("stack-overflow"), _log("stack-overflow", "hyp-stack-overflow"),
             lambda f: f.sp is not None and f.far is not None and f.is_abort and 0 <= f.sp - f.far.value < 2 * PAGE_SIZE
             and f.fsc_type == "translation" and f.far.value >= PAGE_SIZE,
             _below_stack_base),
        0.9,
        "kernel stack overflow in {where}",
        "Look for deep or unbounded recursion and large on-stack arrays in the call trace "
        "(-Wframe-larger-than, CONFIG_DEBUG_STACK_USAGE).",
        ("log:stack-overflow", "log:hyp-stack-overflow", "message", "far", "pc", "trace-top"),
    ),
    Rule(
        "stack-protector", C.STACK_CORRUPTION, _log("stack-protector"), 0.9,
        "stack canary overwritten in {function}: a stack buffer overflow",
        "Find the on-stack buffer written past its end in the named function (KASAN stack "
        "instrumentation shows the exact write).",
        ("log:stack-protector", "trace-top"),
    ),
    # ---- BRK-based reports ---------------------------------------------------
    Rule(
        "bug", C.BUG_ASSERTION,
        _any(_log("kernel-bug", "oops-bug"), _kind("bug"),
             _all(_trap(C.BUG_ASSERTION), _not(_log("warning")))), 0.85,
        "BUG() assertion failed in {where}",
        "Read the BUG_ON() condition at the BUG site and find why it holds.",
        ("log:kernel-bug", "bug-site", "el", "brk", "pc", "trace-top"),
        generic=True,
    ),
    Rule(
        "warning", C.WARNING, _any(_log("warning"), _kind("warning")), 0.8,
        "WARN() fired in {where}",
        "Read the WARN_ON() condition at the warning site; the call trace shows who broke its assumption.",
        ("log:warning", "bug-site", "el", "pc", "trace-top"),
        generic=True,
    ),
    Rule(
        "kasan", C.KASAN, _any(_kind("kasan"), _log("kasan"), _trap(C.KASAN)), 0.85,
        "KASAN report: {title}",
        "Read the access stack, and the allocation/free stacks KASAN printed; fix the access.",
        ("log:kasan", "el", "brk", "extra", "pc", "trace-top"),
    ),
    Rule(
        "kasan-uaf", C.USE_AFTER_FREE, _any(_log("kasan-uaf"), _log("kfence-uaf"), _log("refcount-uaf")), 0.9,
        "use after free: {title}",
        "Compare the free stack with the access stack: the object is freed while still referenced "
        "(missing reference count, RCU grace period or lock).",
        ("log:kasan-uaf", "log:kfence-uaf", "log:refcount-uaf", "extra", "trace-top"),
    ),
    Rule(
        "slub-poison-overwritten", C.USE_AFTER_FREE, _log("slub-poison"), 0.9,
        "write to a freed (or out-of-bounds of a) slab object: {title}",
        "slub_debug found the free poison changed: the 'Freed in' stack names the last free; the writer "
        "is a user of the object after that free (or an overflow from its neighbour for redzones).",
        ("log:slub-poison", "extra", "trace-top"),
    ),
    Rule(
        "slub-freelist-double-free", C.DOUBLE_FREE,
        _all(_log("slub-bug"), lambda f: f.function == "set_freepointer"), 0.92,
        "double free: the SLUB freelist check in set_freepointer() found the object already at the "
        "head of the freelist (BUG_ON(object == fp))",
        "The caller of kfree()/kmem_cache_free() in the call trace freed an object that was just freed: "
        "find the other free of the same object.",
        ("log:slub-bug", "pc", "trace-top"),
    ),
    Rule(
        "double-free", C.DOUBLE_FREE,
        _any(_log("kasan-double-free", "slub-double-free"), _log("kfence-invalid-free")), 0.85,
        "object freed twice (or an invalid free): {title}",
        "Compare the two free stacks; set the pointer to NULL after freeing, or fix the ownership.",
        ("log:kasan-double-free", "log:slub-double-free", "log:kfence-invalid-free", "trace-top"),
    ),
    Rule(
        "kfence", C.KFENCE, _any(_kind("kfence"), _log("kfence")), 0.85,
        "KFENCE report: {title}",
        "Read the access and allocation stacks KFENCE printed; reproduce with KASAN for more detail.",
        ("log:kfence", "extra", "trace-top"),
    ),
    Rule(
        "ubsan", C.UBSAN, _any(_kind("ubsan"), _log("ubsan"), _trap(C.UBSAN)), 0.85,
        "undefined behaviour: {title}",
        "Fix the expression at the reported file:line (the check type is in the report or the BRK "
        "immediate).",
        ("log:ubsan", "el", "brk", "pc", "trace-top"),
    ),
    Rule(
        "cfi", C.CFI, _any(_log("cfi"), _trap(C.CFI)), 0.9,
        "CFI failure: indirect call with the wrong function type in {where}",
        "Make the called function's prototype match the pointer type (no casts between function "
        "types); the BRK immediate names the registers holding target and type.",
        ("log:cfi", "el", "brk", "pc", "trace-top"),
    ),
    Rule(
        "pac", C.PAC_FAILURE, _any(_trap(C.PAC_FAILURE), _log("oops-fpac")), 0.9,
        "pointer authentication failure (FPAC) in {where}: a signed pointer or return address was "
        "corrupted or signed with another key/modifier",
        "Find the corrupted return address (stack overwrite) or the pointer signed under a different "
        "context.",
        ("message", "el", "esr", "pc", "trace-top"),
    ),
    Rule(
        "pac-pointer", C.PAC_FAILURE, _pac_corrupted_branch, 0.8,
        "branch to {pc}, a kernel address whose top bits were corrupted: a return address (or signed "
        "pointer) that failed pointer authentication — without FEAT_FPAC the failed AUT* leaves an error "
        "code in the PAC bits and the RET faults",
        "Find what overwrote the saved return address in the caller ({lr}): a stack overflow/corruption, "
        "or a pointer signed with a different key or modifier.",
        ("message", "el", "esr", "far", "pc", "lr", "trace-top"),
    ),
    Rule(
        "bti", C.BTI_FAILURE, _any(_trap(C.BTI_FAILURE), _log("oops-bti")), 0.9,
        "BTI failure: an indirect branch landed on {where}, which is not a BTI landing pad",
        "Add a landing pad (SYM_FUNC_START / bti c) to assembly called indirectly, or find the corrupted "
        "branch target.",
        ("message", "el", "esr", "pc", "trace-top"),
    ),
    # ---- hardware-flavoured ------------------------------------------------
    Rule(
        "serror", C.SERROR,
        _any(_trap(C.SERROR), _kind("serror"), _log("serror")), 0.85,
        "SError: an asynchronous external error reported by the memory system, noticed in {where} "
        "(asynchronous: the code running then need not be the culprit)",
        "Read the RAS syndrome (AET/DFSC in the decoded ESR): a device access to a powered-down or "
        "absent peripheral, an ECC error, or firmware; check what the CPU was doing just before.",
        ("log:serror", "el", "esr", "pc", "trace-top"),
    ),
    Rule(
        "external-abort", C.EXTERNAL_ABORT,
        _any(_fsc("external", "external-ttw", "parity-ecc", "parity-ecc-ttw"), _log("sea")), 0.85,
        "synchronous external abort on {access} at {far} in {where}: the bus rejected the access",
        "A device/MMIO access to an unclocked, powered-down or absent device (check clocks, power "
        "domains, the DT reg property) or a memory ECC error.",
        ("message", "el", "esr", "far", "pc", "disasm-fault", "trace-top"),
    ),
    Rule(
        "undefined-instruction", C.UNDEFINED_INSTRUCTION,
        _any(_log("oops-undef"), _all(_trap(C.UNDEFINED_INSTRUCTION), lambda f: f.kind in ("oops", "bug"))), 0.85,
        "undefined instruction in {where}",
        "Decode the faulting word (Code: line): an instruction this CPU lacks (feature check missing), "
        "corrupted text, or execution of data.",
        ("message", "log:oops-undef", "el", "esr", "code", "disasm-fault", "pc", "trace-top"),
    ),
    Rule(
        "compiler-trap", C.COMPILER_TRAP, _trap(C.COMPILER_TRAP), 0.85,
        "trap instruction emitted by the compiler ({brk_meaning}) reached {in_where}",
        "The compiler put the trap there because it proved the path undefined or unreachable: read the "
        "function's source for a division by zero, a NULL dereference or an unreachable()/missing return "
        "on the path the registers show.",
        ("message", "el", "brk", "code", "pc", "lr", "trace-top"),
    ),
    Rule(
        "stray-breakpoint", C.STRAY_BREAKPOINT, _trap(C.STRAY_BREAKPOINT), 0.75,
        "breakpoint with no handler ({brk_meaning}) {in_where}",
        "A kprobe/uprobe/kgdb BRK was hit with no handler registered for it: a probe left behind after its "
        "module was unloaded, a uprobe BRK in kernel text, or kgdb not attached.",
        ("message", "el", "brk", "code", "pc", "trace-top"),
    ),
    Rule(
        "illegal-state", C.ILLEGAL_STATE, _trap(C.ILLEGAL_STATE), 0.8,
        "illegal execution state (PSTATE.IL) {in_where}: an exception return to an invalid saved state",
        "Find who wrote the SPSR/ELR the ERET used (a corrupted pt_regs, a bad mode in a saved context).",
        ("message", "el", "esr", "pc", "trace-top"),
    ),
    # ---- lockups and report families ----------------------------------------
    Rule(
        "soft-lockup", C.SOFT_LOCKUP, _any(_kind("soft-lockup"), _log("soft-lockup")), 0.9,
        "soft lockup: a CPU spun in {where} without scheduling{lock}",
        "Look at the loop in the PC's function (spinning on a lock or polling a condition that never "
        "comes); the lock holder is often on another CPU's backtrace.",
        ("log:soft-lockup", "pc", "trace-top"),
    ),
    Rule(
        "hard-lockup", C.HARD_LOCKUP, _any(_kind("hard-lockup"), _log("hard-lockup")), 0.9,
        "hard lockup: a CPU ran with interrupts off too long in {where}{lock}",
        "Find the code spinning with IRQs disabled (spin_lock_irqsave holders, stuck MMIO polling).",
        ("log:hard-lockup", "pc", "trace-top"),
    ),
    Rule(
        "rcu-stall", C.RCU_STALL, _any(_kind("rcu-stall"), _log("rcu-stall")), 0.85,
        "RCU stall: {title}",
        "Find the CPU/task the stall names and what it runs in the backtrace (a long loop without "
        "cond_resched(), a reader that never exits).",
        ("log:rcu-stall", "pc", "trace-top"),
    ),
    Rule(
        "hung-task", C.HUNG_TASK, _any(_kind("hung-task"), _log("hung-task")), 0.85,
        "hung task: {title}",
        "Read the task's stack: who should have woken it (lost completion/wake-up) or which lock it waits "
        "for and who holds it (sysrq-w, lockdep).",
        ("log:hung-task", "trace-top"),
    ),
    Rule(
        "lockdep", C.LOCKDEP, _any(_kind("lockdep"), _log("lockdep")), 0.85,
        "locking problem reported by lockdep: {title}",
        "Follow lockdep's chain: make the lock order consistent or avoid sleeping under the lock.",
        ("log:lockdep", "trace-top"),
    ),
    Rule(
        "list-corruption", C.LIST_CORRUPTION, _any(_kind("list-corruption"), _log("list-corruption")), 0.92,
        "linked list corruption: {title}",
        "The pointers in the message show which side is stale: a list entry freed while linked, "
        "added twice, or modified without the lock.",
        ("log:list-corruption", "trace-top"),
    ),
    Rule(
        "refcount", C.REFCOUNT, _any(_kind("refcount"), _log("refcount")), 0.85,
        "refcount_t misuse: {title}",
        "Balance the get/put pairs on the object (underflow: one put too many; saturation: a leak).",
        ("log:refcount", "trace-top"),
    ),
    Rule(
        "usercopy", C.USERCOPY, _any(_kind("usercopy"), _log("usercopy")), 0.9,
        "hardened usercopy: {title}",
        "The copy length or the object is wrong: check the size passed to copy_to/from_user() against "
        "the object (and its usercopy whitelist).",
        ("log:usercopy", "trace-top"),
    ),
    Rule(
        "fortify", C.FORTIFY, _any(_kind("fortify"), _log("fortify")), 0.9,
        "FORTIFY_SOURCE: {title}",
        "Fix the string/memory call that writes or reads past its buffer (the message names the function).",
        ("log:fortify", "trace-top"),
    ),
    # ---- memory read from a core dump (explain --vmcore) --------------------
    Rule(
        "core-free-object", C.USE_AFTER_FREE, lambda f: f.free_object is not None, 0.97,
        "use after free: the core shows {free_object}",
        "The allocator holds this object as free, so whoever touched it kept a stale pointer: the "
        "slub_debug 'Freed in' stack (or KASAN) names the last free; find the user after it.",
        ("memory", "log:slub-poison", "message", "far", "pc", "trace-top"),
    ),
    Rule(
        "core-double-free", C.DOUBLE_FREE,
        _all(_log("slub-bug", "slub-double-free"), lambda f: f.freed_register_object is not None), 0.96,
        "double free: the core shows {free_object} while it is being freed again",
        "Find the other kfree()/kmem_cache_free() of this object (the caller in the call trace frees it "
        "a second time).",
        ("memory", "log:slub-bug", "log:slub-double-free", "pc", "trace-top"),
    ),
    # ---- fallback ------------------------------------------------------------
    Rule(
        "panic", C.PANIC, lambda f: True, 0.3,
        "{title}",
        _SIZE_HINT + "for symbolized frames, and read the first report in the log.",
        ("log:panic", "log:bad-mode", "message", "el", "esr", "far", "pc", "trace-top"),
        fallback=True,
    ),
)
