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
