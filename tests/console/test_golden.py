"""Golden tests over real crash logs (tests/data/console/*.log).

Each log's parse is compared with ``<name>.expected.json``; regenerate with
``A64TRIAGE_UPDATE_GOLDEN=1`` and review the diff by eye.  Line numbers in the
goldens count lines of the log body (below the header's blank line).
"""

from __future__ import annotations

import json
import os

import jsonschema
import pytest
from console_corpus import Case, cases, schema

from a64triage.console import parse_text, reports_document

CASES = cases()
UPDATE = os.environ.get("A64TRIAGE_UPDATE_GOLDEN") == "1"


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.source for c in CASES}) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_golden(case: Case) -> None:
    doc = reports_document(parse_text(case.body))
    jsonschema.validate(doc, schema())
    text = json.dumps(doc, indent=1, sort_keys=False) + "\n"
    if UPDATE:
        case.golden.write_text(text, encoding="utf-8")
    assert case.golden.exists(), f"no golden for {case.path.name}; run with A64TRIAGE_UPDATE_GOLDEN=1"
    expected = json.loads(case.golden.read_text(encoding="utf-8"))
    assert doc == expected


@pytest.mark.parametrize("case", CASES, ids=[c.path.stem for c in CASES])
def test_header_kind_matches_first_report(case: Case) -> None:
    reports = parse_text(case.body)
    if case.kind == "none":
        assert reports == []
    else:
        assert reports, f"{case.path.name}: no report found"
        assert reports[0].kind == case.kind
        assert all(r.title and "0x" not in r.title for r in reports)
