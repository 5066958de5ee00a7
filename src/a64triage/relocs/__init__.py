"""Audit stage: absolute addresses in code that runs at another VA (issue 5).

Public API (explain and the CLI call these): ``audit``, ``audit_function``,
``findings_to_json``, ``to_sarif``, ``to_text``, ``diff_findings``, ``with_source``,
``AuditResult``.
"""

from a64triage.relocs.engine import AuditResult, audit
from a64triage.relocs.output import (
    SCHEMA_VERSION,
    diff_findings,
    findings_to_json,
    to_sarif,
    to_text,
)
from a64triage.relocs.source import audit_function, with_source

__all__ = ["SCHEMA_VERSION", "AuditResult", "audit", "audit_function", "diff_findings", "findings_to_json",
           "to_sarif", "to_text", "with_source"]
