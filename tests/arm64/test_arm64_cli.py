"""`a64triage decode` end to end: output shape, JSON contract, bad input -> one line, exit 2."""

from __future__ import annotations

import json

import pytest

from a64triage.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["decode", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_text_header_and_fields(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "ESR_EL2", "0x86000004")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0] == ("ESR_EL2 0x86000004: IABT (current EL) — instruction abort taken "
                        "without a change in exception level")
    assert any(ln.strip().startswith("[5:0]") and "IFSC" in ln and "translation fault, level 0" in ln for ln in lines)


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "ps", "800003c9", "--json")
    assert rc == 0
    doc = json.loads(out)
    assert set(doc) >= {"register", "value", "fields", "notes"}
    assert doc["value"] == "0x800003c9"
    f = doc["fields"][0]
    assert set(f) >= {"name", "bits", "value", "meaning", "fields"}


def test_kernel_style(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "esr", "0x96000004", "--kernel-style", "old")
    assert rc == 0
    assert "  Exception class = DABT (current EL), IL = 32 bits" in out.splitlines()
    rc, out, _ = _run(capsys, "esr", "0x96000004", "--kernel-style", "--json")
    assert json.loads(out)["kernel_style"]["lines"][1] == "  ESR = 0x0000000096000004"


@pytest.mark.parametrize(("argv", "needle"), [
    (["ESR", "0xzz"], "not a hexadecimal number"),
    (["ESR", "0x1_0000_0000_0000_0000"], "does not fit in 64 bits"),
    (["ESSR", "0"], "did you mean"),
    (["HSR", "0x100000000"], "wider than the 32-bit register"),
    (["MIDR", "1", "--kernel-style"], "only applies to ESR"),
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    rc, out, err = _run(capsys, *argv)
    assert rc == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_value_without_prefix_is_hex(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "PAR", "0")
    assert rc == 0 and out.startswith("PAR_EL1 0x0: successful translation")


FIELDTREE_SCHEMA = {
    "type": "object",
    "required": ["register", "value", "width", "fields", "notes"],
    "properties": {
        "register": {"type": "string"},
        "value": {"type": "string", "pattern": "^0x[0-9a-f]+$"},
        "width": {"type": "integer"},
        "summary": {"type": "string"},
        "notes": {"type": "array", "items": {"type": "string"}},
        "fields": {"type": "array", "items": {"$ref": "#/$defs/field"}},
    },
    "$defs": {
        "field": {
            "type": "object",
            "required": ["name", "bits", "value", "meaning", "fields"],
            "properties": {
                "name": {"type": "string"},
                "bits": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                "value": {"type": "integer"},
                "meaning": {"type": "string"},
                "fields": {"type": "array", "items": {"$ref": "#/$defs/field"}},
            },
        }
    },
}


@pytest.mark.parametrize(("reg", "value"), [
    ("ESR_EL2", "86000004"), ("SPSR_EL2", "800003c9"), ("HPFAR", "9825000"), ("PAR", "0"),
    ("FAR", "ffff0000089e6fd8"), ("MIDR", "410fd034"), ("VTCR_EL2", "80023558"),
])
def test_json_validates_against_contract(capsys: pytest.CaptureFixture[str], reg: str, value: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    rc, out, _ = _run(capsys, reg, value, "--json")
    assert rc == 0
    jsonschema.validate(json.loads(out), FIELDTREE_SCHEMA)
