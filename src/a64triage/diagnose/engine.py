"""The generic evaluator of the rule table: facts in, ranked hypotheses out."""

from __future__ import annotations

from collections.abc import Mapping

from a64triage.diagnose.evidence import Sources, collect
from a64triage.diagnose.facts import Facts
from a64triage.diagnose.rules import RULES, Rule
from a64triage.diagnose.types import Evidence, Hypothesis

MAX_CONFIDENCE = 0.99


class _Values(dict[str, str]):
    """Template values; an unknown name renders as '?' instead of raising."""

    def __missing__(self, key: str) -> str:
        return "?"


def _fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(_Values(values))


def _fires(rule: Rule, facts: Facts) -> bool:
    return bool(rule.when(facts))


def fired(facts: Facts, rules: tuple[Rule, ...] = RULES) -> list[Rule]:
    """The rules whose predicate holds; the fallback rules only when no other rule does."""
    hits = [r for r in rules if not r.fallback and _fires(r, facts)]
    return hits or [r for r in rules if r.fallback and _fires(r, facts)]


def evaluate(facts: Facts, sources: Sources, rules: tuple[Rule, ...] = RULES) -> tuple[Hypothesis, ...]:
    """Every rule that fires becomes a hypothesis; one per class (the strongest), best first."""
    values = facts.values()
    best: dict[str, tuple[int, Hypothesis]] = {}
    for order, rule in enumerate(fired(facts, rules)):
        confidence = rule.confidence
        evidence = list(collect(rule.evidence, sources))
        evidence += [e for e in collect(("memory",), sources) if e not in evidence]  # a core's facts
        for boost in rule.boosts:
            if boost.when(facts):
                confidence += boost.delta
                evidence.append(Evidence("note", boost.why))
        hyp = Hypothesis(
            cls=rule.cls.value,
            confidence=round(min(confidence, MAX_CONFIDENCE), 2),
            summary=_fill(rule.summary, values),
            evidence=tuple(evidence),
            next_step=_fill(rule.next_step, values),
        )
        prev = best.get(hyp.cls)
        if prev is None or hyp.confidence > prev[1].confidence:
            best[hyp.cls] = (order, hyp)
    ranked = sorted(best.values(), key=lambda item: (-item[1].confidence, item[0]))
    return tuple(h for _, h in ranked)
