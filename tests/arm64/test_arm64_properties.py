"""Properties: any 64-bit value decodes for every register; fields tile the register exactly."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from a64triage.arm64 import (
    REGISTERS,
    Field,
    FieldTree,
    decode,
    esr_summary,
    kernel_mem_abort_lines,
    tree_lines,
)
from a64triage.arm64.kernel_style import STYLES

U64 = st.integers(min_value=0, max_value=(1 << 64) - 1)
# bias towards interesting ESRs: every EC with random ISS/ISS2
ESRS = st.builds(lambda ec, rest: (rest & ~(0x3F << 26)) | ec << 26, st.integers(0, 63), U64)


def _tiles(fields: tuple[Field, ...], hi: int, lo: int) -> None:
    covered: list[int] = []
    for f in fields:
        assert lo <= f.lo <= f.hi <= hi, (f.name, f.hi, f.lo, hi, lo)
        covered.extend(range(f.lo, f.hi + 1))
        if f.fields:
            _tiles(f.fields, f.hi, f.lo)
    assert sorted(covered) == list(range(lo, hi + 1)), "gap or overlap"


def _check(tree: FieldTree, value: int) -> None:
    _tiles(tree.fields, tree.width - 1, 0)
    for f in tree.fields:
        assert f.value == (value >> f.lo) & ((1 << f.width) - 1)
        for sub in f.fields:
            assert sub.value == (value >> sub.lo) & ((1 << sub.width) - 1)
    json.dumps(tree.to_json())
    assert tree_lines(tree)


@settings(max_examples=150, deadline=None)
@given(U64)
def test_every_register_decodes_any_value(value: int) -> None:
    for reg in REGISTERS:
        _check(decode(reg, value), value)


@settings(max_examples=300, deadline=None)
@given(ESRS)
def test_esr_any_class(value: int) -> None:
    _check(decode("ESR_EL2", value), value)
    esr_summary(value)
    for style in STYLES:
        lines = kernel_mem_abort_lines(value, style)
        assert lines[0] == "Mem abort info:"


@settings(max_examples=200, deadline=None)
@given(U64, st.sampled_from([39, 42, 47, 48, 52]), st.sampled_from(["auto", "pre-5.4", "5.4+"]))
def test_any_address_classifies(value: int, va_bits: int, layout: str) -> None:
    t = decode("FAR", value, va_bits=va_bits, layout=layout)
    _check(t, value)
    assert t.summary.split(":", 1)[0].isupper()
