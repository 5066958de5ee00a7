"""Evidence producers: the names rules list in ``evidence`` -> Evidence records.

Each producer quotes what an earlier stage found (a log line with its line
number, a decoded register, a symbolized frame, an instruction, an audit
finding).  Producers return nothing when their fact is missing, so a rule can
list everything it would like to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from a64triage.arm64.fields import FieldTree
from a64triage.console.records import Report
from a64triage.diagnose.facts import Facts
from a64triage.diagnose.patterns import PATTERNS
from a64triage.diagnose.types import Evidence, FrameResult
from a64triage.disasm.types import Instruction
from a64triage.relocs.findings import Finding
from a64triage.symbols.types import Symbolized

_SERROR_FIELDS = ("IDS", "AET", "EA", "DFSC", "ISS[23:0]")

# The printing path: functions that print a report or decide to die, not the code that went
# wrong; a call trace starts with them (lib/dump_stack.c, arch/arm64/kernel/stacktrace.c,
# kernel/panic.c, arch/arm64/kernel/traps.c, arch/arm64/kvm/handle_exit.c, mm/kasan/report.c,
# mm/kfence/report.c, lib/ubsan.c).  They are never evidence for a hypothesis.
PRINTING_PATH = frozenset({
    "dump_backtrace", "show_stack", "dump_stack", "dump_stack_lvl", "__dump_stack", "show_regs",
    "panic", "nmi_panic", "vpanic", "__warn", "warn_slowpath_fmt", "report_bug", "die", "__die",
    "arm64_serror_panic", "nvhe_hyp_panic_handler", "hyp_panic", "__hyp_call_panic",
    "print_report", "kasan_report", "__kasan_report", "kasan_report_invalid_free", "kfence_report_error",
    "ubsan_epilogue", "print_address_description",
})
_SUFFIX = re.compile(r"\.(?:part|constprop|isra|cold|cfi_jt|llvm)(?:\.\d+)*$")


def printing_path(function: str | None) -> bool:
    """A frame of the reporting machinery (compiler suffixes such as .part.0 ignored)."""
    if not function:
        return False
    base = function
    while (stripped := _SUFFIX.sub("", base)) != base:
        base = stripped
    return base in PRINTING_PATH
_TIMESTAMP = re.compile(r"^\s*(?:<\d>)?\[\s*\d+\.\d+\]\s?(?:\[\s*[CT]\d+\]\s?)?")


class KeptLines(dict[int, str]):
    """Input line number -> raw text, inserted in line order (report spans, context lines).

    Shared by every report of a log.  The first kept line matching a regex does not
    depend on the report, so it is looked up once per log: a log with thousands of
    reports must not rescan every kept line for each of them.
    """

    def __init__(self) -> None:
        super().__init__()
        self._first: dict[tuple[str, int], int | None] = {}

    def first_match(self, regex: re.Pattern[str]) -> int | None:
        key = (regex.pattern, regex.flags)
        if key not in self._first:
            self._first[key] = next((no for no, text in self.items() if regex.search(text)), None)
        return self._first[key]


def first_match_line(lines: Mapping[int, str], regex: re.Pattern[str]) -> int | None:
    if isinstance(lines, KeptLines):
        return lines.first_match(regex)
    return next((no for no in sorted(lines) if regex.search(lines[no])), None)


@dataclass(frozen=True)
class Sources:
    """Everything a producer may quote for one report."""

    report: Report
    facts: Facts
    lines: Mapping[int, str]  # input line number -> raw text (report spans and kvm lines)
    registers: tuple[FieldTree, ...]
    frames: tuple[FrameResult, ...]
    disassembly: tuple[Instruction, ...]
    findings: tuple[Finding, ...]
    pc_symbol: Symbolized | None
    bug_site: tuple[str, int] | None
    pc_first: bool = False  # frames[0] is the faulting PC (quoted by the "pc" producer)
    from_code_line: bool = False  # the disassembly is the log's Code: line (addresses relative)

    def find_line(self, regex: re.Pattern[str], *, anywhere: bool = False) -> tuple[int | None, str] | None:
        """First input line matching ``regex`` inside the report (or anywhere we kept)."""
        lo, hi = self.report.span
        if anywhere:
            no = first_match_line(self.lines, regex)
            if no is not None:
                return no, _TIMESTAMP.sub("", self.lines[no]).strip()
        else:
            for no in range(lo, hi + 1):
                text = self.lines.get(no)
                if text is not None and regex.search(text):  # quoted as the report kept it
                    return no, (self.report.line(no) or _TIMESTAMP.sub("", text)).strip()
        for text in self.report.lines:
            if regex.search(text):
                return None, text.strip()
        return None


def _loc(sym: Symbolized | None) -> str:
    if sym is None or not sym.locations:
        return ""
    parts = [f"{loc.function} at {loc.file}:{loc.line}" if loc.function else f"{loc.file}:{loc.line}"
             for loc in sym.locations if loc.file]
    return " (" + ", inlined into ".join(parts) + ")" if parts else ""


def _sym_text(sym: Symbolized | None) -> str:
    if sym is None or not sym.function:
        return ""
    text = sym.function
    if sym.offset is not None:
        text += f"+{sym.offset:#x}"
    if sym.size:
        text += f"/{sym.size:#x}"
    if sym.module:
        text += f" [{sym.module}]"
    if sym.section:
        text += f" in {sym.section}"
    return text + _loc(sym)


def _log(name: str) -> Callable[[Sources], list[Evidence]]:
    pattern = PATTERNS[name]

    def produce(s: Sources) -> list[Evidence]:
        hit = s.find_line(pattern.regex, anywhere=name == "hyp-va-range")
        return [Evidence("log", hit[1], hit[0])] if hit else []

    return produce


def _message(s: Sources) -> list[Evidence]:
    msg = s.report.message
    if not msg:
        return []
    hit = s.find_line(re.compile(re.escape(msg[:60])))
    return [Evidence("log", msg, hit[0] if hit else None)]


def _register(s: Sources, prefix: str) -> FieldTree | None:
    return next((t for t in s.registers if t.register.startswith(prefix)), None)


def _esr(s: Sources) -> list[Evidence]:
    f = s.facts.esr
    if f is None:
        return []
    tree = _register(s, "ESR")
    name = tree.register if tree else "ESR"
    text = f"{name} = {f.esr:#010x}: EC {f.ec:#04x} {f.kernel_class}"
    if f.fsc_name:
        text += f", {f.fsc_name} (FSC {f.fsc:#04x})"
    if f.wnr is not None:
        text += ", WnR=1 (write)" if f.wnr else ", WnR=0 (read)"
    if f.brk_meaning:
        text += f", BRK #{f.brk_imm:#x}: {f.brk_meaning}"
    if tree is not None and f.is_serror:
        # The RAS syndrome: IDS, AET, EA and DFSC of the SError ISS (Arm ARM D24.2.41, EC 0x2F).
        parts = [f"{fld.name}={fld.value:#x} ({fld.meaning.split(': ', 1)[-1]})"
                 for name in _SERROR_FIELDS if (fld := tree.find(name)) is not None]
        if parts:
            text += "; RAS syndrome: " + ", ".join(parts)
    hit = s.find_line(re.compile(rf"(?:ESR[:= ]+|code |Oops[^:]*: )(?:0x)?0*{f.esr:x}\b", re.IGNORECASE))
    out = [Evidence("register", text, hit[0] if hit else None)]
    if tree is not None:
        out.extend(Evidence("register", note) for note in tree.notes if note.startswith(("level 0", "FnV")))
    return out


def _far(s: Sources) -> list[Evidence]:
    far = s.facts.far
    if far is None:
        return []
    hit = s.find_line(re.compile(rf"(?:FAR[:= ]+|address )(?:0x)?0*{far.value:x}\b", re.IGNORECASE))
    tree = _register(s, "FAR")
    # Named like ESR/SPSR, for the level that took the exception (an instruction abort's FAR is the PC).
    name = tree.register if tree else f"FAR_EL{s.facts.view.register_el(s.facts.el)}" if s.facts.el else "FAR"
    return [Evidence("register", f"{name} = {far.value:#018x}: {far.summary}", hit[0] if hit else None)]


def _far_is_pc(s: Sources) -> list[Evidence]:
    f = s.facts
    if not f.far_is_pc or f.pc is None:
        return []
    return [Evidence("register", f"PC == FAR == {f.pc.value:#018x}: the fault is the instruction fetch at the "
                                 "branch target itself, not a data access")]


def _el(s: Sources) -> list[Evidence]:
    """The exception level, and at EL2 which EL2 it is (VHE host, nVHE, pKVM) and why."""
    f = s.facts
    if f.el != 2:
        return []  # EL1/EL0 is the ordinary case: the register dump says it, the evidence need not
    tree = _register(s, "SPSR") or _register(s, "PSTATE")
    value = f" = {tree.value:#x}" if tree else ""
    name = tree.register if tree else "PSTATE"
    hit = s.find_line(re.compile(r"\bPS:[0-9a-f]+|pstate:", re.IGNORECASE))
    out = [Evidence("register", f"{name}{value}: exception taken from EL{f.el}: {f.view.describe(f.el)}",
                    hit[0] if hit else None)]
    out.extend(Evidence("note", f"EL2 is {f.view.short}: {why}") for why in f.view.reasons)
    return out


def _hyp_range(s: Sources) -> list[Evidence]:
    f = s.facts
    if f.hyp_range is None:
        return []
    hit = s.find_line(PATTERNS["hyp-va-range"].regex, anywhere=True)
    lo, hi = f.hyp_range
    out = [Evidence("log", hit[1] if hit else f"HYP VA range: {lo:x}:{hi:x}", hit[0] if hit else None)]
    addr = f.far or f.pc
    if addr is not None and (f.far_outside_hyp or f.pc_outside_hyp):
        out.append(Evidence("note", f"{addr.value:#018x} is outside the HYP VA range {lo:x}:{hi:x}: "
                                    f"{addr.summary}; EL2 does not map it"))
    return out


def _pc(s: Sources) -> list[Evidence]:
    sym = s.pc_symbol
    if sym is not None and sym.function:
        where = f"PC {sym.address:#018x}" if sym.address and sym.module is None else "PC"
        return [Evidence("symbol", f"{where} = {_sym_text(sym)}")]
    pc = s.report.pc
    if pc is not None and pc.function:
        off = f"+{pc.offset:#x}" if pc.offset is not None else ""
        return [_quote(s, pc.line_no, f"pc : {pc.function}{off}")]
    return []


def _lr(s: Sources) -> list[Evidence]:
    lr = s.report.lr
    if lr is None or not lr.function:
        return []
    off = f"+{lr.offset:#x}" if lr.offset is not None else ""
    return [_quote(s, lr.line_no, f"lr : {lr.function}{off}")]


def _quote(s: Sources, line_no: int | None, parsed: str) -> Evidence:
    """A log line as evidence: the line itself, as the report kept it (cleaned of timestamps and
    mail quoting).  A paraphrase of it beside the quote showed the same fact twice; the parsed
    form is the text only when the report did not keep the line."""
    text = s.report.line(line_no or None)
    return Evidence("log", parsed if text is None else text.strip(), line_no or None)


def _sym_notes(s: Sources) -> list[Evidence]:
    return [Evidence("symbol", n) for n in (s.pc_symbol.notes if s.pc_symbol else ())]


def _trace_top(s: Sources) -> list[Evidence]:
    """The first four frames that did the work: the printing path is skipped, not cited."""
    out: list[Evidence] = []
    frames = s.frames[1:] if s.pc_first else s.frames
    for fr in frames:
        if len(out) == 4:
            break
        frame = fr.frame
        name = fr.symbolized.function if fr.symbolized and fr.symbolized.function else frame.function
        if printing_path(name):
            continue
        if fr.symbolized and fr.symbolized.function:
            out.append(Evidence("symbol", f"frame: {_sym_text(fr.symbolized)}", frame.line_no or None))
            continue
        label = (f"{frame.function}+{frame.offset:#x}" if frame.function and frame.offset is not None
                 else frame.function or (f"{frame.address:#x}" if frame.address is not None
                                         else "a frame with no symbol and no address"))
        out.append(_quote(s, frame.line_no, f"frame: {label}"))
    return out


def _insn_text(i: Instruction) -> str:
    text = f"{i.address:#x}: {i.word:08x}  {i.mnemonic} {i.op_str}".rstrip()
    if i.target:
        text += f"  <{i.target}>"
    if i.relocation:
        text += f"  [{i.relocation}]"
    if i.source and i.source.file:
        text += f"  ({i.source.file}:{i.source.line})"
    if i.note:
        text += f"  ; {i.note}"
    return text


def _disasm_fault(s: Sources) -> list[Evidence]:
    i = s.facts.fault_insn
    if i is None:
        return []
    if s.from_code_line:
        hit = s.find_line(re.compile(r"Code: "))
        return [Evidence("disasm", f"faulting word of the Code: line {i.word:08x}: {i.mnemonic} {i.op_str}".rstrip(),
                         hit[0] if hit else None)]
    return [Evidence("disasm", "faulting instruction " + _insn_text(i))]


def _indirect(s: Sources) -> list[Evidence]:
    return [Evidence("disasm", "indirect branch before the PC " + _insn_text(i))
            for i in s.facts.indirect_branches]


def _code(s: Sources) -> list[Evidence]:
    if s.facts.fault_insn is not None or s.report.faulting_code is None or not s.report.code:
        return []
    word = s.report.code[s.report.faulting_code]
    hit = s.find_line(re.compile(r"^Code: "))
    return [Evidence("log", f"faulting word in the Code: line: {word}", hit[0] if hit else None)]


def _slot(f: Finding) -> str:
    slot = getattr(f, "slot", None) or (f"{f.address:#x}" if f.address is not None else f.section or "a slot at an "
                                        "address the audit does not give")
    return f"{slot} -> {f.target or 'a target the audit could not name'}"


def _audit(s: Sources) -> list[Evidence]:
    """Audit findings, one line per hazard site (its slots listed), plus why it is a hazard."""
    groups: dict[tuple[str, str | None, int | None, str | None], list[Finding]] = {}
    for f in s.facts.findings:
        groups.setdefault((f.cls.value, f.function, f.offset, f.instruction), []).append(f)
    out: list[Evidence] = []
    pc_label = s.facts.pc_label
    for (cls, function, offset, insn), found in groups.items():
        first = found[0]
        where = f"{function}+{offset:#x}" if function and offset is not None else function or "code outside any symbol"
        text = f"{cls} ({first.severity.value}) in {where}"
        if insn:
            text += f": {insn}"
        slots = [_slot(f) for f in found if f.target or f.address is not None]
        if slots:
            sections = sorted({f.section for f in found if f.section})
            text += f"; {len(slots)} slot(s)" + (f" in {', '.join(sections)}" if sections else "") + ": "
            text += ", ".join(slots)
        out.append(Evidence("audit", text))
        hit = next((f for f in found if pc_label and f.target == pc_label), None)
        if hit is not None:
            out.append(Evidence("audit", f"slot {_slot(hit)} holds exactly the faulting PC: the indirect "
                                         "branch took its target from this table"))
        if first.why:
            out.append(Evidence("audit", f"why: {first.why}"))
    return out


def _poison(s: Sources) -> list[Evidence]:
    far, p = s.facts.far, s.facts.poison
    return [Evidence("note", f"{far.value:#018x}: {p.meaning}")] if far is not None and p is not None else []


def _register_poison(s: Sources) -> list[Evidence]:
    return [Evidence("register", f"{name} = {value:#018x}: {p.meaning}")
            for name, value, p in s.facts.register_poisons]


def _brk(s: Sources) -> list[Evidence]:
    f = s.facts.esr
    if f is None or f.brk_imm is None:
        return []
    return [Evidence("register", f"BRK #{f.brk_imm:#x}: {f.brk_meaning or 'unknown immediate'}")]


def _bug_site(s: Sources) -> list[Evidence]:
    if s.bug_site is None:
        return []
    where = "from __bug_table" if s.facts.has_vmlinux else "as the log prints it"
    return [Evidence("symbol", f"BUG/WARN site {where}: {s.bug_site[0]}:{s.bug_site[1]}")]


def _memory(s: Sources) -> list[Evidence]:
    return [Evidence("memory", m.describe()) for m in s.facts.memory]


def _extra(s: Sources) -> list[Evidence]:
    return [Evidence("log", f"{k}: {v}") for k, v in s.report.extra]


PRODUCERS: dict[str, Callable[[Sources], list[Evidence]]] = {
    "message": _message,
    "esr": _esr,
    "far": _far,
    "far-is-pc": _far_is_pc,
    "el": _el,
    "hyp-range": _hyp_range,
    "pc": _pc,
    "lr": _lr,
    "sym-notes": _sym_notes,
    "trace-top": _trace_top,
    "disasm-fault": _disasm_fault,
    "indirect-branch": _indirect,
    "code": _code,
    "audit": _audit,
    "poison": _poison,
    "register-poison": _register_poison,
    "brk": _brk,
    "bug-site": _bug_site,
    "extra": _extra,
    "memory": _memory,
    **{f"log:{name}": _log(name) for name in PATTERNS},
}


def collect(keys: tuple[str, ...], sources: Sources) -> tuple[Evidence, ...]:
    """Evidence for ``keys``, each item once, in the order the rule lists them."""
    out: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for key in keys:
        for ev in PRODUCERS[key](sources):
            if (ev.kind, ev.text) not in seen:
                seen.add((ev.kind, ev.text))
                out.append(ev)
    return tuple(out)
