"""Every header and context line holds one of formats.PREFILTER's literals.

The fast path of ``parse_file`` skips a line holding none of the PREFILTER literals while no
report is open, so a row whose regex could match a line without its literal would lose that
line's report or context.  Read from each row's regex itself (re's parser): the literal is
text every match contains when it lies in a run of plain characters outside anything
optional, or in every branch of an alternation.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from a64triage.console.formats import CONTEXT_LINES, FORMATS, PREFILTER

sre = importlib.import_module("re._parser")  # untyped, not public: read only here
C = importlib.import_module("re._constants")


def _parsed(rx: str) -> Any:
    """``rx`` read by re's parser; a case-insensitive regex may match its literal in another case."""
    items = sre.parse(rx)
    assert not items.state.flags & re.IGNORECASE, rx
    return items


def _needs(items: Any, literals: tuple[str, ...]) -> bool:
    """Does every match of the parsed regex ``items`` contain one of ``literals``?  (False when unsure.)"""
    run = ""
    for op, av in items:
        if op is C.LITERAL:
            run += chr(av)
            if any(lit in run for lit in literals):
                return True
            continue
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue  # zero width: the characters around it are adjacent in the text
        if op is C.SUBPATTERN and not av[1] and _needs(av[3], literals):  # no flags added (?i:...)
            return True
        if op is C.BRANCH and all(_needs(branch, literals) for branch in av[1]):
            return True
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1 and _needs(av[2], literals):
            return True
        run = ""
    return False


def test_needs_reads_regexes() -> None:
    assert _needs(sre.parse(r"^kvm \[\d{1,10}\]: (?P<v>\d{1,2})-bit VMID"), ("-bit VMID",))
    assert _needs(sre.parse(r"^(?:a cut here b|c cut here)$"), ("cut here",))
    assert not _needs(sre.parse(r"^(?:a cut here b|c cut)$"), ("cut here",))
    assert _needs(sre.parse(r"^(?:WARNING|BUG): x"), ("BUG", "WARNING"))
    assert not _needs(sre.parse(r"^(?:WARNING|BUG): x"), ("BUG",))
    assert not _needs(sre.parse(r"^(?:kvm \[\d\]: )?nVHE"), ("kvm [",))
    assert not _needs(sre.parse(r"^(?i:abc)"), ("abc",))
    assert not _needs(sre.parse(r"^ab?c"), ("abc",))


@pytest.mark.parametrize("row", CONTEXT_LINES, ids=lambda c: c.name)
def test_context_line_needs_its_literal(row: Any) -> None:
    """A context row's own literal: the most specific text its lines hold."""
    assert _needs(_parsed(row.rx), (row.literal,)), row.rx
    assert any(lit in row.literal for lit in PREFILTER)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_header_needs_a_prefilter_literal(fmt: Any) -> None:
    """(Not always the row's own literal: "WARNING:" with no blank after it is still a
    warning-other header, which holds "WARNING".)"""
    assert _needs(_parsed(fmt.header), PREFILTER), fmt.header
