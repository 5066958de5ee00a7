#!/usr/bin/env python3
"""Are explain's confidences calibrated?  Reliability table, ECE, and the fit that makes them so.

The labelled set: the QEMU crashes of Debian's arm64 kernel (tests/data/e2e/*.log, classes in
expected.toml), the real logs of tests/data/diagnose/logs (class in each file's header) and the
console corpus (tests/data/console, classes in tests/data/diagnose/console-labels.toml).  A case
is right when the top hypothesis's class is one the label accepts.

    python3 scripts/calibrate.py            # reliability table and ECE of the current confidences
    python3 scripts/calibrate.py --fit      # ... of freshly fitted ones, with leave-one-out figures
    python3 scripts/calibrate.py --write    # fit and write src/a64triage/diagnose/fitted.py

The fit is counting, not tuning: for each rule, the base confidence is the fraction of labelled
reports it fired on whose label accepts its class (reports with no boost applying and no key fact
missing), shrunk toward the prior written in rules.py by a few pseudo-reports; a boost's delta is the
same fraction over the reports where the boost applies (shrunk toward base + the rules.py delta)
minus the base, never below 0; a missing key fact's penalty is the base minus the fraction over
the reports where it is missing (shrunk toward base - the rules.py penalty).  A boost or a
missing fact no labelled report shows keeps its rules.py delta.  The
prior's weight (how many pseudo-reports) is the one of PRIOR_WEIGHTS with the lowest
leave-one-out ECE; a rule seen on few reports stays near its prior.
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
from a64triage.diagnose.engine import Scored, Table, rank, score  # noqa: E402
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


def _shrunk(hits: float, n: int, prior: float, weight: float) -> float:
    return (hits + weight * prior) / (n + weight)


def _rows(observed: Sequence[Observed], rule: Rule, table: Table) -> list[tuple[Scored, bool]]:
    """The reports a rule speaks for: those where it ranks first (the confidence a user reads as
    "how often is the answer right"); a rule that is never first, all the reports it fired on."""
    fired = [(o, s) for o in observed for s in o.scored if s.rule.name == rule.name]
    first = [(o, s) for o, s in fired if (r := rank(o.scored, table)) and r[0][0].rule.name == rule.name]
    return [(s, rule.cls.value in o.case.accepted) for o, s in (first or fired)]


def fit(observed: Sequence[Observed], weight: float, rules: Sequence[Rule] = RULES,
        rounds: int = 3) -> dict[str, tuple[float, tuple[float, ...], tuple[float, ...]]]:
    """The fitted table (see the module docstring).  Which rule ranks first depends on the
    table, so the fit is repeated from the rules.py priors until the ranking settles."""
    table: dict[str, tuple[float, tuple[float, ...], tuple[float, ...]]] = {}
    for _ in range(rounds):
        new = _fit_once(observed, rules, table, weight)
        if new == table:
            break
        table = new
    return table


def _fit_once(observed: Sequence[Observed], rules: Sequence[Rule], table: Table,
              weight: float) -> dict[str, tuple[float, tuple[float, ...], tuple[float, ...]]]:
    out: dict[str, tuple[float, tuple[float, ...], tuple[float, ...]]] = {}
    for rule in rules:
        rows = _rows(observed, rule, table)
        if not rows:
            continue
        # The base is read off the reports with no boost and no missing fact; when there are none,
        # off those with no missing fact, and then off all of them.
        plain = [ok for s, ok in rows if not any(s.boosts) and not any(s.missing)] \
            or [ok for s, ok in rows if not any(s.missing)] or [ok for _, ok in rows]
        base = round(_shrunk(sum(plain), len(plain), rule.confidence, weight), 2)
        deltas = []
        for j, boost in enumerate(rule.boosts):
            on = [ok for s, ok in rows if s.boosts[j]]
            lift = _shrunk(sum(on), len(on), min(base + boost.delta, 0.99), weight) - base
            deltas.append(round(max(0.0, lift), 2))  # a corroborating fact never lowers the confidence
        penalties = []
        for k, need in enumerate(rule.needs):
            off = [ok for s, ok in rows if s.missing[k]]
            prior = max(base - need.delta, 0.01)
            penalties.append(round(max(0.0, base - _shrunk(sum(off), len(off), prior, weight)), 2))
        out[rule.name] = (base, tuple(deltas), tuple(penalties))
    return out


@dataclass(frozen=True)
class Reliability:
    rows: list[tuple[float, float, int, float, float]]  # (lo, hi, n, mean confidence, fraction right)
    ece: float
    accuracy: float
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
    points = []
    for o in observed:
        cls, conf = top(o, table)
        points.append((conf, cls in o.case.accepted))
    return reliability(points)


def leave_one_out(observed: Sequence[Observed], weight: float) -> Reliability:
    """Each case scored by a table fitted on all the others: the honest figure."""
    points = []
    for i, o in enumerate(observed):
        table = fit([x for j, x in enumerate(observed) if j != i], weight)
        cls, conf = top(o, table)
        points.append((conf, cls in o.case.accepted))
    return reliability(points)


def render(title: str, r: Reliability) -> str:
    lines = [f"{title}: {r.n} reports, top class right {r.accuracy:.1%}, ECE {r.ece:.3f}",
             "  confidence    reports  mean conf  fraction right"]
    for lo, hi, n, conf, acc in r.rows:
        lines.append(f"  [{lo:.1f}, {hi:.1f})  {n:8d}  {conf:9.3f}  {acc:14.3f}")
    return "\n".join(lines)


def write_table(table: dict[str, tuple[float, tuple[float, ...], tuple[float, ...]]], provenance: str) -> None:
    body = "\n".join(f"    {name!r}: ({base}, {tuple(deltas)!r}, {tuple(pens)!r}),"
                     for name, (base, deltas, pens) in sorted(table.items()))
    FITTED.write_text(f'''"""Fitted confidences of the rule table (generated by scripts/calibrate.py --write; do not edit).

rule name -> (base confidence, delta per boost in rule order, penalty per need in rule order).
Rules absent here keep the prior written in rules.py.
"""

from __future__ import annotations

FITTED: dict[str, tuple[float, tuple[float, ...], tuple[float, ...]]] = {{
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

    print(render("current confidences", evaluate(observed, current)))
    for group in ("qemu", "real", "console"):
        part = [o for o in observed if o.case.group == group]
        r = evaluate(part, current)
        print(f"  {group}: {r.n} reports, top class right {r.accuracy:.1%}")
    final: Table = current
    if args.fit or args.write:
        loo = {w: leave_one_out(observed, w) for w in PRIOR_WEIGHTS}
        weight = min(PRIOR_WEIGHTS, key=lambda w: (loo[w].ece, w))
        print("\nprior weight -> leave-one-out ECE: " + ", ".join(f"{w:g} -> {loo[w].ece:.3f}" for w in PRIOR_WEIGHTS))
        table = fit(observed, weight)
        print(render(f"\nfitted on the whole set (prior weight {weight:g})", evaluate(observed, table)))
        print(render("\nleave-one-out (each report scored by a fit on the others)", loo[weight]))
        if args.write:
            groups = ", ".join(f"{sum(c.group == g for c in cases)} {g}" for g in ("qemu", "real", "console"))
            write_table(table, f"{len(cases)} labelled reports ({groups}); prior weight {weight:g}; "
                               f"ECE {evaluate(observed, table).ece:.3f}, leave-one-out ECE {loo[weight].ece:.3f}")
            print(f"\nwrote {FITTED.relative_to(REPO)}")
        final = table
    wrong = [(o.case.path.name, top(o, final)[0], sorted(o.case.accepted)) for o in observed
             if top(o, final)[0] not in o.case.accepted]
    for name, got, want in wrong:
        print(f"  wrong: {name}: {got or 'no report'} (label {', '.join(want)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
