"""Shared helpers for the console tests: the golden corpus and the JSON schema."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "console"
SCHEMA_PATH = ROOT / "src" / "a64triage" / "schemas" / "report.schema.json"


@dataclass(frozen=True)
class Case:
    """One corpus file: header fields and the raw log below the blank line."""

    path: Path
    source: str
    kind: str
    notes: tuple[str, ...]
    body: str

    @property
    def golden(self) -> Path:
        return self.path.with_name(self.path.name.removesuffix(".log") + ".expected.json")


def load_case(path: Path) -> Case:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    head, sep, body = raw.partition("\n\n")
    assert sep, f"{path.name}: header must end with a blank line"
    fields: dict[str, list[str]] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(": ")
        assert colon and key in ("source", "kind", "note"), f"{path.name}: bad header line {line!r}"
        fields.setdefault(key, []).append(value)
    assert len(fields.get("source", [])) == 1 and fields["source"][0].startswith("https://"), path.name
    assert len(fields.get("kind", [])) == 1, path.name
    return Case(path, fields["source"][0], fields["kind"][0], tuple(fields.get("note", [])), body)


def cases() -> list[Case]:
    return [load_case(p) for p in sorted(DATA.glob("*.log"))]


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded
