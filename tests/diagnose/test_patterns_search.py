"""The fast paths of ``diagnose.patterns`` answer as their plain twins do.

``LogPattern.search`` (a report-kind pattern ruled out by its rows' header literals,
formats' PREFILTER contract) as ``regex.search``, and ``present`` (patterns ruled out over
a report's joined lines, hits confirmed line by line) as ``present_plain``: on every report
of every real log the repository holds, and on Hypothesis' lines built from the rows' own
literals and split across line breaks, which are where a wrong literal or a match
spanning two lines would show."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from a64triage.console import parse_text
from a64triage.console.formats import FORMATS
from a64triage.diagnose.patterns import LOG_PATTERNS, present, present_plain

DATA = Path(__file__).resolve().parents[1] / "data"


def _real_reports() -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for path in sorted(DATA.rglob("*")):
        if path.is_file() and path.suffix in ("", ".log", ".txt") and path.stat().st_size < 2_000_000:
            out += [(str(path), r.lines) for r in parse_text(path.read_bytes().decode("utf-8", "replace"))]
    return out


REPORTS = _real_reports()
LINES = sorted({line for _name, lines in REPORTS for line in lines})
NARROWED = [p for p in LOG_PATTERNS if p.needs]


def test_some_patterns_are_narrowed() -> None:
    assert len(NARROWED) >= 15 and any(p.also is not None for p in NARROWED)


def test_real_lines() -> None:
    assert len(LINES) > 20_000
    hits = 0
    for p in LOG_PATTERNS:
        for line in LINES:
            plain = p.regex.search(line) is not None
            assert p.search(line) == plain, (p.name, line)
            hits += plain
    assert hits > 500  # matches were compared, not only misses


_HEADERS = sorted({f.literal for f in FORMATS if f.literal})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_HEADERS), st.sampled_from(LINES), st.text(max_size=20)),
                min_size=1, max_size=4))
def test_built_lines(parts: list[str]) -> None:
    line = " ".join(parts)
    for p in NARROWED:
        assert p.search(line) == (p.regex.search(line) is not None), (p.name, line)


def test_present_on_real_reports() -> None:
    assert len(REPORTS) > 1000
    found: set[str] = set()
    for name, lines in REPORTS:
        got = present(lines)
        assert got == present_plain(lines), name
        found |= got
    assert len(found) >= len(LOG_PATTERNS) * 3 // 4  # present patterns were compared, not only absent ones


_PIECES = ["Unable to handle kernel", " NULL pointer dereference", "Kernel panic - not syncing", "INFO: task a",
           "b:12 blocked for more than 120 seconds.", "Mem abort info:", "", " ", "HYP panic"]


@settings(max_examples=300, deadline=None)
@example(["INFO: task a", "b:12 blocked for more than 120 seconds."])  # a hung-task comm may hold a newline
@given(st.lists(st.one_of(st.sampled_from(LINES), st.sampled_from(_PIECES), st.sampled_from(_HEADERS),
                          st.text(max_size=30)), max_size=20))
def test_present_on_built_reports(lines: list[str]) -> None:
    assert present(lines) == present_plain(lines)
