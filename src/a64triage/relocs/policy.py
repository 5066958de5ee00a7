"""What each hazard means for each region: severity, the kernel mechanism that makes
it safe (if any), why it faults, and the fix.  One table; ``judge`` only looks up.

Keys are (hazard class, situation).  Situations name what the audit established:
``unfixed`` (no kernel mechanism rewrites the address), ``fixed`` (the address sits
where the region's fixup rewrites it), ``blind-spot`` (nVHE, but outside ``.hyp.*``:
gen-hyprel skips the section), ``movw`` / ``got`` / ``literal-*`` for code, ...
Sources: arch/arm64/kvm/hyp/nvhe/gen-hyprel.c, arch/arm64/kvm/va_layout.c,
arch/arm64/kernel/pi/relacheck.c, drivers/firmware/efi/libstub/Makefile.
"""

from __future__ import annotations

from dataclasses import dataclass

from a64triage.relocs.findings import HazardClass as H
from a64triage.relocs.findings import Severity as S
from a64triage.relocs.profiles import Fixup, Profile


@dataclass(frozen=True)
class Verdict:
    severity: S
    safe_by: str | None
    why: str
    fix: str


GEN_HYPREL = ("gen-hyprel: ABS64 in .hyp.* is listed in .hyp.reloc and rewritten to a hyp VA at boot "
              "by kvm_apply_hyp_relocations() (Linux >= 5.12)")
_FIX_TABLE = ("-fno-jump-tables for this object if it is a switch table; otherwise replace the table of "
              "absolute addresses with PC-relative offsets (&&label - &&base, or an index + switch), or put it "
              "in a .hyp.rodata section so the hyp relocation mechanism (Linux >= 5.12) rewrites it")
_FIX_PTR = ("take the address with adrp/add at run time (PC-relative) instead of storing it in data, or "
            "translate it with kern_hyp_va(); on Linux >= 5.12 keep the data in a .hyp.* section (gen-hyprel)")
_FIX_BLIND = ("put the table in a .hyp.rodata section (plain .rodata: hyp.lds renames it) / route it through "
              "the hyp relocation mechanism; do not force it into .data.rel.ro or other non-.hyp sections")

_UNFIXED_WHY = ("the slot holds the link-time kernel-image VA; {region} runs at another VA where that address "
                "is not mapped, so {use} faults (the 2017 clang HYP panic: IABT at a kernel VA)")

# (class, situation) -> (severity, safe_by, why, fix)
POLICY: dict[tuple[H, str], tuple[S, str | None, str, str]] = {
    (H.ABSOLUTE_TABLE, "unfixed"): (
        S.FATAL, None, _UNFIXED_WHY.format(region="{region}", use="the indirect branch through it"), _FIX_TABLE),
    (H.ABSOLUTE_TABLE, "fixed"): (
        S.INFO, GEN_HYPREL, "absolute code addresses consumed by an indirect branch, but the slot is in a "
        ".hyp.* section and is rewritten at boot", "none needed; -fno-jump-tables or relative offsets would "
        "avoid the boot-time fix-up"),
    (H.ABSOLUTE_TABLE, "blind-spot"): (
        S.FATAL, None, "absolute code addresses consumed by an indirect branch in hyp code, in a section "
        "gen-hyprel does not scan (it only looks at sections named .hyp*): the kernel VA stays and the "
        "branch leaves the EL2 mapping", _FIX_BLIND),
    (H.ABSOLUTE_IN_CODE, "movw"): (
        S.FATAL, None, "movz/movk build the link-time address inline (R_AARCH64_MOVW_UABS_*): the value is "
        "the kernel-image VA, wrong in {region}; gen-hyprel refuses it ('Unexpected RELA type')",
        "drop -mcmodel=large (the small code model uses adrp/add)"),
    (H.ABSOLUTE_IN_CODE, "got"): (
        S.FATAL, None, "the address is loaded from a GOT slot, which holds an absolute link-time address; "
        "gen-hyprel refuses GOT relocations and nothing fixes the slot for {region}",
        "drop -fpie/-fpic for this object (or use hidden visibility so the compiler emits adrp/add)"),
    (H.ABSOLUTE_IN_CODE, "literal-unfixed"): (
        S.FATAL, None, "literal pool entry (ldr xN, =sym) holding the link-time kernel VA; {region} loads it "
        "and uses an address that is not mapped there",
        "take the address with adrp/add (PC-relative, hyp_symbol_addr-style) or drop -mcmodel=large"),
    (H.ABSOLUTE_IN_CODE, "literal-fixed"): (
        S.INFO, GEN_HYPREL, "literal pool entry holding an absolute address, in a .hyp.* section: rewritten "
        "to a hyp VA at boot", "none needed"),
    (H.ABSOLUTE_IN_CODE, "literal-blind-spot"): (
        S.FATAL, None, "literal pool entry outside .hyp.*: gen-hyprel does not see it", _FIX_BLIND),
    (H.ABSOLUTE_IN_CODE, "movw-linked"): (
        S.WARNING, None, "movz/movk build a value inside the kernel image: probably an absolute address "
        "(MOVW_UABS) that is wrong in {region}", "drop -mcmodel=large"),
    (H.POINTER_IN_DATA, "unfixed"): (
        S.WARNING, None, "data used by {region} holds a link-time kernel VA; dereferencing or calling it "
        "there faults unless the code converts it first (kern_hyp_va)", _FIX_PTR),
    (H.POINTER_IN_DATA, "unfixed-branched"): (
        S.FATAL, None, "a function pointer in data holds the link-time kernel VA and {region} branches to it "
        "(blr/br): the branch leaves the region's mapping", _FIX_PTR),
    (H.POINTER_IN_DATA, "blind-spot-branched"): (
        S.FATAL, None, "hyp code branches through a function pointer outside .hyp.*: gen-hyprel skips the "
        "section, so the value stays a kernel VA", _FIX_BLIND),
    (H.POINTER_IN_DATA, "fixed"): (
        S.INFO, GEN_HYPREL, "absolute pointer in .hyp.* data: rewritten to a hyp VA at boot", "none needed"),
    (H.POINTER_IN_DATA, "blind-spot"): (
        S.WARNING, None, "absolute pointer in data used by hyp code, outside .hyp.*: gen-hyprel skips the "
        "section, so the value stays a kernel VA", _FIX_BLIND),
    (H.CALL_OUT_OF_REGION, "outside"): (
        S.FATAL, None, "direct call/branch from {region} to code outside the region: that code is not mapped "
        "(or not safe) at the region's VA/EL", "move the callee into the region (e.g. __hyp_text / the hyp "
        "object) or call it from the host side"),
    (H.CALL_OUT_OF_REGION, "undefined"): (
        S.WARNING, None, "direct call from {region} to a symbol this object does not define: the audit cannot "
        "know whether the final link puts it inside the region", "make sure the callee is region code "
        "(__hyp_text / linked into the hyp object); audit the linked image to be sure"),
    (H.DATA_OUT_OF_REGION, "outside"): (
        S.WARNING, None, "{region} references data in a section its mapping does not cover",
        "map the object at EL2 (create_hyp_mappings) or move it into a region data section"),
    (H.DATA_OUT_OF_REGION, "undefined"): (
        S.INFO, None, "{region} references a symbol this object does not define; whether it is mapped there "
        "is only known after the final link", "check that the symbol is mapped for the region "
        "(e.g. KVM_NVHE_ALIAS + hyp mappings)"),
    (H.DYNAMIC_RELOCATION, "fixed"): (
        S.INFO, GEN_HYPREL, "dynamic relocation (KASLR) in region data; the .hyp.reloc entry converts the "
        "relocated kernel VA to a hyp VA at boot", "none needed"),
    (H.DYNAMIC_RELOCATION, "unfixed"): (
        S.WARNING, None, "dynamic relocation in region data: the kernel writes a kernel VA there at boot, "
        "which is wrong for {region}", _FIX_PTR),
    (H.DYNAMIC_RELOCATION, "into-region"): (
        S.INFO, None, "kernel data holds the kernel VA of region code; harmless while only the kernel uses "
        "it (kern_hyp_va before handing it over)", "none needed unless region code loads this pointer"),
    (H.UNCOVERED_HYP_POINTER, "code"): (
        S.FATAL, None, "hyp code uses a slot holding the kernel VA of code and no .hyp.reloc entry covers "
        "it: the branch leaves the EL2 mapping (gen-hyprel blind spot)", _FIX_BLIND),
    (H.UNCOVERED_HYP_POINTER, "data"): (
        S.WARNING, None, "hyp code uses a slot holding a kernel VA and no .hyp.reloc entry covers it; a "
        "dereference at EL2 faults unless the code converts it (kern_hyp_va)", _FIX_BLIND),
    (H.UNKNOWN_RELOCATION, "type"): (
        S.WARNING, None, "relocation type not in AAELF64's table: the audit cannot tell what it does, and "
        "gen-hyprel / relacheck reject unknown types", "check the toolchain and flags that produced it"),
    (H.UNKNOWN_RELOCATION, "rel-section"): (
        S.WARNING, None, "SHT_REL section (implicit addends): AArch64 uses RELA; gen-hyprel fails the build on "
        "any SHT_REL section ('Unexpected SHT_REL section')", "drop -fprofile-use/-fprofile-sample-use "
        "(.llvm.call-graph-profile) or whatever emits it for this object"),
}

# Region-specific overrides: (profile, class, situation) -> severity.
OVERRIDES: dict[tuple[str, H, str], S] = {
    # idmap code deliberately loads absolute VAs to jump to once the MMU is on.
    ("idmap", H.ABSOLUTE_IN_CODE, "literal-unfixed"): S.INFO,
    # arm64 head.S idmaps the whole kernel image while idmap code runs: PC-relative calls out work.
    ("idmap", H.CALL_OUT_OF_REGION, "outside"): S.INFO,
    ("hyp-idmap", H.ABSOLUTE_IN_CODE, "literal-unfixed"): S.WARNING,
    ("linux-nvhe", H.UNKNOWN_RELOCATION, "rel-section"): S.FATAL,
}


def judge(cls: H, situation: str, profile: Profile) -> Verdict:
    sev, safe_by, why, fix = POLICY[(cls, situation)]
    sev = OVERRIDES.get((profile.name, cls, situation), sev)
    if profile.fixup is Fixup.STUBCOPY and cls in (H.ABSOLUTE_IN_CODE, H.POINTER_IN_DATA, H.ABSOLUTE_TABLE):
        why += "; the EFI stub build also fails on any R_AARCH64_ABS* (stubcopy check)"
    return Verdict(sev, safe_by, why.format(region=profile.name), fix)
