"""The client's fast paths against their plain twins: the binary sniff counted in C, the
group fold from the keys a worker sends beside its finished lines, and inputs read in one
piece of their stat size."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from batch_helpers import E2E, result_records
from hypothesis import given, settings
from hypothesis import strategies as st

from a64triage.symbols.sources import SymbolRequest
from a64triage.triage.groups import GroupTable
from a64triage.triage.inputs import _SNIFF, _TEXT_CONTROLS, Item, Problem, looks_binary, walk
from a64triage.triage.worker import triage_inputs


def plain_looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    controls = sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS)
    return bool(head) and controls * 10 > len(head)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.sampled_from([b"a", b"\n", b"\t", b"\x00", b"\x1b", b"\x7f", b"\x01", b"\xff"]),
                          max_size=400).map(b"".join),
                 # past the sniffed 64 KiB: what follows it must not count
                 st.builds(lambda head, tail, n: head * n + tail, st.binary(min_size=1, max_size=9),
                           st.binary(max_size=9), st.integers(_SNIFF // 9, _SNIFF + 1))))
def test_binary_sniff_equals_the_plain_count(data: bytes) -> None:
    assert looks_binary(data) == plain_looks_binary(data)


def test_fold_from_worker_keys_equals_fold_of_the_lines_read_back() -> None:
    """What the client folds from the workers' keys is what --resume folds from the
    lines the workers wrote: one source of truth, two ways in."""
    logs = sorted(E2E.glob("*.log"))[:12]
    items = [(i, str(p), p.read_bytes(), hashlib.sha256(p.read_bytes()).hexdigest()) for i, p in enumerate(logs)]
    results = triage_inputs(items, SymbolRequest())
    fast, plain = GroupTable(), GroupTable()
    reports = 0
    for (index, name, _, sha), res in zip(items, results, strict=True):
        assert res.error is None
        fast.fold(index, name, sha, res.reports)
        recs = result_records(res)
        assert [r["report"] for r in recs] == list(range(len(res.reports)))
        assert all(r["input_index"] == index and r["input_sha256"] == sha for r in recs)
        assert json.loads(res.journal) == {"schema_version": "1.0", "input": name, "input_sha256": sha,
                                           "input_index": index, "reports": len(recs), "status": "ok"}
        for rec in recs:
            plain.add(rec)
        reports += len(recs)
    assert reports > len(logs) // 2
    assert fast.reports() == plain.reports() == reports
    assert [g.to_json(None, None) for g in fast.by_count()] == [g.to_json(None, None) for g in plain.by_count()]


def test_inputs_are_read_whole_whatever_size_the_file_system_gives() -> None:
    """A file is read as one piece of its stat size, then on if it holds more: a /proc
    file says 0 bytes and holds a page; every byte comes, and the limit still holds."""
    logs = sorted(E2E.glob("*.log"))[:5]
    got = list(walk([str(p) for p in logs]))
    assert [(i.name, i.data) for i in got if isinstance(i, Item)] == [(str(p), p.read_bytes()) for p in logs]
    proc = "/proc/self/status"
    if not os.path.exists(proc) or os.stat(proc).st_size:
        pytest.skip("needs a /proc file whose stat size is 0")
    (item,) = walk([proc])
    assert isinstance(item, Item) and item.data.startswith(b"Name:") and item.data.endswith(b"\n")
    assert len(item.data) > 100
    (cut,) = walk([proc], max_bytes=100)
    assert isinstance(cut, Problem) and cut.kind == "huge"
