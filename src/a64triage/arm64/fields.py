"""The field tree: the one result type of every register decoder.

Decoders never print; text output, ``--json``, the HTML bit-field diagrams and
the tests all walk the same tree.  JSON shape (a contract, see issue 2):
``{"register", "value": "0x..", "width", "fields": [{"name", "bits": [hi, lo],
"value", "meaning", "fields": [...]}], "notes": [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _find(fields: tuple[Field, ...], name: str) -> Field | None:
    for f in fields:
        if f.name == name:
            return f
        hit = _find(f.fields, name)
        if hit is not None:
            return hit
    return None


@dataclass(frozen=True)
class Field:
    """A bit range [hi:lo] of a register, its value and what the value means."""

    name: str
    hi: int
    lo: int
    value: int
    meaning: str = ""
    fields: tuple[Field, ...] = ()

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1

    def find(self, name: str) -> Field | None:
        """Depth-first search for a sub-field by name (e.g. ``"DFSC"``)."""
        return _find(self.fields, name)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "bits": [self.hi, self.lo],
            "value": self.value,
            "meaning": self.meaning,
            "fields": [f.to_json() for f in self.fields],
        }


@dataclass(frozen=True)
class FieldTree:
    """A decoded register: top-level fields cover every bit of ``width`` exactly once."""

    register: str
    value: int
    width: int
    fields: tuple[Field, ...]
    notes: tuple[str, ...] = ()
    summary: str = ""

    def find(self, name: str) -> Field | None:
        return _find(self.fields, name)

    def to_json(self) -> dict[str, Any]:
        return {
            "register": self.register,
            "value": f"0x{self.value:x}",
            "width": self.width,
            "summary": self.summary,
            "fields": [f.to_json() for f in self.fields],
            "notes": list(self.notes),
        }
