"""The generic evaluator of the rule table: facts in, ranked hypotheses out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from a64triage.diagnose.evidence import Sources, collect
from a64triage.diagnose.facts import Facts
from a64triage.diagnose.fitted import FITTED
from a64triage.diagnose.rules import RULES, Rule
from a64triage.diagnose.types import Evidence, Hypothesis

MAX_CONFIDENCE = 0.99
MIN_CONFIDENCE = 0.01


class _Values(dict[str, str]):
    """Template values; a name the facts do not provide says so instead of raising."""

    def __missing__(self, key: str) -> str:
        return f"(no {key} in the facts)"


def _fill(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(_Values(values))


def _fires(rule: Rule, facts: Facts) -> bool:
    return bool(rule.when(facts))


def fired(facts: Facts, rules: tuple[Rule, ...] = RULES) -> list[Rule]:
    """The rules whose predicate holds; the fallback rules only when no other rule does."""
    hits = [r for r in rules if not r.fallback and _fires(r, facts)]
    return hits or [r for r in rules if r.fallback and _fires(r, facts)]


@dataclass(frozen=True)
class Scored:
    """One fired rule and which of its boosts apply and which of its key facts are missing:
    everything its confidence depends on (the calibration script fits on these)."""

    rule: Rule
    boosts: tuple[bool, ...]
    missing: tuple[bool, ...]
    # Another class's hypothesis ranks before this one (set by rank): a runner-up is seldom the
    # answer (a BUG() that a list-corruption check raised is not the cause), and its fitted
    # confidence says how seldom.
    outranked: bool = False


# Prior penalty of a runner-up (the fitted table replaces it, per rule): a generic rule names
# only the reporting mechanism, so once anything else ranks first it has little left to say; a
# specific rule's own facts still stand, and only the labelled set may lower it.
OUTRANKED_PRIOR = {True: 0.5, False: 0.0}


def score(facts: Facts, rules: tuple[Rule, ...] = RULES) -> list[Scored]:
    """The fired rules with their boost and need flags, in table order."""
    return [Scored(r, tuple(bool(b.when(facts)) for b in r.boosts), tuple(not n.present(facts) for n in r.needs))
            for r in fired(facts, rules)]


# rule name -> (base, delta per boost, penalty per need, penalty as a runner-up)
Entry = tuple[float, tuple[float, ...], tuple[float, ...], float]
Table = Mapping[str, Entry]


def prior(rule: Rule) -> Entry:
    """The hand-set values of rules.py: what a rule the fit has not seen keeps."""
    return (rule.confidence, tuple(b.delta for b in rule.boosts), tuple(n.delta for n in rule.needs),
            OUTRANKED_PRIOR[rule.generic])


def confidence(s: Scored, table: Table = FITTED) -> float:
    """Base + applying boosts - missing key facts - the runner-up penalty, from the fitted table
    (rules.py priors otherwise)."""
    base, deltas, penalties, outranked = table.get(s.rule.name) or prior(s.rule)
    value = base + sum(d for d, on in zip(deltas, s.boosts, strict=False) if on)
    value -= sum(p for p, on in zip(penalties, s.missing, strict=False) if on)
    value -= outranked if s.outranked else 0.0
    return round(min(max(value, MIN_CONFIDENCE), MAX_CONFIDENCE), 2)


def rank(scored: list[Scored], table: Table = FITTED) -> list[tuple[Scored, float]]:
    """One entry per class (its strongest rule), best first; ties keep table order.  A generic
    rule (BUG/WARN, "exception at EL2") ranks after every specific rule that fired.  The order is
    decided on each hypothesis's own confidence; every entry after the first then carries its
    runner-up penalty."""
    best: dict[str, tuple[int, Scored, float]] = {}
    for order, s in enumerate(scored):
        c = confidence(s, table)
        prev = best.get(s.rule.cls.value)
        if prev is None or c > prev[2]:
            best[s.rule.cls.value] = (order, s, c)
    # This order is the one every renderer shows: nothing downstream re-sorts.
    ordered = [s for _, s, _ in sorted(best.values(), key=lambda item: (item[1].rule.generic, -item[2], item[0]))]
    runners = [replace(s, outranked=True) for s in ordered[1:]]
    return [(s, confidence(s, table)) for s in ordered[:1] + runners]


def evaluate(facts: Facts, sources: Sources, rules: tuple[Rule, ...] = RULES) -> tuple[Hypothesis, ...]:
    """Every rule that fires becomes a hypothesis; one per class (the strongest), best first."""
    values = facts.values()
    out: list[Hypothesis] = []
    for s, conf in rank(score(facts, rules)):
        rule = s.rule
        evidence = list(collect(rule.evidence, sources))
        evidence += [e for e in collect(("memory",), sources) if e not in evidence]  # a core's facts
        evidence += [Evidence("note", b.why) for b, on in zip(rule.boosts, s.boosts, strict=True) if on]
        evidence += [Evidence("note", f"missing: {n.missing}") for n, on in zip(rule.needs, s.missing, strict=True) if on]
        out.append(Hypothesis(
            cls=rule.cls.value,
            confidence=conf,
            summary=_fill(rule.summary, values),
            evidence=tuple(evidence),
            next_step=_fill(rule.next_step, values),
        ))
    return tuple(out)
