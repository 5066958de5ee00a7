"""The documented class list is stable, complete and matches the code."""

from __future__ import annotations

import re

from diag_helpers import REPO

from a64triage.diagnose.classes import DESCRIPTIONS, BugClass
from a64triage.diagnose.evidence import PRODUCERS
from a64triage.diagnose.rules import RULES

# The classes issue #6 promises (ids are a contract: never rename or remove one).
REQUIRED = {
    "null-deref", "wild-pointer", "use-after-free", "double-free", "list-corruption",
    "exec-non-executable", "write-read-only", "user-access-violation", "alignment",
    "stack-overflow", "stack-corruption", "bug-assertion", "warning", "kasan", "ubsan", "cfi",
    "pac-failure", "bti-failure", "serror", "external-abort", "undefined-instruction",
    "soft-lockup", "hard-lockup", "rcu-stall", "hung-task", "refcount", "usercopy", "fortify",
    "hyp-absolute-address", "panic",
}


def test_required_classes_exist() -> None:
    assert {c.value for c in BugClass} >= REQUIRED


def test_every_class_is_described() -> None:
    assert set(DESCRIPTIONS) == set(BugClass)


def test_docs_list_exactly_the_classes() -> None:
    text = (REPO / "docs" / "CLASSES.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, re.MULTILINE))
    assert documented == {c.value for c in BugClass}
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| .* \| (.*) \|$", text, re.MULTILINE))
    for c in BugClass:
        assert DESCRIPTIONS[c] in text, f"docs/CLASSES.md has a stale description of {c.value}"
        rules = ", ".join(f"`{r.name}`" for r in RULES if r.cls == c)
        assert rows.get(c.value, "") == rules, f"docs/CLASSES.md lists stale rules for {c.value}"


def test_rules_are_well_formed() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)), "rule names must be unique"
    for rule in RULES:
        assert 0 < rule.confidence < 1, rule.name
        assert rule.summary and rule.next_step, rule.name
        for key in rule.evidence:
            assert key in PRODUCERS, f"{rule.name}: unknown evidence {key}"
    assert sum(r.fallback for r in RULES) == 1
