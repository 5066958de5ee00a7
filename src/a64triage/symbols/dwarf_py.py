"""The pure-Python DWARF backend (pyelftools): address -> inline chain.

Used when drgn is not installed.  Per compilation unit it builds the line table
rows and the subprogram/inlined-subroutine scopes once, finding the unit via
``.debug_aranges`` (or the units' own ranges).  Fine for objects, modules and
the test fixtures; slow for a whole distribution vmlinux (its CUs are big).
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from elftools.common.exceptions import DWARFError, ELFError

from a64triage.errors import InputError
from a64triage.symbols.elf import ElfImage
from a64triage.symbols.rawelf import text
from a64triage.symbols.types import SourceLocation, clean_path

# What pyelftools raises on a damaged file besides its own errors: a short read (struct),
# a bad form or index, an assertion, a seek past 2^63 (OverflowError), a None where a
# value was expected (AttributeError).  One tuple, so no call site forgets one.
_DAMAGED = (ELFError, DWARFError, struct.error, ValueError, KeyError, IndexError, AssertionError,
            OverflowError, AttributeError)


@dataclass(frozen=True)
class _Scope:
    low: int
    high: int
    name: str
    call_file: str | None
    call_line: int | None
    call_column: int | None
    depth: int


@dataclass(frozen=True)
class _CuIndex:
    ranges: tuple[tuple[int, int], ...]
    rows: tuple[tuple[int, str | None, int, int], ...]  # (address, file, line, column), sorted
    row_addrs: tuple[int, ...]
    ends: frozenset[int]  # addresses that end a sequence
    scopes: tuple[_Scope, ...]


class ElftoolsLines:
    """pyelftools backend: per-CU line tables and subprogram/inline scopes, built on demand."""

    name = "pyelftools"

    def __init__(self, image: ElfImage, layout: Mapping[str, int] | None = None) -> None:
        self.image = image
        self._layout = dict(layout or {})
        try:
            self._dwarf: Any = image.elffile.get_dwarf_info(relocate_dwarf_sections=True)
        except _DAMAGED as exc:
            raise InputError(image.path, f"corrupt DWARF: {exc}") from exc
        self._cus: list[Any] | None = None
        self._index: dict[int, _CuIndex] = {}
        self._text_base = self._layout.get(".text", 0)

    def _all_cus(self) -> list[Any]:
        if self._cus is None:
            self._cus = list(self._dwarf.iter_CUs())
        return self._cus

    def _cu_ranges(self, cu: Any) -> list[tuple[int, int]]:
        top = cu.get_top_DIE()
        return self._die_ranges(top, cu)

    def _die_ranges(self, die: Any, cu: Any) -> list[tuple[int, int]]:
        at = die.attributes
        if "DW_AT_ranges" in at:
            try:
                rl = self._dwarf.range_lists()
                if rl is None:
                    return []
                entries = rl.get_range_list_at_offset(at["DW_AT_ranges"].value, cu=cu)
            except _DAMAGED:
                return []
            base = self._base_address(cu)
            out = []
            for e in entries:
                if not hasattr(e, "begin_offset"):
                    base = e.base_address
                    continue
                begin, end = e.begin_offset, e.end_offset
                if not e.is_absolute:
                    begin, end = begin + base, end + base
                if end > begin:
                    out.append((begin, end))
            return out
        if "DW_AT_low_pc" in at and "DW_AT_high_pc" in at:
            low = at["DW_AT_low_pc"].value
            high = at["DW_AT_high_pc"]
            hv = high.value if high.form == "DW_FORM_addr" else low + high.value
            return [(low, hv)] if hv > low else []
        return []

    def _base_address(self, cu: Any) -> int:
        top = cu.get_top_DIE()
        low = top.attributes.get("DW_AT_low_pc")
        return int(low.value) if low is not None else 0

    def _name(self, die: Any, depth: int = 0) -> str:
        at = die.attributes
        if "DW_AT_name" in at:
            return text(at["DW_AT_name"].value)
        for ref in ("DW_AT_abstract_origin", "DW_AT_specification"):
            if ref in at and depth < 4:
                try:
                    return self._name(die.get_DIE_from_attribute(ref), depth + 1)
                except _DAMAGED:
                    return "??"
        return "??"

    def _build(self, cu: Any) -> _CuIndex:
        lp = self._dwarf.line_program_for_CU(cu)
        files: list[str | None] = []
        rows: list[tuple[int, str | None, int, int]] = []
        ends: set[int] = set()
        if lp is not None:
            hdr = lp.header
            version = hdr["version"]
            # pyelftools gives None for what a damaged header does not hold: absent is empty
            dirs = [text(d) for d in hdr["include_directory"] or ()]
            for fe in hdr["file_entry"] or ():
                nm = text(fe.name)
                di = fe.dir_index or 0
                if version < 5:
                    d = dirs[di - 1] if 0 < di <= len(dirs) else ""
                else:
                    d = dirs[di] if 0 < di < len(dirs) else ""
                files.append(os.path.join(d, nm) if d and not os.path.isabs(nm) else nm)
            for entry in lp.get_entries():
                st = entry.state
                if st is None:
                    continue
                fidx = st.file if version >= 5 else st.file - 1
                fname = files[fidx] if 0 <= fidx < len(files) else None
                if st.end_sequence:
                    ends.add(st.address)
                    continue
                rows.append((st.address, fname, st.line, st.column))
        rows.sort(key=lambda r: r[0])
        scopes: list[_Scope] = []
        top = cu.get_top_DIE()
        self._walk(top, cu, files, 0, scopes, lp is not None and lp.header["version"] >= 5)
        return _CuIndex(tuple(self._cu_ranges(cu)), tuple(rows), tuple(r[0] for r in rows),
                        frozenset(ends), tuple(scopes))

    def _walk(self, die: Any, cu: Any, files: list[str | None], depth: int,
              out: list[_Scope], v5: bool) -> None:
        for child in die.iter_children():
            tag = child.tag
            if tag in ("DW_TAG_subprogram", "DW_TAG_inlined_subroutine"):
                at = child.attributes
                cf = cl = cc = None
                if tag == "DW_TAG_inlined_subroutine":
                    if "DW_AT_call_file" in at:
                        idx = at["DW_AT_call_file"].value if v5 else at["DW_AT_call_file"].value - 1
                        cf = files[idx] if 0 <= idx < len(files) else None
                    cl = at["DW_AT_call_line"].value if "DW_AT_call_line" in at else None
                    cc = at["DW_AT_call_column"].value if "DW_AT_call_column" in at else None
                for lo, hi in self._die_ranges(child, cu):
                    out.append(_Scope(lo, hi, self._name(child), cf, cl, cc, depth))
                self._walk(child, cu, files, depth + 1, out, v5)
            elif tag in ("DW_TAG_lexical_block", "DW_TAG_namespace", "DW_TAG_class_type",
                         "DW_TAG_structure_type"):
                self._walk(child, cu, files, depth, out, v5)

    def _cu_for(self, addr: int) -> Any | None:
        try:
            ar = self._dwarf.get_aranges()
        except _DAMAGED:
            ar = None
        if ar is not None:
            off = ar.cu_offset_at_addr(addr)
            if off is not None:
                try:
                    return self._dwarf.get_CU_at(off)
                except _DAMAGED:
                    return None
        for cu in self._all_cus():
            for lo, hi in self._cu_ranges(cu):
                if lo <= addr < hi:
                    return cu
        return None

    def locate(self, addr: int) -> tuple[SourceLocation, ...]:
        # In a relocatable object pyelftools relocates DWARF against sections at 0:
        # look the section offset up (ambiguous between text sections; .text first).
        query = addr
        if self._layout:
            best = None
            for name, base in self._layout.items():
                if base <= addr and (best is None or base > best[1]):
                    best = (name, base)
            if best is None or best[0] != ".text":
                # pyelftools relocates DWARF against sections at 0: only .text is unambiguous
                return ()
            query = addr - best[1]
        try:
            cu = self._cu_for(query)
            if cu is None:
                return ()
            idx = self._index.get(cu.cu_offset)
            if idx is None:
                idx = self._index[cu.cu_offset] = self._build(cu)
        except _DAMAGED as exc:
            raise InputError(self.image.path, f"corrupt DWARF: {exc}") from exc
        return _chain(idx, query)


def _chain(idx: _CuIndex, addr: int) -> tuple[SourceLocation, ...]:
    i = bisect.bisect_right(idx.row_addrs, addr) - 1
    row = idx.rows[i] if i >= 0 else None
    if row is not None and any(row[0] < e <= addr for e in idx.ends):
        row = None
    scopes = sorted((s for s in idx.scopes if s.low <= addr < s.high), key=lambda s: s.depth)
    if not scopes:
        if row is None:
            return ()
        return (SourceLocation("??", clean_path(row[1]), row[2] or None, row[3] or None),)
    out: list[SourceLocation] = []
    file, line, col = (row[1], row[2] or None, row[3] or None) if row else (None, None, None)
    for s in reversed(scopes):  # innermost first
        out.append(SourceLocation(s.name, clean_path(file), line, col))
        file, line, col = s.call_file, s.call_line, s.call_column
    return tuple(out)
