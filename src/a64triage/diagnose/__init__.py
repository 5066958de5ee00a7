"""diagnose stage: ranked, evidence-backed hypotheses for each crash report.

Entry points: ``explain_log(path_or_text, *, vmlinux=None, modules_dir=None,
source_dir=None) -> Explanation`` and ``explain_report(report, ctx) ->
ReportExplanation``.  The rules are one declarative table (rules.py) over the
facts (facts.py) the earlier stages produce; classes are a stable list
(classes.py, docs/CLASSES.md).
"""

from __future__ import annotations

from a64triage.diagnose.classes import DESCRIPTIONS, BugClass
from a64triage.diagnose.explain import ExplainContext, explain_log, explain_report
from a64triage.diagnose.rules import RULES, Rule
from a64triage.diagnose.types import (
    Evidence,
    Explanation,
    FrameResult,
    Hypothesis,
    ReportExplanation,
)

__all__ = [
    "DESCRIPTIONS",
    "RULES",
    "BugClass",
    "Evidence",
    "ExplainContext",
    "Explanation",
    "FrameResult",
    "Hypothesis",
    "ReportExplanation",
    "Rule",
    "explain_log",
    "explain_report",
]
