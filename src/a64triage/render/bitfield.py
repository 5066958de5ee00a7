"""Datasheet-style layout of a FieldTree: rows of bit columns, one box per field.

Pure geometry, no markup: the HTML renderer draws what this computes, and the
tests check the geometry directly.  A register is cut into rows of
``ROW_BITS`` bits (bit numbers descend left to right, as in the Arm ARM
register diagrams); a field that straddles a row boundary becomes one box per
row.  Sub-fields (an ESR's ISS) are drawn as further levels under their
parent.  Rows above the lowest whose bits are all zero collapse into a note, so
a 64-bit ESR with ISS2 = 0 is drawn as one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from a64triage.arm64.fields import Field, FieldTree
from a64triage.render.common import is_reserved

ROW_BITS = 32


@dataclass(frozen=True)
class Box:
    """One field (or the part of it inside a row) at grid column ``col`` (1-based)."""

    name: str
    hi: int  # bits of this box (clipped to the row)
    lo: int
    value: int  # the value of those bits
    meaning: str
    col: int
    span: int
    level: int  # 0: top-level field, 1: its sub-fields, ...
    reserved: bool
    clipped: bool  # True when the field continues in another row
    field_hi: int  # the whole field's bits
    field_lo: int


@dataclass(frozen=True)
class Row:
    hi: int
    lo: int
    columns: int  # grid columns: ROW_BITS, so bit n of every row sits in the same column
    levels: tuple[tuple[Box, ...], ...]

    def column_of(self, bit: int) -> int:
        return self.lo + self.columns - bit

    @property
    def bits(self) -> int:
        return self.hi - self.lo + 1


@dataclass(frozen=True)
class Diagram:
    register: str
    value: int
    width: int
    rows: tuple[Row, ...]
    collapsed: tuple[str, ...]  # "bits [63:32] are zero: RES0, ISS2"


def _extract(value: int, hi: int, lo: int) -> int:
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def _boxes(
    fields: tuple[Field, ...], row_hi: int, row_lo: int, grid_hi: int, level: int, out: list[list[Box]]
) -> None:
    while len(out) <= level:
        out.append([])
    for f in sorted(fields, key=lambda x: -x.hi):
        hi, lo = min(f.hi, row_hi), max(f.lo, row_lo)
        if hi < lo:
            continue
        out[level].append(
            Box(
                name=f.name,
                hi=hi,
                lo=lo,
                value=_extract(f.value, hi - f.lo, lo - f.lo),
                meaning=f.meaning,
                col=grid_hi - hi + 1,
                span=hi - lo + 1,
                level=level,
                reserved=is_reserved(f),
                clipped=(hi, lo) != (f.hi, f.lo),
                field_hi=f.hi,
                field_lo=f.lo,
            )
        )
        if f.fields:
            _boxes(f.fields, row_hi, row_lo, grid_hi, level + 1, out)


def _names_in(fields: tuple[Field, ...], hi: int, lo: int) -> list[str]:
    return [f.name for f in sorted(fields, key=lambda x: -x.hi) if f.lo <= hi and f.hi >= lo]


def layout(tree: FieldTree, row_bits: int = ROW_BITS) -> Diagram:
    width = max(1, tree.width)
    fields = tree.fields or (Field("value", width - 1, 0, tree.value),)
    columns = row_bits if width >= row_bits else width
    starts = list(range(((width - 1) // row_bits) * row_bits, -1, -row_bits))
    rows: list[Row] = []
    collapsed: list[str] = []
    for lo in starts:
        hi = min(width - 1, lo + row_bits - 1)
        if lo > 0 and _extract(tree.value, hi, lo) == 0:
            names = ", ".join(dict.fromkeys(_names_in(fields, hi, lo)))
            collapsed.append(f"bits [{hi}:{lo}] are all zero ({names})")
            continue
        levels: list[list[Box]] = []
        _boxes(fields, hi, lo, lo + columns - 1, 0, levels)
        rows.append(Row(hi, lo, columns, tuple(tuple(x) for x in levels if x)))
    return Diagram(tree.register, tree.value, width, tuple(rows), tuple(collapsed))
