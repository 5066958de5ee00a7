"""explain: run every stage on each report of a log and rank the hypotheses.

``explain_log`` reads the log (a path, ``-`` or the text itself), finds the
reports (console), and for each one decodes the registers (arm64), symbolizes
the PC and the call trace (symbols), disassembles the faulting function
(disasm), audits it when it runs at EL2 (relocs), gathers the facts and
evaluates the rule table.  Without a vmlinux it does what the log allows and
says what a vmlinux would add; with a vmlinux that does not match the log it
warns and falls back to the log alone.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from a64triage.arm64.fields import FieldTree
from a64triage.arm64.registry import decode
from a64triage.console import parse_file, parse_lines
from a64triage.console.parser import MAX_FRAMES, MAX_REPORT_LINES
from a64triage.console.records import Frame, Report
from a64triage.diagnose.el2 import El2View, KernelAtEl1
from a64triage.diagnose.engine import evaluate
from a64triage.diagnose.evidence import KeptLines, Sources, first_match_line
from a64triage.diagnose.facts import Facts, exception_view, gather
from a64triage.diagnose.types import Explanation, FrameResult, ReportExplanation
from a64triage.disasm.types import Instruction
from a64triage.errors import InputError
from a64triage.relocs.findings import Finding
from a64triage.symbols import Symbolizer, is_return_frame, open_symbolizer
from a64triage.symbols.symbolizer import LogSymbols
from a64triage.symbols.types import Symbolized
from a64triage.symbols.vmcore import Vmcore

MAX_STDIN_BYTES = 256 << 20  # stdin is held in memory; files are streamed
MAX_KEPT_CONTEXT = 2000  # lines kept outside report spans (kvm boot lines ...)
MAX_DISASM = 96  # instructions of the faulting function shown (a window around the PC)
# Lines outside a report's span that evidence may quote (kvm boot lines).
_CONTEXT = re.compile(r"kvm \[\d+\]: |Kernel Offset:|CPU features:|Linux version ")
_BUG_AT = re.compile(r"kernel BUG at (\S+?):(\d+)!|WARNING: .* at (\S+?):(\d+) ")
_HYP_PREFIX = "__kvm_nvhe_"


@dataclass(frozen=True)
class ExplainContext:
    """What explain_report may use besides the report: the symbolizer and the log's lines."""

    symbolizer: Symbolizer | None = None
    vmlinux: str | None = None
    lines: Mapping[int, str] = field(default_factory=dict)
    log: LogSymbols | None = None  # the log's own state over the symbolizer (KASLR offset, warnings)
    core: Vmcore | None = None  # the crash's core dump (explain --vmcore): memory evidence


# --- reading the log ----------------------------------------------------------------


def _looks_like_text(arg: str) -> bool:
    return "\n" in arg or (arg != "-" and not os.path.exists(arg) and len(arg) > 255)


def _read_stdin() -> str:
    """stdin held in memory (it cannot be read twice), bounded by MAX_STDIN_BYTES."""
    data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
    if len(data) > MAX_STDIN_BYTES:
        raise InputError("-", f"more than {MAX_STDIN_BYTES >> 20} MiB on stdin: give the log as a file")
    return data.decode("utf-8", "replace")


def file_lines(path: str) -> Iterator[str]:
    """A file's lines, decoded leniently; each cut at 64 KiB (the console stage's limit)."""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.readline(65536):
                yield chunk.decode("utf-8", "replace").rstrip("\r\n")
                if len(chunk) == 65536 and not chunk.endswith(b"\n"):
                    while (rest := fh.readline(65536)) and not rest.endswith(b"\n"):
                        pass
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot read") from None


def _kept_lines(lines: Iterable[str], spans: Iterable[tuple[int, int] | Report]) -> KeptLines:
    """Input lines evidence may quote: each report's span (its first MAX_REPORT_LINES
    lines, the part the console stage keeps), plus the kvm/kernel context lines.

    One pass over the lines and the merged spans, so a log with thousands of
    reports costs lines + reports, not their product; a report of 400,000 lines
    keeps what the parser keeps, not every line."""
    merged: list[list[int]] = []
    pairs = (x.span if isinstance(x, Report) else x for x in spans)  # spans, or the reports themselves
    for lo, hi in sorted((lo, min(hi, lo + MAX_REPORT_LINES - 1)) for lo, hi in pairs):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    kept = KeptLines()
    context = 0
    i = 0
    for no, line in enumerate(lines, start=1):
        while i < len(merged) and merged[i][1] < no:
            i += 1
        if i < len(merged) and merged[i][0] <= no:
            kept[no] = line
        elif context < MAX_KEPT_CONTEXT and _CONTEXT.search(line):
            kept[no] = line
            context += 1
    return kept


class _Source:
    """A log read twice, report by report: a path (streamed from disk each time) or text
    held once (stdin, a string).  Never the whole list of reports."""

    def __init__(self, path_or_text: str) -> None:
        self.text: str | None = None
        if _looks_like_text(path_or_text) or path_or_text == "-":
            self.name = "<text>" if path_or_text != "-" else "-"
            self.text = path_or_text if path_or_text != "-" else _read_stdin()
        else:
            self.name = path_or_text
            try:  # an unreadable file fails here, before any output
                open(path_or_text, "rb").close()
            except OSError as exc:
                raise InputError(path_or_text, exc.strerror or "cannot open") from None

    def reports(self) -> Iterator[Report]:
        if self.text is not None:
            return parse_lines(self.text.splitlines())
        return parse_file(self.name)

    def lines(self) -> Iterable[str]:
        return self.text.splitlines() if self.text is not None else file_lines(self.name)


class _HeldSource(_Source):
    """Parsed once, its reports kept: for a caller that holds every explanation anyway
    (``explain_log``), the second parse would cost without saving memory."""

    def __init__(self, path_or_text: str) -> None:
        super().__init__(path_or_text)
        self._held: list[Report] | None = None

    def reports(self) -> Iterator[Report]:
        if self._held is None:
            self._held = list(super().reports())
        return iter(self._held)


# --- per report ---------------------------------------------------------------------


def _panic(report: Report, key: str) -> int | None:
    if report.kvm is None:
        return None
    return next((v for k, v in report.kvm.panic if k == key), None)


def decode_registers(report: Report, el: int | None, view: El2View | None = None) -> tuple[FieldTree, ...]:
    """ESR, FAR, SPSR/PSTATE, HPFAR and PAR of the report, decoded by the arm64 stage.

    ESR, FAR and SPSR are named for the one exception level that took the
    exception (ESR_EL2/FAR_EL2/SPSR_EL2 for a VHE host or hyp code, _EL1 for a
    kernel at EL1): the printed pstate is the SPSR of that level.
    """
    hyp = report.kvm is not None and bool(report.kvm.panic)
    level = 2 if hyp else (view or KernelAtEl1()).register_el(el)
    wanted: list[tuple[str, int | None]] = []
    esr = report.esr if report.esr is not None else _panic(report, "ESR")
    far = report.far if report.far is not None else _panic(report, "FAR")
    wanted.append((f"ESR_EL{level}", esr))
    wanted.append((f"FAR_EL{level}", far))
    if hyp:
        wanted += [("SPSR_EL2", _panic(report, "PS")), ("HPFAR_EL2", _panic(report, "HPFAR")),
                   ("PAR_EL1", _panic(report, "PAR"))]
    else:
        wanted.append((f"SPSR_EL{level}", report.pstate))
    out: list[FieldTree] = []
    for name, value in wanted:
        if value is None:
            continue
        try:
            out.append(decode(name, value, el=level))
        except InputError:
            continue  # a register this build of the decoder does not know: keep the others
    return tuple(out)


def _pc_frame(report: Report) -> Frame | None:
    """The faulting PC as a frame: the register dump's pc, else the hyp panic's PC/panic_at."""
    if report.kvm is not None and report.kvm.panic_at is not None:
        return report.kvm.panic_at
    if report.pc is not None:
        return report.pc
    pc = _panic(report, "PC")
    return Frame(address=pc, stack="hyp") if pc is not None else None


def _code_only(sym: Symbolized | None) -> Symbolized | None:
    """Drop a symbol that does not cover the address (an absolute symbol, no section, no size).

    A PC in heap, stack or data resolves to "the nearest symbol below", often an
    absolute linker symbol hundreds of terabytes away; naming it would mislead.
    """
    if sym is None or not sym.function or sym.module is not None or sym.section or sym.size:
        return sym
    return replace(sym, function=None, offset=None, size=None, locations=(),
                   notes=(*sym.notes, f"{sym.address:#x} is inside no function of the vmlinux "
                          "(data, heap or stack, or a wrong address)"))


def _symbolize_frames(report: Report, sym: LogSymbols | None) -> tuple[tuple[FrameResult, ...], Symbolized | None]:
    pc_frame = _pc_frame(report)
    frames: list[FrameResult] = []
    pc_sym: Symbolized | None = None
    if pc_frame is not None:
        if sym is not None:
            pc_sym = _code_only(sym.symbolize_frame(pc_frame, is_return=False))
        frames.append(FrameResult(pc_frame, pc_sym))
    for i, fr in enumerate(report.call_trace):
        # "panic+0x0" right after "panic+0x138" (4.x hyp panic: EL2 erets to panic()'s entry) is an
        # entry address, not a return address past the end of the symbol before panic().
        prev = report.call_trace[i - 1].function if i else None
        entry = bool(fr.function) and fr.offset == 0 and prev == fr.function
        ret = is_return_frame(report.call_trace, i) and not entry
        res = _code_only(sym.symbolize_frame(fr, is_return=ret)) if sym is not None and not fr.inline else None
        frames.append(FrameResult(fr, res))
    return tuple(frames), pc_sym


def _window(insns: list[Instruction], pc: int | None) -> tuple[Instruction, ...]:
    if len(insns) <= MAX_DISASM or pc is None:
        return tuple(insns[:MAX_DISASM])
    at = next((i for i, ins in enumerate(insns) if ins.address >= pc), len(insns) // 2)
    lo = max(0, at - MAX_DISASM * 2 // 3)
    return tuple(insns[lo:lo + MAX_DISASM])


def _disassemble(report: Report, sym: Symbolizer | None, pc_sym: Symbolized | None) -> tuple[Instruction, ...]:
    from a64triage import disasm  # capstone loads only when something is disassembled

    if sym is not None and pc_sym is not None and pc_sym.function and pc_sym.module is None \
            and pc_sym.offset is not None and pc_sym.size and pc_sym.offset < pc_sym.size:
        try:
            insns = disasm.disassemble_function(sym, pc_sym.function, fault_pc=pc_sym.address)
        except InputError:
            insns = []
        if insns:
            return _window(list(insns), pc_sym.address)
    if report.code:
        pc = report.pc.address if report.pc is not None else None
        words = list(report.code)
        if report.faulting_code is not None and 0 <= report.faulting_code < len(words):
            words[report.faulting_code] = f"({words[report.faulting_code].strip('()')})"
        try:
            return tuple(disasm.decode_code_line("Code: " + " ".join(words), pc))
        except InputError:
            return ()
    return ()


def _in_hyp(pc_sym: Symbolized | None, el: int | None, view: El2View) -> bool:
    if view.hyp_rules_apply(el):
        return True
    if pc_sym is None or not pc_sym.function:
        return False
    return (pc_sym.section or "").startswith(".hyp") or pc_sym.function.startswith(_HYP_PREFIX)


def _audit(ctx: ExplainContext, pc_sym: Symbolized | None, el: int | None, view: El2View) -> tuple[Finding, ...]:
    """Audit findings in the faulting function when it is hyp code (nVHE/pKVM EL2 code)."""
    if ctx.vmlinux is None or pc_sym is None or not pc_sym.function or pc_sym.module is not None:
        return ()
    if not _in_hyp(pc_sym, el, view):
        return ()
    from a64triage import relocs

    return tuple(relocs.audit_function(ctx.vmlinux, pc_sym.function))


def _bug_site(report: Report, sym: LogSymbols | None, pc_sym: Symbolized | None) -> tuple[str, int] | None:
    if sym is not None and pc_sym is not None:
        site = sym.bug_site(pc_sym.address)
        if site is not None:
            return site
    if report.kvm is not None and report.kvm.bug_file and report.kvm.bug_line:
        return report.kvm.bug_file, report.kvm.bug_line
    for line in report.lines:
        m = _BUG_AT.search(line)
        if m:
            file, no = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            return file, int(no)
    return None


def _notes(report: Report, facts: Facts, ctx: ExplainContext, frames: tuple[FrameResult, ...]) -> tuple[str, ...]:
    notes: list[str] = []
    if report.arch != "arm64":
        what = "a 32-bit ARM" if report.arch == "arm" else f"an {report.arch}" if report.arch[:1] in "aeiox" \
            else f"a {report.arch}"
        notes.append(f"{what} report, not arm64: arm64 register decoding does not apply; "
                     "explained from its messages only")
    elif dict(report.extra).get("arch_from") == "default":
        # console/arches.py found no line only one architecture prints, in the report or the log
        notes.append("the report names no architecture (no register dump, entry frame or unwinder line "
                     "only one architecture prints): read as arm64")
    if report.corrupted:
        notes.append(f"the report is damaged ({report.corrupted}): some facts may be missing")
    if ctx.symbolizer is None:
        named = sum(1 for f in frames if f.frame.function or f.frame.address is not None)
        notes.append(f"with --vmlinux: file:line and inline chains for {named} frame(s), the disassembly of "
                     "the faulting function, the BUG/WARN site from __bug_table"
                     + (", and an audit of the hyp function for absolute addresses" if facts.at_hyp else ""))
    else:
        unresolved = sum(1 for f in frames if f.symbolized is not None
                         and not any(loc.file for loc in f.symbolized.locations))
        if unresolved:
            notes.append(f"{unresolved} frame(s) have no file:line in this vmlinux (no DWARF for them)")
    if facts.at_hyp and facts.hyp_range is None:
        notes.append("the log has no 'HYP VA range' line: cannot check the address against the EL2 mapping")
    return tuple(notes)


@dataclass(frozen=True)
class Analysis:
    """The intermediate results of one report (tests and tools inspect the facts)."""

    facts: Facts
    sources: Sources
    core_registers: str | None = None  # the core's crash-time registers against the oops text


def analyse(report: Report, ctx: ExplainContext | None = None) -> Analysis:
    """Run the stages on one report and gather the facts the rules test."""
    ctx = ctx or ExplainContext()
    sym = ctx.symbolizer

    def context_line(regex: re.Pattern[str]) -> str | None:
        no = first_match_line(ctx.lines, regex)
        return ctx.lines[no] if no is not None else None

    arm64 = report.arch == "arm64"
    el, view = exception_view(report, context_line)
    registers = decode_registers(report, el, view) if arm64 else ()
    log = ctx.log or (sym.open_log() if sym is not None else None)
    if log is not None:
        log.use_report(report)
    frames, pc_sym = _symbolize_frames(report, log)
    disassembly = _disassemble(report, sym, pc_sym)
    findings = _audit(ctx, pc_sym, el, view)
    facts = gather(report, symbolized_pc=pc_sym, findings=findings, disassembly=disassembly,
                   has_vmlinux=sym is not None, context_line=context_line)
    core_check = None
    if ctx.core is not None and arm64:
        from a64triage.diagnose.memory import memory_facts

        memory, core_check = memory_facts(report, ctx.core)
        facts = replace(facts, memory=memory)
    sources = Sources(report, facts, ctx.lines, registers, frames, disassembly, findings, pc_sym,
                      _bug_site(report, log, pc_sym), pc_first=_pc_frame(report) is not None,
                      from_code_line=bool(disassembly) and not any(i.source for i in disassembly)
                      and bool(report.code) and len(disassembly) == len(report.code))
    return Analysis(facts, sources, core_check.describe() if core_check is not None else None)


def explain_report(report: Report, ctx: ExplainContext | None = None) -> ReportExplanation:
    """Hypotheses and the evidence behind them for one report."""
    ctx = ctx or ExplainContext()
    a = analyse(report, ctx)
    s = a.sources
    return ReportExplanation(
        report=report,
        hypotheses=evaluate(a.facts, s),
        registers=s.registers,
        frames=s.frames,
        disassembly=s.disassembly,
        findings=s.findings,
        notes=_notes(report, a.facts, ctx, s.frames),
        memory=a.facts.memory,
        core_registers=a.core_registers,
    )


def _cut_notes(report: Report) -> tuple[str, ...]:
    """What the console stage's caps left out of a huge report (said, never silent)."""
    notes: list[str] = []
    lo, hi = report.span
    if hi - lo + 1 > MAX_REPORT_LINES and len(report.lines) >= MAX_REPORT_LINES:
        notes.append(f"the report spans {hi - lo + 1} lines: only its first {MAX_REPORT_LINES} were kept")
    if len(report.call_trace) >= MAX_FRAMES:
        notes.append(f"the call trace was cut at {MAX_FRAMES} frames")
    return tuple(notes)


@dataclass
class LogStream:
    """One log's explanation, report by report: what is known before the first report
    (name, count, warnings) and an iterator that explains each report when asked, so
    nothing holds more than one report's explanation.  ``late_warnings`` collects the
    warnings first seen while explaining (the up-front pass predicts nearly all)."""

    source: str
    vmlinux: str | None
    total: int
    warnings: list[str]
    reports: Iterator[ReportExplanation]
    late_warnings: list[str] = field(default_factory=list)


def _mismatch(sym: Symbolizer | None, report: Report) -> list[str]:
    if sym is None:
        return []
    return [f"{report.title}: {w}; using the log alone" for w in sym.check_match(report)]


def _survey(src: _Source, sym: Symbolizer | None, log: LogSymbols | None,
            warnings: list[str]) -> tuple[int, list[tuple[int, int]]]:
    """First pass: count the reports, keep their spans, and raise every warning the
    explanation would (vmlinux mismatch, the modules and __bug_table a report needs)."""
    total = 0
    spans: list[tuple[int, int]] = []
    for report in src.reports():
        total += 1
        spans.append(report.span)
        mismatch = _mismatch(sym, report)
        warnings += [w for w in mismatch if w not in warnings]
        if log is None or mismatch:
            continue
        pc = _pc_frame(report)
        for fr in (pc, *report.call_trace):
            if fr is not None and fr.module and not fr.inline:
                log.touch_module(fr.module)
        if pc is not None:
            log.bug_site(0)  # reads __bug_table once: its problems are every report's
    if log is not None:
        warnings += [p for p in log.warnings if p not in warnings]
    return total, spans


def stream_log(path_or_text: str, *, vmlinux: str | None = None, modules_dir: str | None = None,
               source_dir: str | None = None, symbolizer: Symbolizer | None = None,
               core: Vmcore | None = None, held: bool = False) -> LogStream:
    """Explain a log (a path, ``-`` for stdin, or the log text itself) report by report.

    The log is parsed twice — a survey (count, spans, warnings), then each report
    is explained when the iterator reaches it — so memory holds the kept lines and
    one report, whatever the number of reports.  ``symbolizer``: one already open
    for ``vmlinux`` (many logs, one vmlinux loaded once); the log's own state
    (KASLR offset, the warnings of the modules it names) is a ``LogSymbols`` of its own.
    ``core``: the core dump the log was read from (explain --vmcore): its KASLR offset
    is the log's, and each report gains the memory facts read from the core and the
    check of its crash-time registers.  ``held``: parse once and keep the reports
    (for a caller that keeps every explanation anyway).
    """
    src = _HeldSource(path_or_text) if held else _Source(path_or_text)
    sym = symbolizer
    warnings: list[str] = []
    if sym is None and vmlinux is not None:
        if not os.path.isfile(vmlinux):
            raise InputError(vmlinux, "no such file")
        sym = open_symbolizer(vmlinux, modules_dir=modules_dir, source_dir=source_dir)
    elif sym is None and modules_dir is not None:
        warnings.append("--modules is used only together with --vmlinux")
    kaslr = core.header.kaslr_offset if core is not None else None
    log = sym.open_log(kaslr) if sym is not None else None
    if log is not None:
        warnings += log.warnings
    total, spans = _survey(src, sym, log, warnings)
    lines = _kept_lines(src.lines(), spans)
    del spans
    stream = LogStream(src.name, vmlinux, total, warnings, iter(()))
    seen = set(warnings)
    checked = len(log.warnings) if log is not None else 0

    def explain_each() -> Iterator[ReportExplanation]:
        nonlocal checked
        for report in src.reports():
            use = sym if not _mismatch(sym, report) else None
            ctx = ExplainContext(use, vmlinux if use is not None else None, lines, log if use is not None else None,
                                 core)
            rx = explain_report(report, ctx)
            cut = _cut_notes(report)
            yield replace(rx, notes=(*rx.notes, *cut)) if cut else rx
            if log is not None and len(log.warnings) > checked:
                late = [w for w in log.warnings[checked:] if w not in seen]
                stream.late_warnings += late
                seen.update(late)
                checked = len(log.warnings)

    stream.reports = explain_each()
    return stream


def explain_log(path_or_text: str, *, vmlinux: str | None = None, modules_dir: str | None = None,
                source_dir: str | None = None, symbolizer: Symbolizer | None = None,
                core: Vmcore | None = None) -> Explanation:
    """Every report of a log explained and held (a library call on one log, a core's
    log; the ``explain`` command streams ``stream_log`` instead)."""
    stream = stream_log(path_or_text, vmlinux=vmlinux, modules_dir=modules_dir, source_dir=source_dir,
                        symbolizer=symbolizer, core=core, held=True)
    results = tuple(stream.reports)
    warnings = [*stream.warnings, *stream.late_warnings]
    return Explanation(stream.source, results, vmlinux, tuple(dict.fromkeys(warnings)))
