"""Old name of the audit stage's ELF reader, kept for callers outside ``src/``.

The reader is ``rawelf.RawElf`` now (one struct-based reader for every stage);
tests/relocs and bench/audit_bench.py still import ``AuditElf`` from here and
call ``data()``, the old name of ``section_data()``.
"""

from __future__ import annotations

from a64triage.symbols.rawelf import RawElf, RawReloc, RawSymbol, Section

__all__ = ["AuditElf", "RawReloc", "RawSymbol"]


class AuditElf(RawElf):
    def __enter__(self) -> AuditElf:
        return self

    def data(self, sec: Section) -> bytes:
        return self.section_data(sec)
