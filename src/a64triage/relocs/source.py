"""file:line for findings, from DWARF through the symbolize stage (opt-in: DWARF loading is slow).

Uses ``a64triage.symbols.symbolizer.load_object``: linked images are looked up at the
link-time address, relocatable objects at the symbolizer's private layout address of
(section, offset).  Without DWARF the findings are returned unchanged (file/line None).
"""

from __future__ import annotations

from dataclasses import replace

from a64triage.errors import InputError
from a64triage.relocs.engine import AuditResult, audit
from a64triage.relocs.findings import Finding
from a64triage.symbols.symbolizer import load_object


def with_source(result: AuditResult) -> AuditResult:
    """The same result with ``file``/``line`` filled in where DWARF knows the instruction."""
    try:
        obj = load_object(result.path)
    except InputError:
        return result
    lines = obj.lines
    if lines is None:
        return result
    out: list[Finding] = []
    for f in result.findings:
        if f.pc is None:
            out.append(f)
            continue
        addr = f.pc
        if obj.layout is not None:
            base = obj.layout.get(f.code_section or "")
            if base is None:
                out.append(f)
                continue
            addr = base + f.pc
        try:
            locs = lines.locate(addr)
        except (InputError, ValueError, KeyError, IndexError):
            locs = ()
        loc = next((x for x in locs if x.file), None)
        out.append(replace(f, file=loc.file, line=loc.line) if loc else f)
    return replace(result, findings=tuple(out))


def audit_function(path: str, function: str, *, source: bool = True) -> list[Finding]:
    """Findings whose instruction lies in ``function`` (explain's cross-check), with file:line
    when the file has DWARF.  ``function`` may omit the ``__kvm_nvhe_`` prefix."""
    res = audit(path)
    names = {function, f"__kvm_nvhe_{function}"}
    keep = tuple(f for f in res.findings if f.function in names)
    if source and keep:
        keep = with_source(replace(res, findings=keep)).findings
    return list(keep)
