"""Memory evidence: what a core dump says about the addresses of a report.

A console log names addresses (FAR, PC, SP, the slab object slub_debug complains
about); a core shows what lies there.  This module picks those addresses from the
report and the core's crash-time registers, asks the opened core (symbols.vmcore)
about each, and cross-checks the registers the core saved at the exception against
the ones the oops printed.  The rules read the results through ``Facts.memory``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from a64triage.console.records import Report
from a64triage.disasm.a64 import Insn
from a64triage.symbols.vmcore import CpuRegisters, MemoryFact, Vmcore

# include/linux/poison.h: SLUB fills a free object with POISON_FREE and ends it with
# POISON_END when the cache has SLAB_POISON (slub_debug=P); mm/slub.c init_object().
POISON_FREE = 0x6B
POISON_END = 0xA5

# Addresses a report prints, other than its registers: (role, regex, look at the stack?).
# mm/slub.c: check_bytes_and_report() prints "0x<first>-0x<last> @offset=<n>. First byte
# ...", print_trailer() prints "Object 0x<addr> @offset=<n>"; object_err() and
# free_consistency_checks() ("Object already free") print "Object 0x<addr>" too.
_REPORT_ADDRESSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("corrupted byte", re.compile(r"\b0x([0-9a-f]{16})-0x[0-9a-f]{16} @offset=\d+\. First byte")),
    ("object", re.compile(r"\bObject 0x([0-9a-f]{16})\b")),
)
# Tasks a report names by pid: kernel/hung_task.c check_hung_task() prints
# "INFO: task %s:%d blocked for more than %ld seconds."
_REPORT_TASKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hung task", re.compile(r"INFO: task .{1,16}:(\d+) blocked for more than")),
)
MAX_REGISTER_PROBES = 31
# A register holding a kernel address is probed only for the slab facts the rules use.
_KERNEL_VA = 0xFFFF000000000000


@dataclass(frozen=True)
class CoreRegisterCheck:
    """The core's crash-time registers against the oops text's."""

    registers: CpuRegisters | None
    agree: tuple[str, ...]
    differ: tuple[str, ...]
    dump_time: CpuRegisters | None  # QEMU's PRSTATUS of the panicking CPU (dump time)
    dump_time_at: str | None = None  # the symbol of the dump-time PC

    def describe(self) -> str:
        if self.registers is None:
            text = ("no exception frame in the core holds the registers the oops printed (the crash did "
                    "not start in an exception, or printed no registers)")
        else:
            where = f"the core's exception frame ({self.registers.where}: pc {self.registers.pc:#x}, " \
                    f"sp {self.registers.sp:#x}, pstate {self.registers.pstate:#010x})"
            if self.differ:
                text = f"{where} differs from the oops text in {', '.join(self.differ)}"
            elif self.agree:
                text = f"{where} agrees with the oops text ({len(self.agree)} registers compared)"
            else:
                text = f"{where}; the oops text printed no registers to compare"
        if self.dump_time is not None:
            at = f" in {self.dump_time_at}" if self.dump_time_at else ""
            text += (f"; the PRSTATUS note holds the registers at dump time (pc {self.dump_time.pc:#x}{at}), "
                     "not at the crash")
        return text


def check_registers(report: Report, core: Vmcore) -> CoreRegisterCheck:
    printed = dict(report.registers)
    if report.sp is not None:
        printed["sp"] = report.sp
    if report.pstate is not None:
        printed["pstate"] = report.pstate
    regs = core.crash_registers(printed)
    agree: list[str] = []
    differ: list[str] = []
    if regs is not None:
        named = regs.named()
        for name, value in printed.items():
            if name in named:
                (agree if named[name] == value else differ).append(name)
    dump_time = core.header.prstatus[0] if core.header.prstatus else None
    at = core.symbol_at(dump_time.pc) if dump_time is not None else None
    return CoreRegisterCheck(regs, tuple(agree), tuple(differ), dump_time, at)


def _targets(report: Report, regs: CpuRegisters | None) -> Iterator[tuple[str, int, dict[str, bool]]]:
    if report.far is not None:
        yield "FAR", report.far, {"stack": True}
    if regs is not None:
        yield "PC", regs.pc, {"code": True, "slab": False}
        yield "SP", regs.sp, {"stack": True, "slab": False}
    seen: set[int] = set()
    for role, regex in _REPORT_ADDRESSES:
        for line in report.lines:
            m = regex.search(line)
            if m and int(m.group(1), 16) not in seen:
                seen.add(int(m.group(1), 16))
                yield role, int(m.group(1), 16), {}


def free_poison(core: Vmcore, fact: MemoryFact) -> MemoryFact:
    """Mark a slab object whose bytes are the free poison except a few: written after its free."""
    if fact.slab is None or fact.slab.size < 16:
        return fact
    data = core.read_bytes(fact.slab.start, fact.slab.size)
    if data is None:
        return fact
    body = data[:-1]
    bad = [i for i, b in enumerate(body) if b != POISON_FREE]
    if data[-1] != POISON_END or len(bad) > len(body) // 8:
        return replace(fact, free_poisoned=False)
    where = f", bytes +{bad[0]:#x}..+{bad[-1]:#x} overwritten" if bad else ""
    note = (f"the object holds slub's free poison ({len(body) - len(bad)} of {len(body)} bytes "
            f"{POISON_FREE:#x}, last byte {POISON_END:#x}){where}: it was free when written")
    return replace(fact, free_poisoned=True, notes=(*fact.notes, note))


# Indirect calls (Arm ARM C6.2: BLR and its pointer-authenticating forms) and the
# instructions that load a register from memory without writing back to the base.
_CALLS = frozenset({"blr", "blraa", "blrab", "blraaz", "blrabz"})
_LOADS = frozenset({"ldr", "ldur", "ldapr", "ldar"})
# Mnemonics whose first operand is not a destination (stores, compares, branches, hints);
# pac*/aut* on a register do write it.
_NOT_WRITING = re.compile(r"^(?:st|cmp|cmn|tst|cb|tb|b\.|b$|bl$|blr|br|ret|nop|hint|bti|prfm|dmb|dsb|isb)")
BRANCH_LOOKBACK = 24  # instructions searched before the call for the one that set its register


def _writes(insn: Insn, reg: str) -> bool:
    """Whether ``insn`` writes register ``reg`` (x or w view) or uses it as a written-back base."""
    if _NOT_WRITING.match(insn.mnemonic):
        return False
    names = {reg, "w" + reg[1:]}
    dests = insn.operands[:2] if insn.mnemonic.startswith("ldp") else insn.operands[:1]
    if any(o.kind == "reg" and o.reg in names for o in dests):
        return True
    return insn.writeback and any(o.kind == "mem" and o.base in names for o in insn.operands)


def branch_origin(core: Vmcore, regs: CpuRegisters) -> MemoryFact | None:
    """For a fault at the target of an indirect call: where the call took its target from.

    The crash PC being the target of ``blr xN`` at LR - 4 with xN == PC means no
    instruction of the target ran, so the registers are those of the call.  Looking
    back from the call for the instruction that set xN: a load ``ldr xN, [xB, #d]`` or
    ``[xB, xI, lsl #s]`` whose base (and index) the code did not change since gives
    the slot's address from the crash-time registers, and the core gives what the slot
    holds now and which object it is in."""
    from a64triage.disasm.a64 import disassemble

    call_at = regs.x[30] - 4
    code = core.read_bytes(call_at - 4 * BRANCH_LOOKBACK, 4 * (BRANCH_LOOKBACK + 1))
    if code is None:
        return None
    insns = disassemble(code, call_at - 4 * BRANCH_LOOKBACK)
    call = insns[-1]
    if call.mnemonic not in _CALLS or not call.operands or call.operands[0].kind != "reg":
        return None
    reg = call.operands[0].reg or ""
    if not reg.startswith("x") or not reg[1:].isdigit() or regs.x[int(reg[1:])] != regs.pc:
        return None
    where = f"`{call.text}` at {core.symbol_at(call.address) or hex(call.address)} (LR - 4)"
    for i in range(len(insns) - 2, -1, -1):
        insn = insns[i]
        if not _writes(insn, reg):
            continue
        mem = next((o for o in insn.operands if o.kind == "mem"), None)
        later = insns[i + 1:-1]
        if insn.mnemonic in _LOADS and mem is not None and mem.base and not insn.writeback:
            used = [r for r in (mem.base, mem.index) if r]
            if all(r.startswith("x") and r[1:].isdigit() for r in used) \
                    and not any(_writes(w, r) for w in later for r in used):
                slot = regs.x[int(mem.base[1:])] + mem.disp
                if mem.index:
                    slot += regs.x[int(mem.index[1:])] << mem.shift
                slot &= (1 << 64) - 1
                fact = core.probe("branch slot", slot)
                value = core.read_words(slot, 1)
                holds = f"holds {value[0]:#x}" + (" (the faulting PC)" if value and value[0] == regs.pc else "") \
                    if value else "is not in the core"
                note = f"{where} took its target from `{insn.text}`: the slot {holds}"
                return replace(fact, notes=(*fact.notes, note))
        note = (f"{where} took its target from {reg}, set by `{insn.text}` at "
                f"{core.symbol_at(insn.address) or hex(insn.address)}: not loaded from memory there")
        fact = core.probe("branch", call.address, code=True, slab=False)
        return replace(fact, notes=(*fact.notes, note))
    fact = core.probe("branch", call.address, code=True, slab=False)
    return replace(fact, notes=(*fact.notes, f"{where}: {reg} was not set in the {BRANCH_LOOKBACK} "
                                              "instructions before it (a value passed in)"))


def memory_facts(report: Report, core: Vmcore) -> tuple[tuple[MemoryFact, ...], CoreRegisterCheck]:
    """The memory facts of one report, and the register cross-check."""
    check = check_registers(report, core)
    facts = [free_poison(core, core.probe(role, addr, **opts))
             for role, addr, opts in _targets(report, check.registers)]
    for role, regex in _REPORT_TASKS:
        m = next((m for line in report.lines if (m := regex.search(line))), None)
        task = core.task_fact(role, int(m.group(1))) if m else None
        if task is not None:
            facts.append(task)
    if check.registers is not None and report.far is not None and report.far == check.registers.pc:
        origin = branch_origin(core, check.registers)  # an instruction abort at a call's target
        if origin is not None:
            facts.append(origin)
    if check.registers is not None:
        # Registers pointing into a freed slab object: the object a double free or a
        # use after free was working on (x1 of set_freepointer for SLUB's BUG_ON).
        for i, value in enumerate(check.registers.x[:MAX_REGISTER_PROBES]):
            if value & _KERNEL_VA != _KERNEL_VA or any(f.address == value for f in facts):
                continue
            obj = core.slab_object(value)
            if obj is not None and obj.allocated is False and value - obj.start < obj.size:
                facts.append(core.probe(f"x{i}", value))
    return tuple(facts), check
