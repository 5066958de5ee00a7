"""Region profiles (data), custom regions, the bit-level decoder, file:line, goldens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from audit_helpers import DATA, FX, UPDATE_GOLDEN, fx, pick
from hypothesis import example, given, settings
from hypothesis import strategies as st

from a64triage.cli import main
from a64triage.disasm.a64 import decode_word
from a64triage.errors import InputError
from a64triage.relocs import a64bits, audit, audit_function, with_source
from a64triage.relocs.a64bits import Op
from a64triage.relocs.profiles import PROFILES, Fixup, load_profiles_toml


def test_profiles_are_data() -> None:
    names = [p.name for p in PROFILES]
    assert len(names) == len(set(names))
    assert {"linux4-hyp", "linux-nvhe", "idmap", "hyp-idmap", "pi", "efistub"} <= set(names)
    nvhe = next(p for p in PROFILES if p.name == "linux-nvhe")
    assert nvhe.fixup is Fixup.GEN_HYPREL and "__kvm_nvhe_" in nvhe.symbol_prefixes


def test_autodetect_eras() -> None:
    assert audit(fx("asm/init_stage2_2017.o")).regions == ("linux4-hyp",)
    assert audit(fx("kernel/kvm_nvhe-gcc.tmp.o")).regions == ("linux-nvhe",)


def test_4x_abs64_is_fatal_but_512_is_info(tmp_path: Path) -> None:
    """The same absolute table: fatal under the 4.x profile, info under 5.12+ when in .hyp.*."""
    old = audit(fx("asm/init_stage2_2017.o"), profiles=["linux4-hyp"])
    assert {f.severity.value for f in old.findings} == {"fatal"}
    # an absolute table inside .hyp.rodata of a 5.12+ object: gen-hyprel rewrites it
    lab = audit(fx("kernel/kvm_nvhe-clang-labtest.tmp.o"))
    cgoto = pick(lab.findings, cls="absolute-table", function="lab_cgoto")
    assert cgoto and {f.severity.value for f in cgoto} == {"info"}
    assert all("Linux >= 5.12" in (f.safe_by or "") for f in cgoto)


def test_custom_section_and_prefix() -> None:
    by_section = audit(fx("gcc/hazards-O2.o"), sections=[".hyp.text"], profiles=[])
    assert by_section.regions == ("custom",)
    assert len(pick(by_section.findings, cls="absolute-table")) == 8
    # one function only: a prefix region
    by_prefix = audit(fx("gcc/hazards-O2.o"), symbol_prefixes=["hz_cgoto"])
    assert {f.function for f in by_prefix.findings} == {"hz_cgoto"}
    assert len(by_prefix.findings) == 4


def test_toml_profile(tmp_path: Path) -> None:
    toml = tmp_path / "regions.toml"
    toml.write_text('[profile.myhyp]\ndescription = "my EL2 code"\ncode_sections = [".hyp.text"]\n'
                    'mapped = [".rodata*"]\nfixup = "none"\n')
    profs = load_profiles_toml(str(toml))
    assert [p.name for p in profs] == ["myhyp"] and profs[0].custom
    res = audit(fx("asm/init_stage2_2017.o"), profile_file=str(toml))
    assert res.regions == ("myhyp",) and len(res.findings) == 5


@pytest.mark.parametrize("text,problem", [
    ("not toml [", "bad TOML"),
    ("[other]\nx = 1\n", "no [profile.NAME] tables"),
    ("[profile.a]\nfixup = \"magic\"\n", "fixup must be one of"),
    ("[profile.a]\ncode_sections = \".text\"\n", "must be a list of strings"),
    ("[profile.a]\ncolour = 1\n", "unknown keys"),
])
def test_bad_toml(tmp_path: Path, text: str, problem: str) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    with pytest.raises(InputError, match=re.escape(problem)):
        load_profiles_toml(str(toml))


def test_unknown_profile_is_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--profile", "nope", fx("gcc/hazards-O2.o")]) == 2
    assert "unknown profile 'nope'" in capsys.readouterr().err
    assert main(["audit", "--list-profiles"]) == 0
    assert "linux-nvhe" in capsys.readouterr().out


# -- the bit-level decoder agrees with capstone --------------------------------------------------

_CAPSTONE = {Op.ADRP: "adrp", Op.ADR: "adr", Op.BR: "br", Op.BLR: "blr", Op.B: "b", Op.BL: "bl",
             Op.RET: "ret", Op.MOVK: "movk"}


def _check(word: int) -> None:
    op = a64bits.classify(word)
    ins = decode_word(word, 0x1000)
    if op in _CAPSTONE:
        assert ins.mnemonic in (_CAPSTONE[op], _CAPSTONE[op] + "aaz", _CAPSTONE[op] + "abz",
                                _CAPSTONE[op] + "aa", _CAPSTONE[op] + "ab"), (hex(word), ins.text)
    elif op is Op.MOVZ:
        assert ins.mnemonic in ("mov", "movz"), (hex(word), ins.text)
    elif op is Op.ADD_IMM:
        assert ins.mnemonic in ("add", "mov"), (hex(word), ins.text)
        assert a64bits.add_imm(word) == (ins.imm(2) or 0) << (ins.operands[2].shift if len(ins.operands) > 2 else 0) \
            or ins.mnemonic == "mov"
    elif op in (Op.LDR_IMM, Op.LDR_REG, Op.LDR_LIT):
        assert ins.mnemonic == "ldr" and ins.op_str.startswith("x"), (hex(word), ins.text)
    elif op is Op.MOV_REG:
        assert ins.mnemonic == "mov", (hex(word), ins.text)
    if op is Op.ADRP:
        assert a64bits.adrp_target(word, 0x1000) == ins.pc_target
    if op in (Op.B, Op.BL):
        assert a64bits.branch_target(word, 0x1000) == ins.pc_target


def test_decoder_agrees_on_every_fixture_word() -> None:
    from a64triage.symbols.rawelf import RawElf
    n = 0
    for path in sorted(FX.glob("*/*.o")):
        with RawElf(str(path)) as elf:
            for sec in elf.sections:
                if sec.is_exec and sec.size:
                    data = elf.section_data(sec)
                    for i in range(0, len(data) - 3, 4):
                        _check(int.from_bytes(data[i:i + 4], "little"))
                        n += 1
    assert n > 20000


_INTERESTING = st.sampled_from([0x90, 0x10, 0x91, 0xF9, 0xF8, 0x58, 0xD6, 0xD7, 0x14, 0x94, 0xAA, 0xD2, 0xF2])


@settings(max_examples=3000, deadline=None)
@given(top=_INTERESTING, low=st.integers(0, (1 << 24) - 1))
@example(top=0xD6, low=0x1F0800)  # BRAAZ shape with op4 != 11111: unallocated, not a branch
@example(top=0xD6, low=0x3F0800)  # the same for BLRAAZ
def test_decoder_agrees_on_random_words(top: int, low: int) -> None:
    _check((top << 24) | low)


# -- file:line from DWARF -----------------------------------------------------------------------

@pytest.mark.parametrize("cc", ("clang", "gcc"))
def test_source_lines(cc: str) -> None:
    res = with_source(audit(fx(f"{cc}/hazards-O2-g.o")))
    tables = pick(res.findings, cls="absolute-table", function="hz_cgoto")
    assert tables and all(f.file and f.file.endswith("hazards.c") for f in tables)
    src = (FX / "src" / "hazards.c").read_text().splitlines()
    assert "goto *labels" in src[(tables[0].line or 0) - 1]


def test_audit_function_api() -> None:
    fs = audit_function(fx("gcc/hazards-O2-g.o"), "hz_outside")
    assert {f.cls.value for f in fs} == {"call-out-of-region", "data-out-of-region"}
    assert all(f.line for f in fs)
    assert audit_function(fx("asm/init_stage2_2017.o"), "__init_stage2_translation")[0].file is None


# -- goldens: one file per fixture object -------------------------------------------------------

_GOLDEN_OBJECTS = sorted(str(p.relative_to(FX)) for p in FX.glob("*/*") if p.suffix in (".o", ".elf")
                         and not p.name.endswith("-g.o"))


def _summary(rel: str) -> list[dict[str, object]]:
    res = audit(str(FX / rel))
    return [{"class": f.cls.value, "severity": f.severity.value, "function": f.function, "offset": f.offset,
             "relocation": f.relocation, "target": f.target, "slot": f.slot} for f in res.findings]


@pytest.mark.parametrize("rel", _GOLDEN_OBJECTS)
def test_golden(rel: str) -> None:
    golden = DATA / "golden" / (rel.replace("/", "__") + ".json")
    got = _summary(rel)
    if UPDATE_GOLDEN or not golden.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden {golden.name} missing: run with A64TRIAGE_UPDATE_GOLDEN=1")
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(got, indent=1) + "\n")
    assert got == json.loads(golden.read_text())
