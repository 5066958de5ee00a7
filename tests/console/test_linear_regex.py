"""No regex of the console grammar can backtrack super-linearly (issue #16 item 2).

Every ``re.Pattern`` reachable from the console modules' globals (tables, rows,
dataclass fields, unions built lazily by the matchers) is collected generically,
so a pattern added to a new row is covered without touching this file.  For each
one, the classic ReDoS attack strings are derived from its own parse tree: the
shortest text reaching a repetition (prefix), the repeated part's shortest match
(pump) said many times, then a character that makes the match fail (suffix).
Each string is timed at 1x, 4x and 16x pumps with the total number of characters
kept equal (16 calls at 1x, 4 at 4x, one at 16x): a linear pattern costs the same
at every size, a quadratic one 16 times more at 16x, an exponential one far more.
The test checks that ratio, never an absolute time.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Iterator
from re import _constants as C
from re import _parser as sre
from types import ModuleType
from typing import Any

import a64triage.console

BASE = 24  # characters of pump at 1x: below the saturation point of bounded repeats (e.g. {1,8} of {8,16})
SIZES = (1, 4, 16)
LIMIT = 6.0  # 16x / 1x cost ratio above which a pattern is super-linear (linear ~1, quadratic ~16)
CANDIDATES = "a0 A!-_.:/x\t#(>[]<=@+,;fF9Z\n"


def console_patterns() -> dict[str, re.Pattern[str]]:
    """Every compiled pattern in the console package, named by where it was found."""
    found: dict[str, re.Pattern[str]] = {}
    seen: set[int] = set()

    def walk(obj: Any, name: str, depth: int) -> None:
        if isinstance(obj, re.Pattern):
            if isinstance(obj.pattern, str):
                found.setdefault(obj.pattern, obj)
                found_names.setdefault(obj.pattern, name)
            return
        if depth > 6 or id(obj) in seen or isinstance(obj, str | bytes | int | float | type | ModuleType) or callable(obj):
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{name}[{k!r}]", depth + 1)
        elif isinstance(obj, list | tuple | set | frozenset):
            for i, v in enumerate(obj):
                walk(v, f"{name}[{i}]", depth + 1)
        else:
            fields = getattr(obj, "__dict__", None) or {s: getattr(obj, s, None) for s in getattr(obj, "__slots__", ())}
            for k, v in fields.items():
                walk(v, f"{name}.{k}", depth + 1)

    found_names: dict[str, str] = {}
    for info in pkgutil.walk_packages(a64triage.console.__path__, "a64triage.console."):
        mod = importlib.import_module(info.name)
        prime = getattr(mod, "_union", None)  # body-matcher unions are built on demand: build them all
        if callable(prime) and hasattr(mod, "_KNOWN_FIRST"):
            for c in [*sorted(mod._KNOWN_FIRST), "", "0"]:
                for bits in range(16):
                    walk(prime(c, bits), f"{info.name}._union({c!r}, {bits})", 0)
        for key, value in vars(mod).items():
            if not key.startswith("__"):
                walk(value, f"{info.name}.{key}", 0)
    return {found_names[p]: rx for p, rx in found.items()}


def _one_char(node: tuple[Any, Any], state: Any, extra: str) -> str:
    rx = re.compile(_compile_node([node], state))
    for c in extra + CANDIDATES:
        if rx.fullmatch(c):
            return c
    return ""


def _compile_node(nodes: list[Any], state: Any) -> Any:
    from re import _compiler

    sub = sre.SubPattern(state, list(nodes))
    return _compiler.compile(sub, 0)


def _sample(seq: Any, state: Any, extra: str) -> str:
    """A short string the node sequence matches (best effort: lookarounds are skipped)."""
    out: list[str] = []
    for op, av in seq:
        if op in (C.LITERAL,):
            out.append(chr(av))
        elif op in (C.IN, C.ANY, C.NOT_LITERAL, C.CATEGORY):
            out.append(_one_char((op, av), state, extra))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, _hi, body = av
            out.append(_sample(body, state, extra) * lo)
        elif op == C.SUBPATTERN:
            out.append(_sample(av[-1], state, extra))
        elif op == C.ATOMIC_GROUP:
            out.append(_sample(av, state, extra))
        elif op == C.BRANCH:
            out.append(_sample(av[1][0], state, extra))
    return "".join(out)


def _pumps(body: Any, state: Any, extra: str) -> Iterator[str]:
    whole = _sample(body, state, extra)
    if whole:
        yield whole
    for op, av in body:  # each alternative of a repeated alternation on its own
        if op == C.BRANCH:
            for branch in av[1]:
                s = _sample(branch, state, extra)
                if s:
                    yield s
        elif op == C.SUBPATTERN:
            yield from _pumps(av[-1], state, extra)


def attacks(rx: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    """(prefix, pump) pairs: one per repetition in the pattern, nested ones included."""
    parsed = sre.parse(rx.pattern, rx.flags & ~re.UNICODE)
    state = parsed.state
    extra = "".join(sorted({chr(av) for op, av in _flat(parsed) if op == C.LITERAL and av < 0x110000}))

    def walk(seq: Any, prefix: str) -> Iterator[tuple[str, str]]:
        items = list(seq)
        for i, (op, av) in enumerate(items):
            here = prefix + _sample(items[:i], state, extra)
            if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                for pump in _pumps(av[2], state, extra):
                    yield here, pump
                yield from walk(av[2], here)
            elif op == C.SUBPATTERN:
                yield from walk(av[-1], here)
            elif op == C.ATOMIC_GROUP:
                yield from walk(av, here)
            elif op == C.BRANCH:
                for branch in av[1]:
                    yield from walk(branch, here)

    yield from walk(parsed, "")


def _flat(seq: Any) -> Iterator[tuple[Any, Any]]:
    for op, av in seq:
        yield op, av
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            yield from _flat(av[2])
        elif op == C.SUBPATTERN:
            yield from _flat(av[-1])
        elif op == C.ATOMIC_GROUP:
            yield from _flat(av)
        elif op == C.BRANCH:
            for b in av[1]:
                yield from _flat(b)


def anchored(seq: Any) -> bool:
    """Does every branch start with ``^``?  Then the code calls ``match`` (searching
    would only add one failing ``^`` per position)."""
    if not len(seq):
        return False
    op, av = seq[0]
    if op == C.AT:
        return bool(av == C.AT_BEGINNING)
    if op == C.SUBPATTERN:
        return anchored(av[-1])
    if op == C.BRANCH:
        return all(anchored(b) for b in av[1])
    return False


def _cost(rx: re.Pattern[str], text: str, calls: int, runs: int, cap: float = float("inf")) -> float:
    """CPU time (not wall time: the machine is shared) of ``calls`` matches, best of
    ``runs``; extrapolated from the calls done once ``cap`` is passed."""
    call = rx.match if anchored(sre.parse(rx.pattern, rx.flags & ~re.UNICODE)) else rx.search
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for i in range(calls):
            call(text)
            spent = time.process_time() - start
            if spent > cap:
                return spent * calls / (i + 1)
        best = min(best, time.process_time() - start)
    return best


def ratio(rx: re.Pattern[str], prefix: str, pump: str, suffix: str) -> float:
    """Cost at the largest size over cost at 1x, equal characters each; stops at the
    first size that is already super-linear (an exponential pattern never reaches 16x)."""
    # At 1x the text is at least as long as the shortest match: a shorter one fails on its
    # length alone, a baseline so cheap that any pattern then looks super-linear (a bounded
    # "[^\n]{0,200}?" row was flagged so, now and then, by the 4x point).
    shortest = sre.parse(rx.pattern, rx.flags & ~re.UNICODE).getwidth()[0]
    reps = max(1, BASE // len(pump), -(-(shortest - len(prefix) - len(suffix)) // len(pump)))
    top = SIZES[-1]
    base = max(_cost(rx, prefix + pump * reps + suffix, top, 3), 1e-6)
    r = 1.0
    for k in SIZES[1:]:
        r = _cost(rx, prefix + pump * reps * k + suffix, top // k, 1 if k == top else 3, 2 * LIMIT * base) / base
        if r > LIMIT * k / top + 1:  # at 4x quadratic costs 4, linear 1
            return r * top / k
    return r


def super_linear(rx: re.Pattern[str]) -> list[str]:
    bad = []
    for prefix, pump in sorted(set(attacks(rx))):
        for suffix in ("\x00", "", "!"):
            r = ratio(rx, prefix, pump, suffix)
            if r > LIMIT and ratio(rx, prefix, pump, suffix) > LIMIT:  # twice: not a hiccup of a shared machine
                bad.append(f"{prefix!r} + {pump!r}*n + {suffix!r}: 16x costs {r:.0f}x")
                break
        if bad:
            break
    return bad


PATTERNS = console_patterns()


def test_the_collector_finds_the_grammar() -> None:
    """Header rows, body lines, frames and line hygiene are all in."""
    from a64triage.console import lines, patterns

    found = {rx.pattern for rx in PATTERNS.values()}
    wanted = [h.rx for h in patterns.HEADERS] + [rx for _, rx in patterns.BODY]
    wanted += [patterns.FRAME_MODERN, lines._QUOTE, lines._TS_CALLER]
    assert all(rx.pattern in found for rx in wanted)
    assert any("_union(" in name for name in PATTERNS) and len(PATTERNS) > 100


def test_no_pattern_backtracks_super_linearly() -> None:
    failures = {name: bad for name, rx in PATTERNS.items() if (bad := super_linear(rx))}
    assert not failures, "\n".join(f"{n}: {b[0]}" for n, b in failures.items())


def test_the_check_catches_a_catastrophic_pattern() -> None:
    """The hexdump line pattern as it was before issue #16's D2 fix, and a classic."""
    old = re.compile(r"^[0-9a-fA-F]{3,4}: (?: {8,16}| ?[0-9a-fA-F]{8,16}){1,8}\s?$")
    assert super_linear(old)
    assert super_linear(re.compile(r"^\d+\d+$"))  # quadratic
    assert not super_linear(re.compile(r"^[0-9a-fA-F]{3,4}: (?: {8,16}+| ?[0-9a-fA-F]{8,16}+){1,8}+\s?$"))
