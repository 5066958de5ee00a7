"""Format-neutral views of an Explanation that every renderer shares.

The renderers differ in layout only; what a frame, an instruction or a field
list *says* is decided once here so that text, mail, JSON and HTML never
disagree.  Nothing here escapes or colours: that is each renderer's job.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from a64triage.arm64.fields import Field, FieldTree
from a64triage.console.records import Frame, Report
from a64triage.diagnose.types import Evidence, FrameResult, Hypothesis, ReportExplanation
from a64triage.disasm.types import Instruction
from a64triage.relocs.findings import Finding
from a64triage.symbols.types import SourceLocation

# C0/C1 control characters (ESC, BEL, CR ...) never reach a terminal or a mail
# from input text: a hostile log line must not drive the reader's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# ASCII stand-ins for the typographic characters our own prose may contain.
ASCII_MAP: dict[str, str] = {
    "\u2014": "--",
    "\u2013": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2192": "->",
    "\u2190": "<-",
    "\u00a0": " ",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u00d7": "x",
}


def clean(text: str) -> str:
    """Input text made safe to print: tabs expanded, control characters shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.expandtabs(8))


def to_ascii(text: str) -> str:
    """Plain-ASCII spelling (mail): typographic punctuation mapped, the rest escaped."""
    out = []
    for ch in clean(text):
        if ord(ch) < 128:
            out.append(ch)
        elif ch in ASCII_MAP:
            out.append(ASCII_MAP[ch])
        else:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base if base.strip() else f"\\u{ord(ch):04x}")
    return "".join(out)


def hexa(value: int | None) -> str | None:
    """Addresses, words and literals as ``0x...`` strings (the JSON convention)."""
    return None if value is None else f"0x{value:x}"


def percent(confidence: float) -> str:
    x = 0.0 if confidence != confidence else max(0.0, min(1.0, confidence))
    return f"{round(x * 100)}%"


def symbol_label(
    function: str | None, offset: int | None, size: int | None, module: str | None
) -> str | None:
    """``func+0x14/0x98 [mod]`` as the kernel prints it, or None without a function."""
    if not function:
        return None
    text = function
    if offset is not None:
        text += f"+0x{offset:x}"
        if size is not None:
            text += f"/0x{size:x}"
    if module:
        text += f" [{module}]"
    return text


@dataclass(frozen=True)
class FrameView:
    """One call-trace entry as every renderer shows it."""

    label: str  # "func+0x14/0x98 [mod]" or "0xffff..." when nothing better is known
    address: int | None  # runtime address as printed, else link-time
    link_address: int | None
    function: str | None
    offset: int | None
    size: int | None
    module: str | None
    location: SourceLocation | None  # the frame's own file:line (outermost of the chain)
    inlined: tuple[SourceLocation, ...]  # inline chain, innermost first
    source: str | None  # "file:line" text: from the symbolizer, else as the log printed it
    notes: tuple[str, ...]
    frame: Frame


def location_text(loc: SourceLocation | None) -> str | None:
    if loc is None or not loc.file:
        return None
    text = loc.file
    if loc.line:
        text += f":{loc.line}"
        if loc.column:
            text += f":{loc.column}"
    return text


def frame_view(fr: FrameResult) -> FrameView:
    f, s = fr.frame, fr.symbolized
    function = f.function or (s.function if s else None)
    offset = f.offset if f.function else (s.offset if s else None)
    size = f.size if f.function else (s.size if s else None)
    module = f.module or (s.module if s else None)
    address = f.address if f.address is not None else (s.address if s else None)
    locs = s.locations if s else ()
    location = locs[-1] if locs else None
    notes: list[str] = list(s.notes) if s else []
    if s and f.function and s.function and s.function != f.function:
        notes.append(f"log says {f.function}, vmlinux says {s.function}")
    label = symbol_label(function, offset, size, module) or (
        hexa(address) or "?"
    )
    return FrameView(
        label=label,
        address=address,
        link_address=s.address if s else None,
        function=function,
        offset=offset,
        size=size,
        module=module,
        location=location,
        inlined=tuple(locs[:-1]),
        source=location_text(location) or f.source,
        notes=tuple(notes),
        frame=f,
    )


@dataclass(frozen=True)
class FindingGroup:
    """Findings that differ only in their slot and target (the entries of one table)."""

    finding: Finding  # the first of the group
    targets: tuple[str, ...]
    addresses: tuple[int, ...]

    @property
    def where(self) -> str:
        f = self.finding
        return symbol_label(f.function, f.offset, None, None) or (hexa(f.address) or f.region)

    @property
    def source(self) -> str:
        f = self.finding
        return f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")

    def detail(self) -> str:
        """Instruction, relocation, slots and targets in one phrase."""
        f = self.finding
        parts = [x for x in (f.instruction and f"`{f.instruction}`", f.relocation) if x]
        if len(self.addresses) > 1:
            lo, hi = min(self.addresses), max(self.addresses)
            parts.append(f"{len(self.addresses)} slots at 0x{lo:x}..0x{hi:x}")
        if self.targets:
            parts.append(f"-> {targets_text(self.targets)}")
        if f.section:
            parts.append(f"in {f.section}")
        return " ".join(parts)


def targets_text(targets: tuple[str, ...]) -> str:
    """``f+0x5c, +0x34, +0x54``: a shared ``symbol+`` prefix is written once."""
    head = targets[0].rsplit("+", 1)[0] + "+" if "+" in targets[0] else None
    if head and len(targets) > 1 and all(t.startswith(head) for t in targets):
        return ", ".join([targets[0], *("+" + t[len(head):] for t in targets[1:])])
    return ", ".join(targets)


# Finding fields that name one entry of a table; findings equal in all others are one table.
PER_SLOT_FIELDS = frozenset({"target", "address", "slot"})


def group_findings(findings: tuple[Finding, ...]) -> list[FindingGroup]:
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        key = tuple(
            repr(getattr(f, fld.name)) for fld in dataclasses.fields(f) if fld.name not in PER_SLOT_FIELDS
        )
        groups.setdefault(key, []).append(f)
    return [
        FindingGroup(
            members[0],
            tuple(dict.fromkeys(m.target for m in members if m.target)),
            tuple(m.address for m in members if m.address is not None),
        )
        for members in groups.values()
    ]


def instruction_text(ins: Instruction) -> str:
    return f"{ins.mnemonic} {ins.op_str}".strip()


def finding_addresses(findings: tuple[Finding, ...]) -> set[int]:
    """Instruction addresses the audit flagged (``pc``; ``address`` is the data slot)."""
    return {f.pc for f in findings if f.pc is not None and f.code_section is None}


def instruction_notes(ins: Instruction, hazards: set[int]) -> list[str]:
    """The annotations after an instruction, in a fixed order."""
    notes: list[str] = []
    if ins.target:
        notes.append(f"-> {ins.target}")
    if ins.literal is not None:
        notes.append(f"= 0x{ins.literal:x}")
    if ins.relocation:
        notes.append(ins.relocation)
    if ins.note:
        notes.append(ins.note)
    if ins.address in hazards and not ins.note:
        notes.append("audit finding here")
    if ins.faulting:
        notes.append("<- faulting instruction")
    return notes


def is_hazard(ins: Instruction, hazards: set[int]) -> bool:
    """Jump tables, absolute relocations and audit hits are what the reader must see."""
    return ins.address in hazards or ins.note is not None


def disasm_window(
    disassembly: tuple[Instruction, ...], hazards: set[int], radius: int = 4
) -> list[Instruction | None]:
    """The instructions a reader needs: the faulting one +-radius and each hazard +-1.

    ``None`` stands for a run of omitted instructions.  Without a faulting
    instruction everything is kept.
    """
    if not any(i.faulting for i in disassembly):
        return list(disassembly)
    keep: set[int] = set()
    for n, ins in enumerate(disassembly):
        if ins.faulting:
            keep.update(range(n - radius, n + radius + 1))
        elif is_hazard(ins, hazards):
            keep.update(range(n - 1, n + 2))
    out: list[Instruction | None] = []
    for n, ins in enumerate(disassembly):
        if n in keep:
            out.append(ins)
        elif not out or out[-1] is not None:
            out.append(None)
    return out


def disasm_functions(disassembly: tuple[Instruction, ...]) -> list[str]:
    seen: list[str] = []
    for ins in disassembly:
        name = ins.source.function if ins.source else None
        if name and name not in seen:
            seen.append(name)
    return seen


@dataclass(frozen=True)
class FieldLine:
    """A field worth showing in a compact listing (reserved zeros skipped)."""

    label: str  # leaf name, or "ISS.IFSC" when the leaf name alone is ambiguous
    field: Field
    depth: int
    quiet: bool  # inside an all-zero container, or a container shown whole because it is zero

    @property
    def explained(self) -> bool:
        """Worth a line of its own: clear flags and zero padding are listed, not explained."""
        if not self.field.meaning:
            return False
        return self.field.value != 0 or (self.field.width > 1 and not self.quiet)

    @property
    def name_bits(self) -> str:
        """``EC[31:26]``; a name that already carries its bits (``M[3:0]``) is left alone."""
        return self.label if self.label.endswith("]") else f"{self.label}{field_bits(self.field)}"


def is_reserved(f: Field) -> bool:
    return f.name.upper() in {"RES0", "RES1", "RAZ", "WI", "-", "UNKNOWN"} or f.name.upper().startswith("RES")


def compact_fields(tree: FieldTree) -> list[FieldLine]:
    """Leaf fields in bit order, high to low, minus reserved bits that read as zero.

    A container whose value is zero (an ESR's ISS2 on most faults) is listed as
    one field instead of its many clear sub-fields.
    """
    found: list[tuple[str, Field, int, bool]] = []

    def walk(fields: tuple[Field, ...], prefix: str, depth: int) -> None:
        for f in sorted(fields, key=lambda x: -x.hi):
            path = f"{prefix}{f.name}"
            if is_reserved(f) and f.value == 0:
                continue
            if f.fields and f.value != 0:
                walk(f.fields, f"{path}.", depth + 1)
            else:
                found.append((path, f, depth, bool(f.fields)))

    walk(tree.fields, "", 0)
    names = [f.name for _, f, _, _ in found]
    return [
        FieldLine(f.name if names.count(f.name) == 1 else path, f, depth, quiet)
        for path, f, depth, quiet in found
    ]


def field_list(tree: FieldTree) -> str:
    """``EC=0x21 IL=1 IFSC=0x4``: the register in one line."""
    return " ".join(f"{fl.label}={field_value(fl.field)}" for fl in compact_fields(tree))


def field_value(f: Field) -> str:
    """Single bits as 0/1, wider fields in hex."""
    return str(f.value) if f.width == 1 else f"0x{f.value:x}"


def field_bits(f: Field) -> str:
    return f"[{f.hi}]" if f.hi == f.lo else f"[{f.hi}:{f.lo}]"


def register_value(tree: FieldTree) -> str:
    digits = max(1, (tree.width + 3) // 4)
    return f"0x{tree.value:0{digits}x}" if tree.width <= 32 else f"0x{tree.value:016x}"


def report_line(report: Report, line_no: int | None) -> str | None:
    """The cleaned log line ``line_no`` (1-based input numbering) of this report, if it kept it
    (by number: a repaired report's lines are not one per number of its span)."""
    return report.line(line_no)


def evidence_quote(report: Report, ev: Evidence) -> tuple[str | None, str]:
    """(quoted log line or None, comment) for one piece of evidence.

    The comment is empty when the evidence text just repeats the line.
    """
    if ev.kind != "log":
        return None, ev.text
    line = report_line(report, ev.line_no)
    if line is None:
        return ev.text, ""
    text = ev.text.strip()
    if not text or text in line:
        return line, ""
    return line, ev.text


def context_line(report: Report) -> str:
    """``CPU: 0 PID: 0 Comm: swapper/0 Not tainted 4.14.0-rc7 #3`` facts in one line."""
    parts: list[str] = []
    if report.cpu is not None:
        parts.append(f"CPU {report.cpu}")
    if report.pid is not None:
        parts.append(f"PID {report.pid}")
    if report.comm is not None:
        parts.append(f"Comm {report.comm}")
    if report.kernel_version:
        parts.append(f"kernel {report.kernel_version}")
    if report.tainted:
        parts.append(f"tainted {report.tainted}")
    if report.hardware:
        parts.append(f"on {report.hardware}")
    return ", ".join(parts)


def quoted_line_numbers(rx: ReportExplanation) -> set[int]:
    """Input line numbers that some hypothesis relies on (highlighted in HTML)."""
    return {
        ev.line_no
        for h in rx.hypotheses
        for ev in h.evidence
        if ev.kind == "log" and ev.line_no is not None
    }


def iter_hypotheses(rx: ReportExplanation) -> Iterator[tuple[int, Hypothesis]]:
    """Hypotheses in the order diagnose ranked them, numbered from 1.

    The ranking is decided in one place (diagnose.engine.rank): a specific cause ranks before the
    generic BUG()/WARN() it reported through even when the generic one's confidence is higher, and
    each confidence is that hypothesis's own calibrated figure, not a position to sort by.
    """
    yield from enumerate(rx.hypotheses, 1)
