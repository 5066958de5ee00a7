"""Terminal rendering: a headline per report, then the evidence a developer checks first.

Colour is opt-in (the command turns it on for a TTY); without it the output is
plain text that diffs and greps well.  Input text is passed through
:func:`common.clean` so a log line cannot smuggle escape sequences to the terminal.
"""

from __future__ import annotations

import textwrap
from enum import StrEnum

from a64triage.diagnose.types import Evidence, Explanation, ReportExplanation
from a64triage.render import common as c


class Role(StrEnum):
    TITLE = "title"
    SECTION = "section"
    CLASS = "class"
    CONFIDENCE = "confidence"
    FAULTING = "faulting"
    HAZARD = "hazard"
    FATAL = "fatal"
    WARNING = "warning"
    INFO = "info"
    DIM = "dim"
    SOURCE = "source"
    QUOTE = "quote"


# SGR parameters per role (ECMA-48); one table, so a theme change is one edit.
SGR: dict[Role, str] = {
    Role.TITLE: "1",
    Role.SECTION: "1;34",
    Role.CLASS: "1;36",
    Role.CONFIDENCE: "1;33",
    Role.FAULTING: "1;31",
    Role.HAZARD: "33",
    Role.FATAL: "1;31",
    Role.WARNING: "33",
    Role.INFO: "36",
    Role.DIM: "2",
    Role.SOURCE: "32",
    Role.QUOTE: "2",
}

SEVERITY_ROLE: dict[str, Role] = {"fatal": Role.FATAL, "warning": Role.WARNING, "info": Role.INFO}

DEFAULT_WIDTH = 100
MIN_WIDTH = 40


class _Out:
    """Line collector that knows the width and whether to colour."""

    def __init__(self, color: bool, width: int) -> None:
        self.color = color
        self.width = width
        self.lines: list[str] = []

    def paint(self, role: Role, text: str) -> str:
        text = c.clean(text)
        if not self.color or not text:
            return text
        return f"\x1b[{SGR[role]}m{text}\x1b[0m"

    def add(self, line: str = "") -> None:
        self.lines.append(line.rstrip())

    def wrap(self, text: str, indent: str, rest: str | None = None, role: Role | None = None) -> None:
        body = textwrap.wrap(
            c.clean(text),
            width=max(MIN_WIDTH, self.width),
            initial_indent=indent,
            subsequent_indent=indent if rest is None else rest,
            break_on_hyphens=False,
        ) or [indent]
        for line in body:
            lead = len(line) - len(line.lstrip(" "))
            self.add(line[:lead] + (self.paint(role, line[lead:]) if role else line[lead:]))

    def section(self, name: str) -> None:
        self.add()
        self.wrap(name, "", "  ", role=Role.SECTION)


def render_text(explanation: Explanation, *, color: bool = False, width: int | None = None) -> str:
    total = len(explanation.reports)
    parts = [text_head(explanation, total, color=color, width=width)]
    parts += [text_report(rx, i, total, color=color, width=width) for i, rx in enumerate(explanation.reports, 1)]
    return "".join(parts)


# The pieces render_text joins; the explain command writes them as each report is done.


def text_head(explanation: Explanation, total: int, *, color: bool = False, width: int | None = None) -> str:
    """The lines before the first report (``explanation.reports`` is not read)."""
    out = _Out(color, width or DEFAULT_WIDTH)
    head = f"a64triage explain: {c.clean(explanation.source)}"
    if explanation.vmlinux:
        head += f"  (vmlinux: {c.clean(explanation.vmlinux)})"
    else:
        head += "  (no vmlinux: symbols as printed in the log)"
    out.wrap(head, "", "    ", role=Role.DIM)
    text_warnings(out, explanation.warnings)
    if not total:
        out.add()
        out.add("No crash report found in this log.")
    return "\n".join(out.lines) + "\n"


def text_warnings(out: _Out, warnings: tuple[str, ...] | list[str]) -> None:
    for w in warnings:
        out.wrap(w, out.paint(Role.WARNING, "warning: "), "         ")


def text_report(rx: ReportExplanation, index: int, total: int, *, color: bool = False,
                width: int | None = None) -> str:
    out = _Out(color, width or DEFAULT_WIDTH)
    _report(out, rx, index, total)
    return "\n".join(out.lines) + "\n"


def text_tail(warnings: list[str], *, color: bool = False, width: int | None = None) -> str:
    """Warnings first seen while the reports were explained (after them)."""
    if not warnings:
        return ""
    out = _Out(color, width or DEFAULT_WIDTH)
    out.add()
    text_warnings(out, warnings)
    return "\n".join(out.lines) + "\n"


def _report(out: _Out, rx: ReportExplanation, index: int, total: int) -> None:
    r = rx.report
    out.add()
    first, last = r.span
    out.wrap(f"== [{index}/{total}] {r.headline}  ({r.kind}, log lines {first}-{last})", "", "   ",
             role=Role.TITLE)
    ctx = c.context_line(r)
    if ctx:
        out.wrap(ctx, "   ")
    if r.corrupted:
        out.wrap(f"report is damaged: {r.corrupted}", "   ", role=Role.WARNING)
    ranked = [h for _, h in c.iter_hypotheses(rx)]
    if ranked:
        top = ranked[0]
        out.add(
            "   Most likely: "
            + out.paint(Role.CLASS, top.cls)
            + " "
            + out.paint(Role.CONFIDENCE, f"({c.percent(top.confidence)})")
        )
        out.wrap(top.summary, "   ")
        _evidence(out, rx, top.evidence)
    else:
        out.add("   No hypothesis: nothing in this report matched a known cause.")
    _registers(out, rx)
    _memory(out, rx)
    _frames(out, rx)
    _disassembly(out, rx)
    _findings(out, rx)
    if len(ranked) > 1:
        out.section("Other hypotheses")
        for h in ranked[1:]:
            out.add(
                "  - "
                + out.paint(Role.CLASS, h.cls)
                + " "
                + out.paint(Role.CONFIDENCE, f"({c.percent(h.confidence)})")
            )
            out.wrap(h.summary, "    ")
            for ev in h.evidence:
                out.wrap(_evidence_text(ev.kind, ev.text, ev.line_no), "      * ", "        ")
            if h.next_step:
                out.wrap(f"next step: {h.next_step}", "    ")
    if ranked and ranked[0].next_step:
        out.section("Next step")
        out.wrap(ranked[0].next_step, "  ")
    if rx.notes:
        out.section("Notes")
        for n in rx.notes:
            out.wrap(n, "  - ", "    ")


def _evidence_text(kind: str, text: str, line_no: int | None) -> str:
    where = f"{kind} line {line_no}" if line_no is not None else kind
    return f"[{where}] {text}"


def _evidence(out: _Out, rx: ReportExplanation, evidence: tuple[Evidence, ...]) -> None:
    if not evidence:
        return
    out.section("Evidence")
    for ev in evidence:
        line, comment = c.evidence_quote(rx.report, ev)
        tag = f"[{ev.kind}" + (f" line {ev.line_no}]" if ev.line_no is not None else "]")
        if line is not None:
            out.add(f"  {out.paint(Role.DIM, tag)} " + out.paint(Role.QUOTE, "| ") + c.clean(line))
            if comment:
                out.wrap(comment, "      ")
        else:
            out.wrap(comment, f"  {out.paint(Role.DIM, tag)} ", " " * (len(tag) + 3))


def _registers(out: _Out, rx: ReportExplanation) -> None:
    if not rx.registers:
        return
    out.section("Registers")
    for tree in rx.registers:
        head = f"{tree.register} {c.register_value(tree)}" + (f"  {tree.summary}" if tree.summary else "")
        out.wrap(head, "  ", "      ", role=Role.TITLE)
        fields = c.compact_fields(tree)
        explained = [fl for fl in fields if fl.explained]
        if len(fields) > 1 or not explained:
            out.wrap(c.field_list(tree), "    ")
        name_w = max((len(fl.name_bits) for fl in explained), default=0)
        for fl in explained:
            label = fl.name_bits.ljust(name_w)
            out.wrap(fl.field.meaning, f"    {out.paint(Role.DIM, label)}  ", " " * (6 + name_w))
        for note in tree.notes:
            out.wrap(note, "    note: ", "          ")


def _memory(out: _Out, rx: ReportExplanation) -> None:
    if not rx.memory and rx.core_registers is None:
        return
    out.section("Memory (from the core)")
    if rx.core_registers is not None:
        out.wrap(rx.core_registers, "  registers: ", "    ")
    for m in rx.memory:
        out.wrap(m.describe(), "  ", "    ")


def _frames(out: _Out, rx: ReportExplanation) -> None:
    if not rx.frames:
        return
    out.section("Call trace")
    views = [c.frame_view(fr) for fr in rx.frames]
    label_w = min(48, max(len(c.clean(v.label)) for v in views))
    for v in views:
        stack = "" if v.frame.stack == "task" else out.paint(Role.DIM, f"[{v.frame.stack}] ")
        marker = f" ({c.clean(v.frame.marker)})" if v.frame.marker else ""
        for loc in v.inlined:
            where = c.location_text(loc)
            text = f"  {stack}{c.clean(loc.function)}"
            text += f" ({out.paint(Role.SOURCE, c.clean(where))})" if where else ""
            out.add(text + out.paint(Role.DIM, " [inline]"))
            if loc.text:
                out.add("      " + out.paint(Role.DIM, c.clean(loc.text.strip())))
        label = c.clean(v.label).ljust(label_w) + marker
        line = f"  {stack}{label}"
        tail = (out.paint(Role.SOURCE, c.clean(v.source)) if v.source else "") + (
            out.paint(Role.DIM, " [inline]") if v.frame.inline else ""
        )
        plain_len = len(f"  [{v.frame.stack}] {label}  {v.source or ''}")
        if tail and plain_len > out.width:
            out.add(line)
            out.add("      " + tail)
        else:
            out.add(line + ("  " + tail if tail else ""))
        if v.location and v.location.text:
            out.add("      " + out.paint(Role.DIM, c.clean(v.location.text.strip())))
        for n in v.notes:
            out.wrap(n, "      note: ", "            ", role=Role.WARNING)


def _disassembly(out: _Out, rx: ReportExplanation) -> None:
    if not rx.disassembly:
        return
    funcs = c.disasm_functions(rx.disassembly)
    files = list(dict.fromkeys(i.source.file for i in rx.disassembly if i.source and i.source.file))
    where = ", ".join([c.clean(f) for f in funcs] + [c.clean(files[0])] if files else [])
    out.section("Disassembly" + (f" ({where})" if where else ""))
    hazards = c.finding_addresses(rx.findings)
    text_w = min(36, max(len(c.instruction_text(i)) for i in rx.disassembly))
    # objdump -S style source headers when the source text is known, else a line-number column
    with_text = any(i.source and i.source.text for i in rx.disassembly)
    with_lines = not with_text and any(i.source and i.source.line for i in rx.disassembly)
    last: tuple[str | None, int | None] | None = None
    for ins in rx.disassembly:
        src = ins.source
        key = (src.file, src.line) if src else None
        other_file = bool(src and src.file and files and src.file != files[0])
        if src and key != last and (src.text or (with_text and other_file)):
            shown = f"{c.clean(src.file or '?')}:" if other_file else ""
            text = c.clean(src.text.strip()) if src.text else ""
            out.add("      " + out.paint(Role.SOURCE, f"{shown}{src.line}:") + (f" {out.paint(Role.DIM, text)}" if text else ""))
        last = key or last
        line_col = f" {src.line:>4}" if src and src.line else "     "
        hazard = c.is_hazard(ins, hazards)
        mark = "-->" if ins.faulting else ("  *" if hazard else "   ")
        body = f"{mark}{line_col if with_lines else ''} {ins.address:016x}  {ins.word:08x}  {c.clean(c.instruction_text(ins)).ljust(text_w)}"
        role = Role.FAULTING if ins.faulting else (Role.HAZARD if hazard else None)
        notes = c.instruction_notes(ins, hazards)
        if not notes:
            out.add(out.paint(role, body.rstrip()) if role else body)
            continue
        note_text = "; " + c.clean("; ".join(notes))
        painted = out.paint(role, body) if role else body
        if len(body) + 2 + len(note_text) <= out.width:
            out.add(f"{painted}  {note_text}")
            continue
        inline = out.width - len(body) - 2 >= 40
        pad = " " * (len(body) + 2 if inline else len(body) - text_w)
        wrapped = textwrap.wrap(note_text, width=max(len(pad) + 20, out.width), initial_indent=pad,
                                subsequent_indent=pad + "  ", break_on_hyphens=False)
        if inline:
            out.add(f"{painted}  {wrapped[0][len(pad):]}")
            wrapped = wrapped[1:]
        else:
            out.add(out.paint(role, body.rstrip()) if role else body)
        for more in wrapped:
            out.add(more)
    if any(c.is_hazard(i, hazards) and not i.faulting for i in rx.disassembly):
        out.add(out.paint(Role.DIM, "    (* = jump table, absolute relocation or audit finding)"))


def _findings(out: _Out, rx: ReportExplanation) -> None:
    if not rx.findings:
        return
    out.section("Audit findings")
    for g in c.group_findings(rx.findings):
        f = g.finding
        sev = out.paint(SEVERITY_ROLE.get(str(f.severity), Role.INFO), str(f.severity).upper())
        src = f" ({g.source})" if g.source else ""
        out.wrap(f"{f.cls} in {f.region}: {g.where}{src}", f"  {sev} ", "     ")
        detail = g.detail()
        if detail:
            out.wrap(detail, "     ")
        if f.why:
            out.wrap(f"why: {f.why}", "     ", "          ")
        if f.safe_by:
            out.wrap(f"safe by: {f.safe_by}", "     ", "          ")
        if f.fix:
            out.wrap(f"fix: {f.fix}", "     ", "          ")
