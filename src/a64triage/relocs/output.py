"""Audit results as text, JSON (issue 5's contract) and SARIF 2.1.0; ``--diff`` of two builds.

SARIF layout follows the OASIS SARIF 2.1.0 standard: ``version``/``$schema`` at the top,
one run with ``tool.driver.rules`` (one rule per hazard class), ``results[]`` with
``ruleId``/``ruleIndex``/``level``/``message.text``/``locations[].physicalLocation``
(and ``logicalLocations`` for the function), severity mapped fatal->error,
warning->warning, info->note.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from a64triage.relocs.engine import AuditResult
from a64triage.relocs.findings import Finding, HazardClass, Severity

SCHEMA_VERSION = 1
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/a64triage/a64triage"

RULES: dict[HazardClass, tuple[str, str]] = {
    HazardClass.ABSOLUTE_TABLE: (
        "Table of absolute code addresses consumed by an indirect branch",
        "A jump/label/function-pointer table holds link-time addresses and br/blr jumps through it: "
        "wrong in code that runs at another VA (the 2017 clang HYP panic)."),
    HazardClass.ABSOLUTE_IN_CODE: (
        "Absolute address materialised in code",
        "movz/movk (MOVW_UABS), a literal pool or a GOT load gives the code a link-time address."),
    HazardClass.POINTER_IN_DATA: (
        "Absolute pointer in data used by region code",
        "Initialised data holds a link-time address that region code loads."),
    HazardClass.CALL_OUT_OF_REGION: (
        "Call or branch out of the region",
        "Direct call from region code to code the region does not contain."),
    HazardClass.DATA_OUT_OF_REGION: (
        "Data reference out of the region's mapping",
        "Region code references data in a section the region does not map."),
    HazardClass.DYNAMIC_RELOCATION: (
        "Dynamic relocation touching the region",
        "A .rela.dyn entry writes region data or points into region code."),
    HazardClass.UNCOVERED_HYP_POINTER: (
        "Absolute pointer used by hyp code and not covered by .hyp.reloc",
        "gen-hyprel only scans .hyp* sections; this pointer keeps its kernel VA at EL2."),
    HazardClass.UNKNOWN_RELOCATION: (
        "Relocation the audit (and gen-hyprel) cannot interpret",
        "Unknown relocation type or SHT_REL section."),
}
_LEVEL = {Severity.FATAL: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "class": f.cls.value, "region": f.region, "function": f.function, "offset": f.offset,
        "instruction": f.instruction, "relocation": f.relocation, "target": f.target,
        "severity": f.severity.value, "safe_by": f.safe_by, "fix": f.fix, "file": f.file, "line": f.line,
        "address": f.address, "section": f.section, "slot": f.slot, "why": f.why,
    }


def findings_to_json(results: AuditResult | Sequence[AuditResult]) -> dict[str, Any]:
    """``{"schema_version", "findings": [...], "files": [...]}``; findings carry their ``file``."""
    rs = [results] if isinstance(results, AuditResult) else list(results)
    findings = []
    for r in rs:
        for f in r.findings:
            d = finding_dict(f)
            d["object"] = r.path
            findings.append(d)
    return {
        "schema_version": SCHEMA_VERSION,
        "findings": findings,
        "files": [{"path": r.path, "kind": r.kind, "regions": list(r.regions),
                   "hyp_reloc_entries": r.hyp_reloc_entries, "dynamic_relocations": r.dynamic_relocations,
                   "functions_scanned": r.functions_scanned,
                   "counts": _counts(r.findings)} for r in rs],
    }


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f.severity.value] += 1
    return out


def to_sarif(results: AuditResult | Sequence[AuditResult], version: str = "0.1.0") -> dict[str, Any]:
    rs = [results] if isinstance(results, AuditResult) else list(results)
    classes = list(HazardClass)
    rules = [{
        "id": c.value, "name": "".join(w.capitalize() for w in c.value.split("-")),
        "shortDescription": {"text": RULES[c][0]}, "fullDescription": {"text": RULES[c][1]},
        "defaultConfiguration": {"level": "error" if c in (HazardClass.ABSOLUTE_TABLE,
                                                            HazardClass.UNCOVERED_HYP_POINTER) else "warning"},
        "helpUri": TOOL_URI,
    } for c in classes]
    results_out = []
    for r in rs:
        for f in r.findings:
            loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": f.file or r.path}}}
            if f.file and f.line:
                loc["physicalLocation"]["region"] = {"startLine": f.line}
            elif f.address is not None and r.kind == "relocatable":  # section offset in an object
                loc["physicalLocation"]["address"] = {"relativeAddress": f.address, "name": f.section or "?"}
            elif f.address is not None:
                loc["physicalLocation"]["address"] = {"absoluteAddress": f.address}
            if f.function:
                loc["logicalLocations"] = [{"name": f.function, "kind": "function",
                                            "fullyQualifiedName": f"{f.function}+{f.offset or 0:#x}"}]
            text = _message(f)
            results_out.append({
                "ruleId": f.cls.value, "ruleIndex": classes.index(f.cls), "level": _LEVEL[f.severity],
                "message": {"text": text}, "locations": [loc],
                "properties": {"region": f.region, "relocation": f.relocation, "target": f.target,
                               "instruction": f.instruction, "safe_by": f.safe_by, "fix": f.fix,
                               "severity": f.severity.value},
            })
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "a64triage", "version": version, "informationUri": TOOL_URI,
                                      "rules": rules}},
                  "artifacts": [{"location": {"uri": r.path}} for r in rs],
                  "results": results_out}],
    }


def _message(f: Finding) -> str:
    where = f"{f.function}+{f.offset:#x}" if f.function and f.offset is not None else (f.slot or f.section or "?")
    head = f"{f.cls.value} in {f.region} at {where}"
    if f.relocation or f.target:
        head += f": {f.relocation or ''} -> {f.target or '?'}".replace(":  ->", ": ->")
    tail = f" Safe: {f.safe_by}." if f.safe_by else f" Fix: {f.fix}."
    return f"{head}. {f.why}.{tail}"


def to_text(results: Sequence[AuditResult], *, verbose: bool = False) -> str:
    lines = []
    for r in results:
        c = _counts(r.findings)
        regions = ", ".join(r.regions) or "none detected"
        lines.append(f"{r.path}: {r.kind}, regions: {regions}; {c['fatal']} fatal, {c['warning']} warning, "
                     f"{c['info']} info" + (f"; .hyp.reloc entries: {r.hyp_reloc_entries}"
                                            if r.hyp_reloc_entries is not None else ""))
        shown = [f for f in r.findings if verbose or f.severity is not Severity.INFO]
        # one block per site: slots of the same table share function, instructions and verdict
        groups: dict[tuple[object, ...], list[Finding]] = {}
        for f in shown:
            key = (f.cls, f.region, f.function, f.offset, f.instruction, f.severity, f.relocation,
                   f.slot is None)
            groups.setdefault(key, []).append(f)
        for fs in groups.values():
            lines.append(_finding_text(fs))
        infos = c["info"]
        if infos and not verbose:
            lines.append(f"  ({infos} info finding(s) hidden; --verbose shows them)")
    return "\n".join(lines) + "\n"


def _finding_text(fs: Sequence[Finding]) -> str:
    f = fs[0]
    where = f"{f.function}+{f.offset:#x}" if f.function and f.offset is not None else (f.slot or "?")
    out = [f"  {f.severity.value.upper():7} {f.cls.value} [{f.region}] {where}"]
    if f.instruction:
        out.append(f"          insn: {f.instruction}")
    if len(fs) == 1 and (f.relocation or f.target):
        out.append(f"          reloc: {f.relocation or '-'} -> {f.target or '?'}"
                   + (f" (slot {f.slot})" if f.slot else ""))
    elif len(fs) > 1:
        out.append(f"          {len(fs)} slots ({f.relocation or '-'}):")
        out.extend(f"            {g.slot or g.address} -> {g.target}" for g in fs[:16])
        if len(fs) > 16:
            out.append(f"            ... {len(fs) - 16} more")
    if f.file:
        out.append(f"          source: {f.file}:{f.line}")
    out.append(f"          why: {f.why}")
    out.append(f"          {'safe by: ' + f.safe_by if f.safe_by else 'fix: ' + f.fix}")
    return "\n".join(out)


def diff_findings(a: AuditResult, b: AuditResult) -> tuple[list[Finding], list[Finding]]:
    """Hazards (warning/fatal) only in ``a`` and only in ``b``, matched by class+function+target symbol."""
    ka = {f.key() for f in a.findings if f.severity is not Severity.INFO}
    kb = {f.key() for f in b.findings if f.severity is not Severity.INFO}
    only_a = [f for f in a.findings if f.severity is not Severity.INFO and f.key() not in kb]
    only_b = [f for f in b.findings if f.severity is not Severity.INFO and f.key() not in ka]
    return _uniq(only_a), _uniq(only_b)


def _uniq(fs: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in fs:
        if f.key() not in seen:
            seen.add(f.key())
            out.append(f)
    return out
