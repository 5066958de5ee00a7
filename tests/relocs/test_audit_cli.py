"""`a64triage audit` as a CI gate: exit codes, JSON contract, SARIF 2.1.0 shape, --diff, bad input."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from audit_helpers import fx

from a64triage.cli import main
from a64triage.errors import InputError
from a64triage.relocs import audit, findings_to_json, to_sarif
from a64triage.relocs.findings import HazardClass

JSON_KEYS = {"class", "region", "function", "offset", "instruction", "relocation", "target", "severity",
             "safe_by", "fix", "file", "line"}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["audit", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, fx("clang/negatives-O2.o"))[0] == 0
    assert run_cli(capsys, fx("asm/init_stage2_2017.o"))[0] == 1
    # info-only findings count as clean: the real 6.1 hyp object
    rc, out, _ = run_cli(capsys, fx("kernel/kvm_nvhe-gcc.tmp.o"))
    assert rc == 0 and "0 fatal, 0 warning" in out
    rc, _, err = run_cli(capsys, "/nonexistent/file.o")
    assert rc == 2 and err.count("\n") == 1


def test_text_output_names_the_2017_sequence(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, fx("asm/init_stage2_2017.o"))
    assert rc == 1
    assert "FATAL   absolute-table [linux4-hyp] __init_stage2_translation+0x30" in out
    assert "ldr x11, [x10, x9, lsl #3]; br x11" in out
    assert "5 slots (R_AARCH64_ABS64)" in out


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "--format", "json", fx("gcc/hazards-O2.o"), fx("clang/negatives-O2.o"))
    assert rc == 1
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["findings"] and all(set(f) >= JSON_KEYS for f in doc["findings"])
    assert {f["class"] for f in doc["findings"]} <= {c.value for c in HazardClass}
    assert {f["severity"] for f in doc["findings"]} <= {"fatal", "warning", "info"}
    assert [x["path"] for x in doc["files"]] == [fx("gcc/hazards-O2.o"), fx("clang/negatives-O2.o")]
    assert doc["files"][1]["counts"] == {"fatal": 0, "warning": 0, "info": 0}
    # stable: the same input gives the same document
    _rc2, out2, _ = run_cli(capsys, "--format", "json", fx("gcc/hazards-O2.o"), fx("clang/negatives-O2.o"))
    assert out2 == out


def _check_sarif(doc: dict[str, object]) -> None:
    """The SARIF 2.1.0 rules a code-scanning upload relies on (OASIS SARIF v2.1.0 §3.13-3.27)."""
    assert doc["version"] == "2.1.0"
    assert str(doc["$schema"]).endswith("sarif-2.1.0.json")
    runs = doc["runs"]
    assert isinstance(runs, list) and len(runs) == 1
    run = runs[0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "a64triage" and isinstance(driver["rules"], list)
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    for r in driver["rules"]:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
    for res in run["results"]:
        assert res["ruleId"] in rule_ids
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("none", "note", "warning", "error")
        assert isinstance(res["message"]["text"], str) and res["message"]["text"]
        assert res["locations"] and all("physicalLocation" in loc for loc in res["locations"])
        for loc in res["locations"]:
            assert loc["physicalLocation"]["artifactLocation"]["uri"]
            for ll in loc.get("logicalLocations", []):
                assert ll["name"] and ll["kind"] == "function"


def test_sarif_shape(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "--format", "sarif", fx("asm/init_stage2_2017.o"), fx("kernel/kvm_nvhe-gcc.tmp.o"))
    assert rc == 1
    doc = json.loads(out)
    _check_sarif(doc)
    levels = {r["level"] for r in doc["runs"][0]["results"]}
    assert levels == {"error", "note"}
    first = doc["runs"][0]["results"][0]
    assert first["ruleId"] == "absolute-table"
    assert first["locations"][0]["logicalLocations"][0]["name"] == "__init_stage2_translation"


def test_sarif_against_jsonschema_subset() -> None:
    """Validate with jsonschema against the required-property skeleton of the SARIF 2.1.0 schema."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = {
        "type": "object", "required": ["version", "runs"],
        "properties": {
            "version": {"const": "2.1.0"},
            "runs": {"type": "array", "items": {
                "type": "object", "required": ["tool"],
                "properties": {
                    "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                        "type": "object", "required": ["name"],
                        "properties": {"rules": {"type": "array", "items": {
                            "type": "object", "required": ["id"]}}}}}},
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["message"],
                        "properties": {
                            "level": {"enum": ["none", "note", "warning", "error"]},
                            "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}]},
                            "locations": {"type": "array"}}}}}}}}}
    jsonschema.validate(to_sarif(audit(fx("gcc/hazards-large.o"))), schema)


def test_diff_clang_vs_gcc_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    # same flags, two compilers: the same hazards (matched by class+function+target, not offsets)
    rc, out, _ = run_cli(capsys, "--diff", fx("clang/hazards-O2.o"), fx("gcc/hazards-O2.o"))
    assert rc == 0, out
    assert "only in A" in out and "0 hazard(s)" in out
    # before/after -fpie: the string table goes PREL32 (gone) and GOT loads appear (new)
    rc, out, _ = run_cli(capsys, "--format", "json", "--diff", fx("clang/hazards-O2.o"), fx("clang/hazards-pie.o"))
    assert rc == 1
    doc = json.loads(out)
    gone = {(f["class"], f["function"]) for f in doc["only_in_a"]}
    new = {(f["class"], f["function"]) for f in doc["only_in_b"]}
    assert ("pointer-in-data", "hz_msg") in gone
    assert ("absolute-in-code", "hz_take_addr") in new


def test_diff_needs_no_extra_files(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run_cli(capsys, fx("clang/hazards-O2.o"), "--diff", fx("clang/hazards-O2.o"), fx("gcc/hazards-O2.o"))
    assert rc == 2 and "--diff" in err


def test_function_filter(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "--format", "json", "--function", "hz_msg", fx("gcc/hazards-O2.o"))
    doc = json.loads(out)
    assert rc == 1 and {f["function"] for f in doc["findings"]} == {"hz_msg"}


# -- bad input: one line, exit 2, never a traceback ---------------------------------------------

def _patched(tmp_path: Path, name: str, patch: dict[int, bytes], truncate: int | None = None) -> str:
    src = Path(fx("clang/hazards-O2.o")).read_bytes()
    data = bytearray(src[:truncate] if truncate else src)
    for off, b in patch.items():
        data[off:off + len(b)] = b
    p = tmp_path / name
    p.write_bytes(bytes(data))
    return str(p)


def test_not_an_elf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("hello, not an ELF file at all\n" * 4)
    rc, out, err = run_cli(capsys, str(p))
    assert rc == 2 and out == "" and err.strip().endswith("not an ELF file") and err.count("\n") == 1


def test_x86_elf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _patched(tmp_path, "x86.o", {18: struct.pack("<H", 62)})  # e_machine = EM_X86_64
    rc, _, err = run_cli(capsys, p)
    assert rc == 2 and "not an AArch64 ELF file (e_machine 62)" in err


def test_elf32(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _patched(tmp_path, "elf32.o", {4: b"\x01"})
    rc, _, err = run_cli(capsys, p)
    assert rc == 2 and "ELFCLASS32" in err


@pytest.mark.parametrize("cut", [10, 64, 600, 1500])
def test_truncated(tmp_path: Path, capsys: pytest.CaptureFixture[str], cut: int) -> None:
    p = _patched(tmp_path, f"trunc{cut}.o", {}, truncate=cut)
    rc, _, err = run_cli(capsys, p)
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err


def _rel_section_offset(path: str, name: str) -> int:
    from a64triage.symbols.rawelf import RawElf
    with RawElf(path) as elf:
        data = Path(path).read_bytes()
        shoff = struct.unpack_from("<Q", data, 0x28)[0]
        sec = elf.section(name)
        assert sec is not None
        return shoff + sec.index * 64


def test_sht_rel_is_a_finding(tmp_path: Path) -> None:
    """An SHT_REL section (what gen-hyprel rejects) is reported, never a crash."""
    off = _rel_section_offset(fx("clang/hazards-O2.o"), ".rela.rodata")
    p = _patched(tmp_path, "rel.o", {off + 4: struct.pack("<I", 9)})
    res = audit(p)
    rel = [f for f in res.findings if f.relocation == "SHT_REL"]
    assert len(rel) == 1 and rel[0].cls is HazardClass.UNKNOWN_RELOCATION and rel[0].severity == "warning"
    assert res.hazardous


def test_unknown_relocation_type_is_a_finding(tmp_path: Path) -> None:
    from a64triage.symbols.rawelf import RawElf
    path = fx("clang/hazards-O2.o")
    with RawElf(path) as elf:
        sec = elf.section(".rela.rodata")
        assert sec is not None
        info_off = sec.offset + 8  # first entry's r_info
    data = Path(path).read_bytes()
    info = struct.unpack_from("<Q", data, info_off)[0]
    p = _patched(tmp_path, "unk.o", {info_off: struct.pack("<Q", (info & ~0xFFFFFFFF) | 999)})
    res = audit(p)
    unk = [f for f in res.findings if f.cls is HazardClass.UNKNOWN_RELOCATION]
    assert len(unk) == 1 and unk[0].relocation == "R_AARCH64_<unknown 999>"
    # the other slots of the table are still reported
    assert len([f for f in res.findings if f.function == "hz_cgoto"]) == 3


def test_json_for_bad_input_is_not_partial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "empty.o"
    p.write_bytes(b"")
    rc, out, err = run_cli(capsys, "--format", "json", str(p))
    assert rc == 2 and out == "" and "not an ELF" in err


def test_subprocess_gate() -> None:
    """The installed entry point behaves as a CI gate."""
    exe = shutil.which("a64triage") or None
    cmd = [exe] if exe else [sys.executable, "-m", "a64triage"]
    r = subprocess.run([*cmd, "audit", fx("kernel/kvm_nvhe-clang-large.tmp.o")], capture_output=True,
                       text=True, timeout=60, check=False)
    assert r.returncode == 1 and "MOVW_UABS" in r.stdout


def test_input_error_type() -> None:
    with pytest.raises(InputError):
        audit("/nonexistent")
    with pytest.raises(InputError):
        findings_to_json(audit("/dev/null"))


# -- hostile input: any corruption is a result or an InputError, never another exception --------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SEED = Path(fx("gcc/hazards-large.o")).read_bytes()
_SHOFF = struct.unpack_from("<Q", _SEED, 0x28)[0]
# positions in the ELF header, the section header table, the symbol table and relocation entries
_POS = st.one_of(st.integers(0, 63), st.integers(_SHOFF, len(_SEED) - 1), st.integers(0, len(_SEED) - 1))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(_POS, st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(0, len(_SEED))))
def test_corrupted_objects_never_crash(tmp_path: Path, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(_SEED)
    for off, val in edits:
        data[off] = val
    p = tmp_path / "fuzz.o"
    p.write_bytes(bytes(data[:cut] if cut is not None else data))
    try:
        res = audit(str(p))
    except InputError:
        return
    findings_to_json(res)
    to_sarif(res)
