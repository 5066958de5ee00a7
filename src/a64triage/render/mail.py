"""Mail rendering: a plain-ASCII reply fit for linux-arm-kernel.

Kernel lists want plain text, lines of at most 72 columns and the log lines an
argument rests on quoted with ``> ``.  Every line is wrapped (long tokens are
broken, never left overlong) and a final pass enforces the limit, so the rule
holds whatever the input contains.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from a64triage.diagnose.types import Evidence, Explanation, Hypothesis, ReportExplanation
from a64triage.render import common as c

MAX_WIDTH = 72
MIN_WIDTH = 40


class _Mail:
    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def add(self, line: str) -> None:
        self.lines.append(c.to_ascii(line).rstrip())

    def para(self, text: str, indent: str = "", rest: str | None = None) -> None:
        body = textwrap.wrap(
            c.to_ascii(text),
            width=self.width,
            initial_indent=indent,
            subsequent_indent=indent if rest is None else rest,
            break_on_hyphens=False,
            break_long_words=True,
        )
        self.lines.extend(line.rstrip() for line in body)

    def quote(self, line: str) -> None:
        """``> `` + the log line; a line too long for the limit continues on a ``>`` line."""
        text = c.to_ascii(line).rstrip()
        room = self.width - 2
        while len(text) > room:
            cut = text.rfind(" ", room // 2, room + 1)
            cut = room if cut <= 0 else cut
            self.lines.append(("> " + text[:cut]).rstrip())
            text = "    " + text[cut:].lstrip()
        self.lines.append(("> " + text).rstrip())

    def flush(self) -> str:
        """The lines up to the last non-blank one, which stays (``blank`` looks at it,
        and ``finish`` drops trailing blank lines)."""
        keep = len(self.lines)
        while keep and self.lines[keep - 1] == "":
            keep -= 1
        done, self.lines = self.lines[: max(0, keep - 1)], self.lines[max(0, keep - 1):]
        return "".join(line + "\n" for line in self._fold(done))

    def finish(self) -> str:
        out = self._fold(self.lines)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"

    def _fold(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            while len(line) > self.width:  # safety net: nothing above may exceed the limit
                out.append(line[: self.width])
                line = "  " + line[self.width :]
            out.append(line)
        return out


def render_mail(explanation: Explanation, *, width: int | None = None) -> str:
    return "".join(mail_stream(explanation, len(explanation.reports), iter(explanation.reports), width=width))


def mail_stream(explanation: Explanation, total: int, reports: Iterator[ReportExplanation], *,
                width: int | None = None, late: list[str] | None = None) -> Iterator[str]:
    """The mail in pieces, one per report as ``reports`` yields it (``explanation``
    gives the source, vmlinux and warnings; its ``reports`` is not read).  ``late``:
    warnings first seen while the reports were explained, read once they are done."""
    m = _Mail(max(MIN_WIDTH, min(MAX_WIDTH, width or MAX_WIDTH)))
    for w in explanation.warnings:
        m.para(f"Caveat: {w}")
    if explanation.warnings:
        m.blank()
    if not total:
        m.para(f"I could not find a crash report in {explanation.source}.")
    for i, rx in enumerate(reports, 1):
        if i > 1:
            m.blank()
            m.add("-" * min(m.width, 40))
            m.blank()
        _report(m, rx, i, total, explanation)
        yield m.flush()
    if late:
        m.blank()
        for w in late:
            m.para(f"Caveat: {w}")
    yield m.finish()


def _report(m: _Mail, rx: ReportExplanation, index: int, total: int, ex: Explanation) -> None:
    r = rx.report
    which = f"Report {index} of {total}: " if total > 1 else ""
    ctx = c.context_line(r)
    m.para(f"{which}\"{r.headline}\" ({r.kind}" + (f"; {ctx}" if ctx else "") + ")")
    m.blank()
    ranked = [h for _, h in c.iter_hypotheses(rx)]
    if not ranked:
        m.para("Nothing in this report matches a cause I know about.")
    else:
        top = ranked[0]
        m.para(f"This looks like {top.cls} (confidence {c.percent(top.confidence)}). {top.summary}")
        m.blank()
        _evidence(m, rx, top.evidence)
    _registers(m, rx)
    _frames(m, rx, ex)
    _disassembly(m, rx)
    _findings(m, rx)
    if ranked and ranked[0].next_step:
        m.para("Suggested next step:")
        m.para(ranked[0].next_step, "  ")
        m.blank()
    if len(ranked) > 1:
        m.para("Less likely:")
        for h in ranked[1:]:
            _other(m, h)
        m.blank()
    for note in rx.notes:
        m.para(f"Note: {note}")
    if rx.notes:
        m.blank()


def _evidence(m: _Mail, rx: ReportExplanation, evidence: tuple[Evidence, ...]) -> None:
    """Quote each log line the evidence rests on once, with what it shows as bullets under it."""
    quoted: set[str] = set()
    state = ""  # "quote" or "bullet": what the previous line was
    for ev in evidence:
        line = c.report_line(rx.report, ev.line_no)
        text = ev.text.strip()
        if line is None and ev.kind == "log":
            line, text = ev.text, ""
        if line is not None and line not in quoted:
            if state == "bullet":
                m.blank()
            m.quote(line)
            quoted.add(line)
            state = "quote"
        if text and (line is None or text not in line):
            if state == "quote":
                m.blank()
            m.para(text, "- ", "  ")
            state = "bullet"
    m.blank()


def _registers(m: _Mail, rx: ReportExplanation) -> None:
    """One line of meaning and one of fields per register: a reply, not a datasheet."""
    if not rx.registers:
        return
    m.para("Decoded:")
    m.blank()
    for tree in rx.registers:
        m.para(
            f"{tree.register} {c.register_value(tree)}" + (f": {tree.summary}" if tree.summary else ""),
            "  ",
            "    ",
        )
        fields = c.compact_fields(tree)
        if len(fields) > 1:
            m.para(c.field_list(tree), "    ", "    ")
        elif fields and not tree.summary and fields[0].field.meaning:
            m.para(fields[0].field.meaning, "    ", "    ")
    m.blank()


def _frames(m: _Mail, rx: ReportExplanation, ex: Explanation) -> None:
    if not rx.frames:
        return
    m.para("Call trace" + (" with file:line from vmlinux:" if ex.vmlinux else " as printed:"))
    m.blank()
    for fr in rx.frames:
        v = c.frame_view(fr)
        stack = "" if v.frame.stack == "task" else f"[{v.frame.stack}] "
        for loc in v.inlined:
            where = c.location_text(loc)
            m.para(f"{stack}{loc.function}" + (f" ({where})" if where else "") + " [inline]", "  ", "      ")
        m.para(f"{stack}{v.label}" + (f" ({v.source})" if v.source else ""), "  ", "      ")
        for n in v.notes:
            m.para(f"({n})", "      ", "       ")
    m.blank()


def _disassembly(m: _Mail, rx: ReportExplanation) -> None:
    if not rx.disassembly:
        return
    funcs = c.disasm_functions(rx.disassembly)
    m.para("Code around the faulting PC" + (f" ({', '.join(funcs)})" if funcs else "") + ":")
    m.blank()
    hazards = c.finding_addresses(rx.findings)
    for ins in c.disasm_window(rx.disassembly, hazards):
        if ins is None:
            m.add("    ...")
            continue
        mark = "-->" if ins.faulting else ("  *" if c.is_hazard(ins, hazards) else "   ")
        m.para(
            f"{mark} {ins.address:016x}: {ins.word:08x}  {c.instruction_text(ins)}",
            "",
            "                                 ",
        )
        notes = c.instruction_notes(ins, hazards)
        if notes:
            m.para("; " + "; ".join(notes), " " * 22, " " * 24)
    m.blank()


def _findings(m: _Mail, rx: ReportExplanation) -> None:
    if not rx.findings:
        return
    m.para("What the relocation audit finds in this code:")
    m.blank()
    for g in c.group_findings(rx.findings):
        f = g.finding
        src = f" ({g.source})" if g.source else ""
        m.para(f"{f.severity}: {f.cls} in {f.region}, {g.where}{src}", "  ", "    ")
        detail = g.detail()
        if detail:
            m.para(detail, "    ", "    ")
        if f.why:
            m.para(f"why: {f.why}", "    ", "      ")
        if f.safe_by:
            m.para(f"safe by: {f.safe_by}", "    ", "      ")
        if f.fix:
            m.para(f"fix: {f.fix}", "    ", "      ")
    m.blank()


def _other(m: _Mail, h: Hypothesis) -> None:
    m.para(f"{h.cls} ({c.percent(h.confidence)}): {h.summary}", "- ", "  ")
    if h.next_step:
        m.para(f"To rule it out: {h.next_step}", "  ", "  ")
