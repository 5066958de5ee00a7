"""Region profiles: which code runs at another VA, what it may touch, who fixes it up.

One table, ``PROFILES``; detection, region building and the severity policy
all read it.  Sources per row:

* linux4-hyp: Linux 4.x ``__hyp_text`` = ``.hyp.text`` (arch/arm64/include/asm/kvm_hyp.h),
  gathered between ``__hyp_text_start/__hyp_text_end`` (vmlinux.lds.S); EL2 maps hyp
  text, rodata and bss (arch/arm64/kvm/arm.c ``init_hyp_mode``); no relocation of hyp
  data: an absolute address is a kernel-image VA, wrong at EL2.
* linux-nvhe: v5.12+ ``kvm_nvhe.o`` (arch/arm64/kvm/hyp/nvhe/hyp.lds.S ``HYP_SECTION``),
  ``__kvm_nvhe_`` symbol prefix (``--prefix-symbols``); ABS64 in ``.hyp.*`` sections is
  listed by gen-hyprel in ``.hyp.reloc`` and rewritten at boot
  (arch/arm64/kvm/va_layout.c ``kvm_apply_hyp_relocations``).
* linux-nvhe-prereloc: v5.9..v5.11 nVHE (``.hyp.*`` sections without ``.hyp.rodata``/``.hyp.reloc``).
* idmap: ``.idmap.text`` / ``__idmap_text_start..end``: runs from the identity map (MMU off or idmap).
* hyp-idmap: Linux 4.x ``.hyp.idmap.text`` (``__hyp_idmap_text_start..end``).
* pi: early boot C under arch/arm64/kernel/pi/ (``__pi_`` prefix), before the kernel relocates itself.
* efistub: drivers/firmware/efi/libstub (``__efistub_`` prefix), runs under the firmware's mapping.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from a64triage.errors import InputError


class Fixup(StrEnum):
    """The kernel mechanism (if any) that rewrites absolute addresses for the region."""

    NONE = "none"
    GEN_HYPREL = "gen-hyprel"  # .hyp.reloc + kvm_apply_hyp_relocations (v5.12+)
    RELACHECK = "relacheck"  # build fails on ABS64 in pi/ data (v6.9+)
    STUBCOPY = "stubcopy"  # build fails on R_AARCH64_ABS* in the EFI stub


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    code_sections: tuple[str, ...] = ()  # fnmatch patterns (relocatable objects / linked sections)
    data_sections: tuple[str, ...] = ()  # region-owned data (its pointers are the region's)
    symbol_prefixes: tuple[str, ...] = ()  # function symbols belonging to the region (linked images)
    code_ranges: tuple[tuple[str, str], ...] = ()  # (start, end) symbol pairs in linked images
    data_ranges: tuple[tuple[str, str], ...] = ()
    mapped: tuple[str, ...] = ()  # other sections the region's mapping covers (fnmatch)
    fixup: Fixup = Fixup.NONE
    fixed_sections: tuple[str, ...] = ()  # where the fixup applies (fnmatch)
    detect_sections: tuple[str, ...] = ()  # any present -> profile applies
    detect_symbols: tuple[str, ...] = ()  # any symbol with one of these names or prefixes
    exclude_if_sections: tuple[str, ...] = ()  # present -> not this profile (era split)
    exclude_if_symbols: tuple[str, ...] = ()
    era: str = ""
    custom: bool = False
    extra_why: str = field(default="", compare=False)


_HYP_DATA = (".hyp.rodata", ".hyp.data..ro_after_init", ".hyp.data..percpu", ".hyp.bss", ".hyp.data",
             ".hyp.rodata.*", ".hyp.data.*", ".hyp.bss.*")

PROFILES: tuple[Profile, ...] = (
    Profile(
        "linux-nvhe", "KVM nVHE hypervisor, Linux >= 5.12 (kvm_nvhe.o, __kvm_nvhe_ symbols)",
        code_sections=(".hyp.text", ".hyp.text.*", ".hyp.idmap.text", ".hyp.idmap.text.*"),
        data_sections=_HYP_DATA, symbol_prefixes=("__kvm_nvhe_",),
        code_ranges=(("__hyp_idmap_text_start", "__hyp_idmap_text_end"), ("__hyp_text_start", "__hyp_text_end")),
        data_ranges=(("__hyp_rodata_start", "__hyp_rodata_end"), ("__hyp_bss_start", "__hyp_bss_end"),
                     ("__hyp_data_start", "__hyp_data_end")),
        mapped=(".hyp.*", ".rodata", ".rodata.*", ".data..ro_after_init", ".bss", ".data..percpu",
                ".hyp.data..percpu"),
        fixup=Fixup.GEN_HYPREL, fixed_sections=(".hyp.*",),
        detect_sections=(".hyp.rodata", ".hyp.reloc"), detect_symbols=("__hyp_reloc_begin", "__kvm_nvhe_"),
        era="Linux >= 5.12"),
    Profile(
        "linux-nvhe-prereloc", "KVM nVHE hypervisor, Linux 5.9-5.11 (.hyp.* sections, no hyp relocations)",
        code_sections=(".hyp.text", ".hyp.idmap.text"), data_sections=_HYP_DATA, symbol_prefixes=("__kvm_nvhe_",),
        code_ranges=(("__hyp_idmap_text_start", "__hyp_idmap_text_end"), ("__hyp_text_start", "__hyp_text_end")),
        mapped=(".hyp.*", ".rodata", ".rodata.*", ".bss", ".data..percpu"),
        detect_sections=(".hyp.data..percpu",), detect_symbols=("__kvm_nvhe_",),
        exclude_if_sections=(".hyp.rodata", ".hyp.reloc"), exclude_if_symbols=("__hyp_reloc_begin",),
        era="Linux 5.9-5.11"),
    Profile(
        "linux4-hyp", "KVM hyp code of Linux 4.x (__hyp_text, .hyp.text section)",
        code_sections=(".hyp.text",), code_ranges=(("__hyp_text_start", "__hyp_text_end"),),
        mapped=(".hyp.text", ".rodata", ".rodata.*", ".bss", ".bss.*", "COMMON"),
        detect_sections=(".hyp.text",), detect_symbols=("__hyp_text_start",),
        exclude_if_sections=(".hyp.rodata", ".hyp.reloc", ".hyp.data..percpu"),
        exclude_if_symbols=("__kvm_nvhe_", "__hyp_reloc_begin"), era="Linux 4.x"),
    Profile(
        "hyp-idmap", "Linux 4.x hyp identity-mapped text (.hyp.idmap.text)",
        code_sections=(".hyp.idmap.text",), code_ranges=(("__hyp_idmap_text_start", "__hyp_idmap_text_end"),),
        detect_sections=(".hyp.idmap.text",), detect_symbols=("__hyp_idmap_text_start",),
        exclude_if_sections=(".hyp.rodata", ".hyp.reloc"), exclude_if_symbols=("__kvm_nvhe_", "__hyp_reloc_begin"),
        era="Linux 4.x"),
    Profile(
        "idmap", "kernel identity-mapped text (.idmap.text), runs before/while the MMU is turned on",
        code_sections=(".idmap.text",), code_ranges=(("__idmap_text_start", "__idmap_text_end"),),
        mapped=("*",), detect_sections=(".idmap.text",), detect_symbols=("__idmap_text_start",)),
    Profile(
        "pi", "early boot position-independent C (arch/arm64/kernel/pi, __pi_ symbols)",
        code_sections=(".init.pi.text",), symbol_prefixes=("__pi_",), mapped=("*",),
        detect_sections=(".init.pi.text",), detect_symbols=("__pi_",), exclude_if_sections=(".hyp.text",)),
    Profile(
        "efistub", "EFI stub (drivers/firmware/efi/libstub, __efistub_ symbols)",
        symbol_prefixes=("__efistub_",), fixup=Fixup.STUBCOPY, mapped=("*",), detect_symbols=("__efistub_",)),
)

PROFILE_BY_NAME: dict[str, Profile] = {p.name: p for p in PROFILES}


def matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def detect(section_names: Sequence[str], symbol_names: frozenset[str],
           symbol_prefixes_present: frozenset[str]) -> list[Profile]:
    """Built-in profiles that apply to a file with these sections and symbols."""
    out = []
    for p in PROFILES:
        sec_hit = any(matches(s, p.detect_sections) for s in section_names)
        sym_hit = any(w in symbol_names or w in symbol_prefixes_present for w in p.detect_symbols)
        if not (sec_hit or sym_hit):
            continue
        if any(matches(s, p.exclude_if_sections) for s in section_names):
            continue
        if any(w in symbol_names or w in symbol_prefixes_present for w in p.exclude_if_symbols):
            continue
        out.append(p)
    return out


def custom_profile(sections: Sequence[str], symbol_prefixes: Sequence[str], name: str = "custom") -> Profile:
    """A profile from --section / --symbol-prefix: no fixup mechanism assumed."""
    return Profile(name, "custom region", code_sections=tuple(sections), symbol_prefixes=tuple(symbol_prefixes),
                   custom=True)


_TOML_KEYS = {"description", "code_sections", "data_sections", "symbol_prefixes", "code_ranges",
              "data_ranges", "mapped", "fixup", "fixed_sections"}


def load_profiles_toml(path: str) -> list[Profile]:
    """Profiles from a TOML file: one ``[profile.NAME]`` table per region, keys as in ``Profile``."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot open") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"bad TOML: {exc}") from exc
    tables = doc.get("profile")
    if not isinstance(tables, dict) or not tables:
        raise InputError(path, "no [profile.NAME] tables")
    out = []
    for name, t in tables.items():
        if not isinstance(t, dict):
            raise InputError(path, f"profile.{name} is not a table")
        unknown = set(t) - _TOML_KEYS
        if unknown:
            raise InputError(path, f"profile.{name}: unknown keys {sorted(unknown)}")
        try:
            fix = Fixup(t.get("fixup", "none"))
        except ValueError as exc:
            raise InputError(path, f"profile.{name}: fixup must be one of {[f.value for f in Fixup]}") from exc

        def strs(key: str, tbl: dict[str, object] = t, nm: str = name) -> tuple[str, ...]:
            v = tbl.get(key, [])
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise InputError(path, f"profile.{nm}.{key} must be a list of strings")
            return tuple(str(x) for x in v)

        def pairs(key: str, tbl: dict[str, object] = t, nm: str = name) -> tuple[tuple[str, str], ...]:
            v = tbl.get(key, [])
            if not isinstance(v, list) or not all(
                    isinstance(x, list) and len(x) == 2 and all(isinstance(y, str) for y in x) for x in v):
                raise InputError(path, f"profile.{nm}.{key} must be a list of [start, end] symbol pairs")
            return tuple((x[0], x[1]) for x in v)

        desc = t.get("description", "custom region")
        out.append(Profile(str(name), str(desc), code_sections=strs("code_sections"),
                           data_sections=strs("data_sections"), symbol_prefixes=strs("symbol_prefixes"),
                           code_ranges=pairs("code_ranges"), data_ranges=pairs("data_ranges"),
                           mapped=strs("mapped"), fixup=fix, fixed_sections=strs("fixed_sections"),
                           custom=True))
    return out
