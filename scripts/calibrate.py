#!/usr/bin/env python3
"""Are explain's confidences calibrated?  Reliability table, ECE, and the fit that makes them so.

The labelled set: the QEMU crashes of Debian's arm64 kernel (tests/data/e2e/*.log, classes in
expected.toml), the real logs of tests/data/diagnose/logs (class in each file's header) and the
console corpus (tests/data/console, classes in tests/data/diagnose/console-labels.toml).

The events are EVERY ranked hypothesis of every report, not only the top one: a hypothesis
(class, confidence) is right when the report's label accepts its class.  A report explained as
"list-corruption 95%, bug 20%" gives one right event at 0.95 and one wrong one at 0.20, so the
table has wrong answers in it and says something about calibration (the top hypothesis alone is
right on nearly every labelled report).  Top-1 accuracy is reported beside it.

    python3 scripts/calibrate.py            # reliability table and ECE of the current confidences
    python3 scripts/calibrate.py --fit      # ... of freshly fitted ones, with cross-validated figures
    python3 scripts/calibrate.py --write    # fit and write src/a64triage/diagnose/fitted.py

The fit is counting, not tuning: for each rule, over the events it gave, the base confidence is
the fraction right among those with no boost applying, no key fact missing and not outranked,
shrunk toward the prior written in rules.py by a few pseudo-events; a boost's delta is the same
fraction over the events where the boost applies (shrunk toward base + the rules.py delta) minus
the base, never below 0; a missing key fact's penalty, and the penalty of a runner-up (another
class's hypothesis ranks first: engine.Scored.outranked), is the base minus the fraction over
the events where it holds (shrunk toward base - the prior penalty), never below 0.  A boost
or a missing fact no labelled event shows keeps its prior.  The prior's weight is the one of
PRIOR_WEIGHTS with the lowest cross-validated ECE.

The held-out figure is leave-one-log-out: each log's events are scored by a table fitted on the
other logs (the QEMU variants of one LKDTM crash, -nokaslr, -panic, -max, are one log there, so
a crash type is never scored by a fit that saw it).  No per-log answer is written anywhere: the
table holds one entry per rule.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
FITTED = REPO / "src" / "a64triage" / "diagnose" / "fitted.py"
PRIOR_WEIGHTS = (1.0, 2.0, 4.0, 8.0)  # pseudo-reports at the rules.py prior; chosen by leave-one-out ECE
BINS = 10

sys.path.insert(0, str(REPO / "src"))

from a64triage.console import parse_text  # noqa: E402
from a64triage.diagnose.engine import Entry, Scored, Table, prior, rank, score  # noqa: E402
from a64triage.diagnose.explain import ExplainContext, _kept_lines, analyse  # noqa: E402
from a64triage.diagnose.rules import RULES, Rule  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One labelled report: where it comes from and the classes its label accepts."""

    path: Path
    report: int  # 0-based index of the report in the log
    accepted: frozenset[str]
    group: str  # "qemu", "real", "console"

    @property
    def text(self) -> str:
        return body(self.path)


@dataclass(frozen=True)
class Observed:
    case: Case
    scored: list[Scored]


_HEADER_KEYS = ("source", "class", "also", "kind", "note", "el2", "report")


def _split(path: Path) -> tuple[list[str], str]:
    """(header lines, log body): a test log starts with ``key: value`` lines and a blank line
    (the metadata is not part of the log: a note quoting "WARNING: at ..." must not parse)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].startswith(tuple(f"{k}: " for k in _HEADER_KEYS)):
        return [], text
    for i, line in enumerate(lines):
        if not line.strip():
            return [x.rstrip("\n") for x in lines[:i]], "".join(lines[i + 1:])
    return [x.rstrip("\n") for x in lines], ""


def header(path: Path) -> dict[str, str]:
    """The ``key: value`` lines before the first blank line of a test log."""
    out: dict[str, str] = {}
    for line in _split(path)[0]:
        key, sep, value = line.partition(": ")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


def body(path: Path) -> str:
    """The log itself, without its header."""
    return _split(path)[1]


def labelled_cases() -> list[Case]:
    cases: list[Case] = []
    expected_path = DATA / "e2e" / "expected.toml"
    if expected_path.exists():
        expected = tomllib.loads(expected_path.read_text(encoding="utf-8"))
        for log in sorted((DATA / "e2e").glob("*.log")):
            want = expected.get(log.stem.split("-")[0])
            if want is not None:
                cases.append(Case(log, 0, frozenset([want["class"], *want.get("also", [])]), "qemu"))
    for log in sorted((DATA / "diagnose" / "logs").glob("*.log")):
        head = header(log)
        if "class" in head:
            also = [c.strip() for c in head.get("also", "").split(",") if c.strip()]
            cases.append(Case(log, int(head.get("report", "1")) - 1, frozenset([head["class"], *also]), "real"))
    labels_path = DATA / "diagnose" / "console-labels.toml"
    if labels_path.exists():
        labels = tomllib.loads(labels_path.read_text(encoding="utf-8"))["labels"]
        for name, accepted in sorted(labels.items()):
            log = DATA / "console" / name
            if log.exists():
                cases.append(Case(log, 0, frozenset(accepted), "console"))
    return cases


def observe(cases: Iterable[Case]) -> list[Observed]:
    """Run the stages once per case and keep what the confidences depend on."""
    out: list[Observed] = []
    for case in cases:
        text = body(case.path)
        reports = parse_text(text)
        if len(reports) <= case.report:
            out.append(Observed(case, []))
            continue
        ctx = ExplainContext(lines=_kept_lines(text.splitlines(), reports))
        out.append(Observed(case, score(analyse(reports[case.report], ctx).facts)))
    return out


def top(obs: Observed, table: Table) -> tuple[str, float]:
    ranked = rank(obs.scored, table)
    if not ranked:
        return "", 0.0
    s, conf = ranked[0]
    return s.rule.cls.value, conf


def events(obs: Observed, table: Table) -> list[tuple[Scored, float, bool]]:
    """Every ranked hypothesis of one report: (what it depends on, its confidence, right?)."""
    return [(s, conf, s.rule.cls.value in obs.case.accepted) for s, conf in rank(obs.scored, table)]


def log_key(case: Case) -> str:
    """The unit left out by cross-validation: one log (the QEMU variants of one crash are one)."""
    if case.group == "qemu":
        return "qemu:" + case.path.stem.split("-")[0]
    return f"{case.group}:{case.path.name}"


def _shrunk(hits: float, n: int, prior_value: float, weight: float) -> float:
    return (hits + weight * prior_value) / (n + weight)


def _lift(on: list[bool], base: float, delta: float, weight: float) -> float:
    """A boost's delta: the fraction right where it applies, shrunk toward base + its prior."""
    return round(max(0.0, _shrunk(sum(on), len(on), min(base + delta, 0.99), weight) - base), 2)


def _drop(on: list[bool], base: float, delta: float, weight: float) -> float:
    """A penalty: base minus the fraction right where it applies, shrunk toward base - its prior."""
    return round(max(0.0, base - _shrunk(sum(on), len(on), max(base - delta, 0.01), weight)), 2)


def fit(observed: Sequence[Observed], weight: float, rules: Sequence[Rule] = RULES,
        rounds: int = 4) -> dict[str, Entry]:
    """The fitted table (see the module docstring).  Which rule gives a class's hypothesis
    depends on the table, so the fit is repeated from the rules.py priors until it settles."""
    table: dict[str, Entry] = {}
    for _ in range(rounds):
        new = _fit_once(observed, rules, table, weight)
        if new == table:
            break
        table = new
    return table


def _fit_once(observed: Sequence[Observed], rules: Sequence[Rule], table: Table,
              weight: float) -> dict[str, Entry]:
    by_rule: dict[str, list[tuple[Scored, bool]]] = {}
    for o in observed:
        for s, _, ok in events(o, table):
            by_rule.setdefault(s.rule.name, []).append((s, ok))
    out: dict[str, Entry] = {}
    for rule in rules:
        rows = by_rule.get(rule.name)
        if not rows:
            continue
        p_base, p_deltas, p_pens, p_out = prior(rule)
        # The base is read off the plain events; when there are none, off the first-ranked ones
        # with no key fact missing, then off the first-ranked ones, and then off all of them.  A
        # boost's or a need's figure is read off the first-ranked events it applies to when there
        # are some: a runner-up's own penalty is fitted apart.
        first = [(s, ok) for s, ok in rows if not s.outranked]
        plain = [ok for s, ok in first if not any(s.boosts) and not any(s.missing)] \
            or [ok for s, ok in first if not any(s.missing)] or [ok for _, ok in first] or [ok for _, ok in rows]
        base = round(_shrunk(sum(plain), len(plain), p_base, weight), 2)
        deltas = tuple(_lift([ok for s, ok in first if s.boosts[j]] or [ok for s, ok in rows if s.boosts[j]],
                             base, d, weight) for j, d in enumerate(p_deltas))
        penalties = tuple(_drop([ok for s, ok in first if s.missing[k]] or [ok for s, ok in rows if s.missing[k]],
                                base, d, weight) for k, d in enumerate(p_pens))
        outranked = _drop([ok for s, ok in rows if s.outranked], base, p_out, weight)
        out[rule.name] = (base, deltas, penalties, outranked)
    return out


@dataclass(frozen=True)
class Reliability:
    rows: list[tuple[float, float, int, float, float]]  # (lo, hi, n, mean confidence, fraction right)
    ece: float
    accuracy: float  # fraction of events right
    n: int


def reliability(points: Sequence[tuple[float, bool]]) -> Reliability:
    """Bucketed (confidence, right) pairs and the expected calibration error."""
    rows = []
    ece = 0.0
    n = len(points)
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        inside = [(c, ok) for c, ok in points if lo <= c < hi or (b == BINS - 1 and c == 1.0)]
        if not inside:
            continue
        conf = sum(c for c, _ in inside) / len(inside)
        acc = sum(ok for _, ok in inside) / len(inside)
        rows.append((lo, hi, len(inside), conf, acc))
        ece += len(inside) / n * abs(acc - conf)
    accuracy = sum(ok for _, ok in points) / n if n else 0.0
    return Reliability(rows, round(ece, 4), accuracy, n)


def evaluate(observed: Sequence[Observed], table: Table) -> Reliability:
    """Reliability over every ranked hypothesis of every report."""
    return reliability([(conf, ok) for o in observed for _, conf, ok in events(o, table)])


def top1(observed: Sequence[Observed], table: Table) -> float:
    """Fraction of reports whose top hypothesis the label accepts."""
    return sum(top(o, table)[0] in o.case.accepted for o in observed) / len(observed) if observed else 0.0


def cross_validated(observed: Sequence[Observed], weight: float) -> tuple[Reliability, float]:
    """Leave-one-log-out: each log's events scored by a table fitted on all the other logs.
    Returns the reliability of those held-out events and the held-out top-1 accuracy."""
    points: list[tuple[float, bool]] = []
    right = 0
    for key in sorted({log_key(o.case) for o in observed}):
        held = [o for o in observed if log_key(o.case) == key]
        table = fit([o for o in observed if log_key(o.case) != key], weight)
        for o in held:
            points += [(conf, ok) for _, conf, ok in events(o, table)]
            right += top(o, table)[0] in o.case.accepted
    return reliability(points), right / len(observed) if observed else 0.0


def choose_weight(observed: Sequence[Observed]) -> tuple[float, dict[float, tuple[Reliability, float]]]:
    """The prior weight with the lowest cross-validated ECE, and every weight's figures."""
    cv = {w: cross_validated(observed, w) for w in PRIOR_WEIGHTS}
    return min(PRIOR_WEIGHTS, key=lambda w: (cv[w][0].ece, w)), cv


def render(title: str, r: Reliability) -> str:
    lines = [f"{title}: {r.n} hypotheses, {r.accuracy:.1%} right, ECE {r.ece:.3f}",
             "  confidence    hypotheses  mean conf  fraction right"]
    for lo, hi, n, conf, acc in r.rows:
        lines.append(f"  [{lo:.1f}, {hi:.1f})  {n:11d}  {conf:9.3f}  {acc:14.3f}")
    return "\n".join(lines)


def write_table(table: dict[str, Entry], provenance: str) -> None:
    body = "\n".join(f"    {name!r}: ({base}, {tuple(deltas)!r}, {tuple(pens)!r}, {out}),"
                     for name, (base, deltas, pens, out) in sorted(table.items()))
    FITTED.write_text(f'''"""Fitted confidences of the rule table (generated by scripts/calibrate.py --write; do not edit).

rule name -> (base confidence, delta per boost in rule order, penalty per need in rule order,
penalty when another class's hypothesis ranks first).
Rules absent here keep the prior written in rules.py.
"""

from __future__ import annotations

FITTED: dict[str, tuple[float, tuple[float, ...], tuple[float, ...], float]] = {{
{body}
}}
FITTED_ON = {provenance!r}
''', encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="fit the confidences and show their figures")
    ap.add_argument("--write", action="store_true", help="fit and write src/a64triage/diagnose/fitted.py")
    args = ap.parse_args(argv)
    cases = labelled_cases()
    observed = observe(cases)
    from a64triage.diagnose.fitted import FITTED as current

    print(render("current confidences, every ranked hypothesis", evaluate(observed, current)))
    print(f"  top-1: {len(observed)} reports, top class right {top1(observed, current):.1%}")
    for group in ("qemu", "real", "console"):
        part = [o for o in observed if o.case.group == group]
        print(f"  {group}: {len(part)} reports, top class right {top1(part, current):.1%}, "
              f"hypotheses ECE {evaluate(part, current).ece:.3f}")
    final: Table = current
    if args.fit or args.write:
        weight, cv = choose_weight(observed)
        print("\nprior weight -> leave-one-log-out ECE: "
              + ", ".join(f"{w:g} -> {cv[w][0].ece:.3f}" for w in PRIOR_WEIGHTS))
        table = fit(observed, weight)
        inside = evaluate(observed, table)
        print(render(f"\nfitted on the whole set (prior weight {weight:g}), in-sample", inside))
        print(f"  top-1: top class right {top1(observed, table):.1%}")
        print(render("\nleave-one-log-out (each log scored by a fit on the other logs)", cv[weight][0]))
        print(f"  top-1 held out: top class right {cv[weight][1]:.1%}")
        if args.write:
            groups = ", ".join(f"{sum(c.group == g for c in cases)} {g}" for g in ("qemu", "real", "console"))
            write_table(table, f"{len(cases)} labelled reports ({groups}), {inside.n} ranked hypotheses; "
                               f"prior weight {weight:g}; ECE {inside.ece:.3f} in-sample, "
                               f"{cv[weight][0].ece:.3f} leave-one-log-out")
            print(f"\nwrote {FITTED.relative_to(REPO)}")
        final = table
    for o in observed:
        got = top(o, final)[0]
        if got not in o.case.accepted:
            print(f"  wrong top: {o.case.path.name}: {got or 'no report'} (label {', '.join(sorted(o.case.accepted))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
