"""Declarative field tables and the one small walker that turns them into Fields.

Every register family is a tuple of :class:`FieldSpec` rows (name, bit range,
what the field is, what each value means, where the fact comes from).  The
walker :func:`walk` sorts the rows, fills every bit the table leaves out with a
``RES0``/``-`` field so that the decoded fields cover the register exactly once,
and evaluates each row's meaning.  Decoders therefore stay data, not code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from a64triage.arm64.fields import Field

Meaning = Callable[[int], str]
SubFields = Callable[[int], tuple[Field, ...]]


@dataclass(frozen=True)
class FieldSpec:
    """One row of a register table.

    ``values`` maps encodings to meanings; ``meaning`` computes a meaning from
    the value (used when an enumeration does not fit, e.g. sizes); ``sub``
    decodes nested fields (the ISS of an ESR, the IT bits of an SPSR...).
    ``reserved`` marks bits the architecture defines as RES0/RES1/UNKNOWN.
    """

    name: str
    hi: int
    lo: int
    what: str = ""
    values: Mapping[int, str] | None = None
    meaning: Meaning | None = None
    sub: SubFields | None = None
    reserved: bool = False

    def bits(self) -> range:
        return range(self.lo, self.hi + 1)


def bit(name: str, pos: int, what: str, one: str = "", zero: str = "") -> FieldSpec:
    """A one-bit flag whose meaning is ``what`` plus the set/clear wording."""
    values: dict[int, str] = {}
    if one:
        values[1] = one
    if zero:
        values[0] = zero
    return FieldSpec(name, pos, pos, what, values or None)


def res0(hi: int, lo: int) -> FieldSpec:
    return FieldSpec("RES0", hi, lo, "reserved, RES0", reserved=True)


def res1(hi: int, lo: int) -> FieldSpec:
    return FieldSpec("RES1", hi, lo, "reserved, RES1", reserved=True)


def extract(value: int, hi: int, lo: int) -> int:
    return (value >> lo) & ((1 << (hi - lo + 1)) - 1)


def describe(spec: FieldSpec, v: int) -> str:
    """The meaning string of one field value (never raises)."""
    text = ""
    if spec.meaning is not None:
        text = spec.meaning(v)
    elif spec.values is not None:
        text = spec.values.get(v, "")
        if not text:
            text = f"reserved/unallocated encoding {v:#x}" if not spec.reserved else ""
    if spec.reserved:
        if spec.name == "RES1":
            return spec.what if v == (1 << (spec.hi - spec.lo + 1)) - 1 else f"{spec.what} (not all set!)"
        return spec.what if v == 0 else f"{spec.what} (non-zero: {v:#x})"
    if spec.what and text:
        return f"{spec.what}: {text}"
    return spec.what or text


def walk(value: int, specs: Sequence[FieldSpec], width: int, base: int = 0) -> tuple[Field, ...]:
    """Decode ``value`` (``width`` bits wide) with ``specs``.

    Bit positions in ``specs`` are relative to the field being decoded; ``base``
    shifts them into the enclosing register's numbering (so an ISS sub-field
    at ISS bit 6 is reported as ESR bit 6).  Bits no spec covers become
    explicit ``RES0`` fields; overlapping specs are a table bug and raise.
    A row's ``sub`` decoder numbers its bits from 0; the walker shifts them.
    """
    rows = sorted(specs, key=lambda s: s.lo)
    out: list[Field] = []
    nxt = 0
    for spec in rows:
        if spec.hi >= width or spec.lo < nxt or spec.hi < spec.lo:
            raise ValueError(f"field table bug: {spec.name} [{spec.hi}:{spec.lo}] overlaps or exceeds {width}")
        if spec.lo > nxt:
            out.append(_gap(value, spec.lo - 1, nxt, base))
        v = extract(value, spec.hi, spec.lo)
        subs = shifted(spec.sub(v), spec.lo + base) if spec.sub is not None else ()
        out.append(Field(spec.name, spec.hi + base, spec.lo + base, v, describe(spec, v), subs))
        nxt = spec.hi + 1
    if nxt < width:
        out.append(_gap(value, width - 1, nxt, base))
    out.sort(key=lambda f: -f.lo)
    return tuple(out)


def _gap(value: int, hi: int, lo: int, base: int) -> Field:
    v = extract(value, hi, lo)
    meaning = "reserved, RES0" if v == 0 else f"reserved, RES0 (non-zero: {v:#x})"
    return Field("RES0", hi + base, lo + base, v, meaning)


def shifted(fields: tuple[Field, ...], base: int) -> tuple[Field, ...]:
    """Re-number already decoded fields by ``base`` bits (used for nested fields)."""
    return tuple(
        Field(f.name, f.hi + base, f.lo + base, f.value, f.meaning, shifted(f.fields, base))
        for f in fields
    )


@dataclass(frozen=True)
class RegisterDef:
    """A decodable register: its table (possibly value-dependent), summary and notes."""

    name: str
    width: int
    table: Callable[[int], Sequence[FieldSpec]]
    source: str
    summary: Callable[[int], str] | None = None
    notes: Callable[[int], tuple[str, ...]] | None = None


def fixed_table(*specs: FieldSpec) -> Callable[[int], Sequence[FieldSpec]]:
    rows = tuple(specs)

    def table(_v: int) -> Sequence[FieldSpec]:
        return rows

    return table


def nibble_features(rows: Sequence[tuple[str, int, Mapping[int, str]]]) -> tuple[FieldSpec, ...]:
    """ID-register style 4-bit feature fields: (name, lo bit, value meanings)."""
    return tuple(FieldSpec(name, lo + 3, lo, name, values) for name, lo, values in rows)
