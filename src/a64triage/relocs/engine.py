"""The audit: regions from profiles, data flow over region code, one Finding per hazard site."""

from __future__ import annotations

import struct
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from a64triage.arm64.elf_relocs import RelocKind, reloc_name, reloc_type
from a64triage.disasm.a64 import decode_word
from a64triage.errors import InputError
from a64triage.relocs.findings import Finding
from a64triage.relocs.findings import HazardClass as H
from a64triage.relocs.image import UNDEF_BASE, Image, Slot
from a64triage.relocs.policy import judge
from a64triage.relocs.profiles import (
    PROFILE_BY_NAME,
    PROFILES,
    Fixup,
    Profile,
    custom_profile,
    detect,
    load_profiles_toml,
    matches,
)
from a64triage.relocs.scan import FunctionFlow, scan
from a64triage.symbols.rawelf import RawElf

_MOVW_UABS = frozenset(range(263, 273))
_GOT = frozenset({300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 315})
MAX_TABLE = 4096  # bytes scanned for raw pointers after a referenced table start (linked, no .rela.dyn)


@dataclass(frozen=True)
class Region:
    """One profile applied to one file: its code ranges and data ranges (Image addresses)."""

    profile: Profile
    code: tuple[tuple[int, int, str], ...]  # (start, end, function name)
    data: tuple[tuple[int, int], ...]

    @property
    def name(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class AuditResult:
    path: str
    kind: str  # "relocatable", "linked", "linked-pie"
    regions: tuple[str, ...]
    findings: tuple[Finding, ...]
    hyp_reloc_entries: int | None = None
    dynamic_relocations: int = 0
    functions_scanned: int = 0

    @property
    def hazardous(self) -> bool:
        return any(f.severity != "info" for f in self.findings)


def _in(ranges: Sequence[tuple[int, int]], addr: int) -> bool:
    return any(a <= addr < b for a, b in ranges)


class _Ranges:
    """Sorted, merged half-open ranges with O(log n) membership."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for a, b in sorted(ranges):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def __contains__(self, addr: int) -> bool:
        i = bisect_right(self.starts, addr) - 1
        return i >= 0 and addr < self.ends[i]


def resolve_profiles(img: Image, profiles: Sequence[str] | None, sections: Sequence[str],
                     symbol_prefixes: Sequence[str], profile_file: str | None = None) -> list[Profile]:
    chosen: list[Profile] = []
    if profile_file:
        chosen.extend(load_profiles_toml(profile_file))
    for name in profiles or ():
        if name == "auto":
            continue
        p = PROFILE_BY_NAME.get(name)
        if p is None:
            raise InputError("--profile", f"unknown profile {name!r} (known: {', '.join(PROFILE_BY_NAME)})")
        chosen.append(p)
    if sections or symbol_prefixes:
        chosen.append(custom_profile(sections, symbol_prefixes))
    if not chosen or (profiles and "auto" in profiles):
        secnames = [s.name for s in img.sections]
        names: set[str] = set()
        wanted = {w for p in PROFILES for w in p.detect_symbols + p.exclude_if_symbols}
        prefixes = tuple(w for w in wanted if w.endswith("_"))
        present_prefixes: set[str] = set()
        for sym in img.elf.symbols:
            n = sym.name
            if n in wanted:
                names.add(n)
            if n.startswith("__") and n.startswith(prefixes):
                present_prefixes.update(p for p in prefixes if n.startswith(p))
        chosen.extend(p for p in detect(secnames, frozenset(names), frozenset(present_prefixes))
                      if p not in chosen)
    return chosen


def build_region(img: Image, p: Profile) -> Region:
    code: list[tuple[int, int]] = []
    data: list[tuple[int, int]] = []
    for s in img.sections:
        if not s.is_alloc or not s.size:
            continue
        if matches(s.name, p.code_sections) and s.is_exec:
            code.append((img.sec_start(s), img.sec_start(s) + s.size))
        elif matches(s.name, p.data_sections):
            data.append((img.sec_start(s), img.sec_start(s) + s.size))
    if img.linked and (p.code_ranges or p.data_ranges):
        byname = img.dunder_symbols
        for a, b in p.code_ranges:
            if a in byname and b in byname and byname[a] < byname[b]:
                code.append((byname[a], byname[b]))
        for a, b in p.data_ranges:
            if a in byname and b in byname and byname[a] < byname[b]:
                data.append((byname[a], byname[b]))
    fns: list[tuple[int, int, str]] = []
    if p.symbol_prefixes:
        prefixes = tuple(p.symbol_prefixes)
        for start, end, name in img.functions:
            if name.startswith(prefixes):
                code.append((start, end))
    merged = _Ranges(code)
    # split merged code ranges into functions (gaps get the range's own name)
    for lo, hi in zip(merged.starts, merged.ends, strict=True):
        fns.extend(_split_functions(img, lo, hi))
    return Region(p, tuple(fns), tuple(zip(_Ranges(data).starts, _Ranges(data).ends, strict=True)))


def _split_functions(img: Image, a: int, b: int) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    fns = img.functions
    i = bisect_right(fns, (a, -1, "")) - 1
    i = max(i, 0)
    cur = a
    while cur < b:
        while i < len(fns) and fns[i][1] <= cur:
            i += 1
        if i < len(fns) and fns[i][0] <= cur < fns[i][1]:
            end = min(fns[i][1], b)
            out.append((cur, end, fns[i][2]))
            cur = end
            continue
        nxt = fns[i][0] if i < len(fns) and fns[i][0] < b else b
        out.append((cur, nxt, img.describe(cur)))
        cur = nxt
    return out


def decode_hyp_reloc(img: Image) -> dict[int, int] | None:
    """``.hyp.reloc`` of a linked image: slot VA -> entry index (each entry: PREL32 to the slot)."""
    if not img.linked:
        return None
    sec = img.elf.section(".hyp.reloc")
    if sec is None or sec.type == "SHT_NOBITS":
        return None
    data = img.elf.section_data(sec)
    out = {}
    for i, (off,) in enumerate(struct.iter_unpack("<i", data[: len(data) // 4 * 4])):
        out[sec.addr + 4 * i + off] = i
    return out


class _Auditor:
    def __init__(self, img: Image, region: Region, hyp_reloc: dict[int, int] | None) -> None:
        self.img = img
        self.region = region
        self.p = region.profile
        self.hyp_reloc = hyp_reloc
        self.code = _Ranges([(a, b) for a, b, _n in region.code])
        self.data = _Ranges(list(region.data))
        self.findings: list[Finding] = []
        self.flows: list[FunctionFlow] = []

    # -- helpers ---------------------------------------------------------------------
    def insn_text(self, pcs: Sequence[int]) -> str:
        parts = []
        for pc in pcs:
            data = self.img.read(pc, 4)
            if data is None:
                continue
            (w,) = struct.unpack("<I", data)
            ins = decode_word(w, pc if self.img.linked else self.rel_pc(pc))
            cr = None if self.img.linked else self.img.code_relocs.get(pc)
            parts.append(f"{ins.text} <{cr.target}>" if cr is not None else ins.text)
        return "; ".join(parts)

    def rel_pc(self, pc: int) -> int:
        """Section offset of an address in a relocatable object (what objdump prints)."""
        s = self.img.section_of(pc)
        return pc - self.img.sec_start(s) if s is not None else pc

    def fn_offset(self, pc: int) -> tuple[str | None, int | None]:
        """Function symbol + offset; code outside any sized symbol (literal pools, asm) gets the
        nearest preceding symbol."""
        f = self.img.function_at(pc)
        if f is not None:
            return f[2], pc - f[0]
        name, off = self.img.place(pc)
        return (name, off) if name is not None else (None, None)

    def in_fixed(self, addr: int) -> bool:
        s = self.img.section_of(addr)
        if self.p.fixup is not Fixup.GEN_HYPREL:
            return False
        if self.img.linked:
            if self.hyp_reloc is not None:
                return addr in self.hyp_reloc
            return addr in self.data or addr in self.code
        return s is not None and matches(s.name, self.p.fixed_sections)

    def is_code_addr(self, addr: int) -> bool:
        s = self.img.section_of(addr)
        return s is not None and s.is_exec

    def is_region_code(self, addr: int) -> bool:
        if addr in self.code:
            return True
        if self.p.symbol_prefixes and self.img.linked:
            starts, rows = self.img.named
            i = bisect_right(starts, addr) - 1
            while i >= 0 and rows[i][0] == addr:
                if rows[i][2].startswith(tuple(self.p.symbol_prefixes)):
                    return True
                i -= 1
        return False

    def is_mapped(self, addr: int) -> bool:
        if addr in self.code or addr in self.data:
            return True
        s = self.img.section_of(addr)
        if s is None:
            return False
        return matches(s.name, self.p.mapped) or matches(s.name, self.p.code_sections) \
            or matches(s.name, self.p.data_sections)

    def add(self, cls: H, situation: str, *, pc: int | None, chain: Sequence[int] = (), relocation: str | None,
            target: str | None, address: int | None = None, slot: str | None = None, note: str = "") -> None:
        v = judge(cls, situation, self.p)
        fn, off = self.fn_offset(pc) if pc is not None else (None, None)
        if address is None:
            address = pc
        sec = self.img.section_of(address) if address is not None else None
        shown = address if address is None or self.img.linked else self.rel_pc(address)
        code_sec = self.img.section_of(pc) if pc is not None else None
        self.findings.append(Finding(
            cls=cls, region=self.p.name, function=fn, offset=off,
            instruction=self.insn_text(chain or ((pc,) if pc is not None else ())) or None,
            relocation=relocation, target=target, severity=v.severity, safe_by=v.safe_by, fix=v.fix,
            address=shown, section=sec.name if sec else None, why=v.why + (f" ({note})" if note else ""),
            slot=slot, pc=None if pc is None else (pc if self.img.linked else self.rel_pc(pc)),
            code_section=code_sec.name if code_sec else None))

    # -- the audit -------------------------------------------------------------------
    def run(self) -> None:
        for a, b, name in self.region.code:
            self.flows.append(scan(self.img, name, a, b))
        self.code_relocations()
        self.tables_and_slots()
        self.calls_and_refs()

    def code_relocations(self) -> None:
        """MOVW_UABS / GOT relocations on region instructions (relocatable objects)."""
        if self.img.linked:
            for fl in self.flows:
                for _v, chain in fl.movw:
                    self.add(H.ABSOLUTE_IN_CODE, "movw-linked", pc=chain[0], chain=chain, relocation=None,
                             target=self.img.describe(_v))
            return
        groups: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
        for pc, cr in sorted(self.img.code_relocs.items()):
            if pc not in self.code:
                continue
            kind = "movw" if cr.type in _MOVW_UABS else "got" if cr.type in _GOT else None
            rt = reloc_type(cr.type)
            if kind is None and rt is not None and rt.kind in (RelocKind.ABSOLUTE, RelocKind.GOT):
                kind = "got" if rt.kind is RelocKind.GOT else "movw"
            if kind is None:
                continue
            fn = self.img.function_at(pc)
            key = (kind, cr.target, fn[0] if fn else 0)
            groups.setdefault(key, []).append((pc, cr.type))
        for (kind, target, _f), items in groups.items():
            # split a group where the same target is materialised again far away
            run: list[tuple[int, int]] = []
            for item in [*items, (1 << 64, 0)]:
                if run and item[0] - run[-1][0] > 32:
                    pcs = [x[0] for x in run]
                    names = sorted({reloc_name(x[1]).removeprefix("R_AARCH64_") for x in run})
                    self.add(H.ABSOLUTE_IN_CODE, kind, pc=pcs[0], chain=pcs,
                             relocation="R_AARCH64_" + "/".join(names), target=target)
                    run = []
                run.append(item)

    def _slot_candidates(self, starts: Sequence[int]) -> dict[int, Slot]:
        """Slots the region uses: in region data or code, or inside tables its code loads from."""
        img = self.img
        spans = [(a, b) for a, b, _n in self.region.code] + list(self.region.data)
        spans += [(a, self._table_end(a, starts)) for a in starts if img.linked or a < UNDEF_BASE]
        out: dict[int, Slot] = {}
        for a, b in spans:
            for addr in img.slots_in(a, b):
                s = img.slot(addr)
                if s is not None:
                    out[addr] = s
        if img.linked and not img.dyn_count:
            for a, b in self.region.data:
                for s in img.raw_slots(a, b):
                    out.setdefault(s.addr, s)
            for start in starts:
                if start in self.data:
                    continue
                end = self._table_end(start, starts)
                for s in img.raw_slots(start, min(end, start + MAX_TABLE)):
                    out.setdefault(s.addr, s)
        return out

    def _table_starts(self) -> list[int]:
        starts: set[int] = set()
        for fl in self.flows:  # tables the code loads from (an address merely taken is not a use)
            starts.update(a for a, _i, _c in fl.loads)
            starts.update(a for a, _i, _c in fl.consumed)
        return sorted(starts)

    def _table_end(self, start: int, starts: Sequence[int]) -> int:
        sec = self.img.section_of(start)
        end = self.img.sec_start(sec) + sec.size if sec else start + 8
        nxt = self.img.next_symbol_after(start)
        if nxt is not None and nxt < end:
            end = nxt
        i = bisect_right(starts, start)
        if i < len(starts) and starts[i] < end:
            end = starts[i]
        return end

    def _in_table(self, addr: int, starts: Sequence[int]) -> bool:
        i = bisect_right(starts, addr) - 1
        if i < 0:
            return False
        return addr < self._table_end(starts[i], starts)

    def tables_and_slots(self) -> None:
        img = self.img
        starts = self._table_starts()
        consumers: dict[int, tuple[bool, tuple[int, ...]]] = {}  # table start -> (branched, chain)
        single_branch: dict[int, tuple[int, ...]] = {}  # one pointer loaded and branched to
        for fl in self.flows:
            for a, chain in fl.refs:
                consumers.setdefault(a, (False, chain))
            for a, _i, chain in fl.loads:
                if not consumers.get(a, (False, ()))[0]:
                    consumers[a] = (False, chain)
            for a, indexed, chain in fl.consumed:
                if indexed:
                    consumers[a] = (True, chain)
                else:
                    single_branch.setdefault(a, chain)
        ref_starts = sorted({a for fl in self.flows for a, _c in fl.refs})
        literal_users: dict[int, tuple[int, ...]] = {}  # slot -> instructions loading it directly
        for fl in self.flows:
            for pc, lit in fl.literals:
                literal_users.setdefault(lit, (pc,))
            for a, indexed, chain in fl.loads:
                if not indexed:
                    literal_users.setdefault(a, chain)
        for addr, s in sorted(self._slot_candidates(starts).items()):
            i = bisect_right(starts, addr) - 1
            table = starts[i] if i >= 0 and addr < self._table_end(starts[i], starts) else None
            if table is None:  # not loaded in any region function: attribute to the code taking its address
                j = bisect_right(ref_starts, addr) - 1
                if j >= 0 and addr < self._table_end(ref_starts[j], ref_starts):
                    table = ref_starts[j]
            branched, chain = consumers.get(table, (False, ())) if table is not None else (False, ())
            called = addr in single_branch
            if called:
                chain = single_branch[addr]
            in_region_data = addr in self.data
            in_code = addr in self.code
            covered = self.in_fixed(addr)
            slot = img.describe(addr)
            target = img.string_at(s.value) or (
                img.describe(s.value) if not img.linked or img.section_of(s.value) else s.target)
            use_pc = chain[-1] if chain else None
            if in_code:
                user = literal_users.get(addr)
                situation = "literal-fixed" if covered else (
                    "literal-blind-spot" if self.p.fixup is Fixup.GEN_HYPREL else "literal-unfixed")
                self.add(H.ABSOLUTE_IN_CODE, situation, pc=user[-1] if user else None,
                         chain=user or (), relocation=s.relocation, target=target, address=addr, slot=slot,
                         note="literal pool")
                continue
            if branched:
                cls = H.ABSOLUTE_TABLE
            elif self.img.linked and s.relocation != "R_AARCH64_ABS64" and not in_region_data and \
                    self.p.fixup is Fixup.GEN_HYPREL and not covered:
                cls = H.UNCOVERED_HYP_POINTER
            elif self.img.linked and s.relocation.startswith("R_AARCH64_") and in_region_data:
                cls = H.DYNAMIC_RELOCATION
            else:
                cls = H.POINTER_IN_DATA
            if cls is H.UNCOVERED_HYP_POINTER:
                situation = "code" if self.is_code_addr(s.value) else "data"
            elif covered:
                situation = "fixed"
            elif self.p.fixup is Fixup.GEN_HYPREL and cls is not H.DYNAMIC_RELOCATION:
                situation = "blind-spot"
                if img.linked and cls is H.ABSOLUTE_TABLE:
                    cls, situation = H.UNCOVERED_HYP_POINTER, "code"
            else:
                situation = "unfixed"
            if called and cls is H.POINTER_IN_DATA and situation in ("unfixed", "blind-spot"):
                situation += "-branched"
            rel = s.relocation if not (img.linked and s.relocation == "R_AARCH64_RELATIVE"
                                       and addr not in img.slots and img.relr_only) else "R_AARCH64_RELATIVE (RELR)"
            self.add(cls, situation, pc=use_pc, chain=chain, relocation=rel, target=target,
                     address=addr, slot=slot)
        if img.linked and self.p.fixup is Fixup.GEN_HYPREL:
            self.pointers_into_region()

    def pointers_into_region(self) -> None:
        """Kernel data (outside the region) holding the kernel VA of region code: info."""
        code = self.code
        data = self.data
        for addr, value in self.img.dyn_values.items():
            if value in code and addr not in data and addr not in code:
                self.add(H.DYNAMIC_RELOCATION, "into-region", pc=None, relocation="R_AARCH64_RELATIVE",
                         target=self.img.describe(value), address=addr, slot=self.img.describe(addr))

    def calls_and_refs(self) -> None:
        img = self.img
        seen: set[tuple[str, str]] = set()
        for fl in self.flows:
            for pc, target, _k in fl.calls:
                if self.is_region_code(target):
                    continue
                situation = "undefined" if target >= UNDEF_BASE and not img.linked else "outside"
                self.add(H.CALL_OUT_OF_REGION, situation, pc=pc, relocation=self._rel_name(pc),
                         target=img.describe(target))
            for target, chain in fl.accesses:
                if self.is_mapped(target):
                    continue
                situation = "undefined" if target >= UNDEF_BASE and not img.linked else "outside"
                desc = img.describe(target)
                key = (fl.name, desc)
                if key in seen:
                    continue
                seen.add(key)
                self.add(H.DATA_OUT_OF_REGION, situation, pc=chain[0], chain=chain,
                         relocation=self._rel_name(chain[-1]), target=desc)

    def _rel_name(self, pc: int) -> str | None:
        cr = self.img.code_relocs.get(pc)
        return reloc_name(cr.type) if cr else None


def _issue_findings(img: Image, regions: Sequence[Region]) -> list[Finding]:
    out: list[Finding] = []
    if not regions:
        return out
    for iss in img.issues:
        region = next((r for r in regions if any(matches(iss.target_section, pats) for pats in (
            r.profile.code_sections, r.profile.data_sections))), regions[0])
        situation = "rel-section" if iss.type is None else "type"
        v = judge(H.UNKNOWN_RELOCATION, situation, region.profile)
        rel = "SHT_REL" if iss.type is None else reloc_name(iss.type)
        out.append(Finding(cls=H.UNKNOWN_RELOCATION, region=region.name, function=None, offset=iss.offset,
                           instruction=None, relocation=rel, target=iss.target_section,
                           severity=v.severity, safe_by=None, fix=v.fix, section=iss.rel_section, why=v.why))
    return out


def audit_image(img: Image, path: str, profiles: Sequence[Profile]) -> AuditResult:
    hyp_reloc = decode_hyp_reloc(img)
    regions = [build_region(img, p) for p in profiles]
    findings: list[Finding] = []
    nfun = 0
    for region in regions:
        a = _Auditor(img, region, hyp_reloc)
        a.run()
        nfun += len(region.code)
        findings.extend(a.findings)
    findings.extend(_issue_findings(img, regions))
    findings.sort(key=lambda f: (f.region, f.section or "", f.function or "", f.address or 0, f.cls))
    return AuditResult(path, img.kind, tuple(r.name for r in regions), tuple(_dedupe(findings)),
                       len(hyp_reloc) if hyp_reloc is not None else None, img.dyn_count, nfun)


def _dedupe(findings: Sequence[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for f in findings:
        key = (f.cls, f.region, f.address, f.function, f.offset, f.target, f.relocation)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def audit(path: str, *, profiles: Sequence[str] | None = None, sections: Sequence[str] = (),
          symbol_prefixes: Sequence[str] = (), profile_file: str | None = None) -> AuditResult:
    """Audit one ELF file (object, module or linked image) for absolute-address hazards."""
    with RawElf(path) as elf:
        img = Image(elf)
        chosen = resolve_profiles(img, profiles, sections, symbol_prefixes, profile_file)
        return audit_image(img, path, chosen)
