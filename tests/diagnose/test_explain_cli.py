"""`a64triage explain` as a command: exit codes, stderr, formats, schema, mismatched vmlinux."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import jsonschema
import pytest
from diag_helpers import DATA, EXAMPLE, REPO

from a64triage.cli import main
from a64triage.diagnose import explain_log

LOG = str(EXAMPLE / "console.log")
ELF = str(EXAMPLE / "replay.elf")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["explain", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_validates_against_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    schema = json.loads((REPO / "src" / "a64triage" / "schemas" / "explain.schema.json").read_text())
    rc, out, _ = _run(capsys, LOG, "--vmlinux", ELF, "--format", "json")
    assert rc == 0
    doc = json.loads(out)
    jsonschema.validate(doc, schema)
    hyp = doc["reports"][0]["hypotheses"][0]
    assert hyp["class"] == "hyp-absolute-address"
    assert 0 < hyp["confidence"] <= 1
    assert "schema_version" in doc


def test_no_crash_in_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "boot.log"
    log.write_text("[    0.000000] Booting Linux on physical CPU 0x0000000000\n[    1.0] all fine\n")
    rc, out, err = _run(capsys, str(log), "--format", "json")
    assert rc == 0
    assert json.loads(out)["reports"] == []
    assert "no crash report found" in err
    rc, _, err = _run(capsys, str(log))
    assert rc == 0 and "no crash report found" in err


def test_unreadable_inputs_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, str(tmp_path / "missing.log"))
    assert rc == 2 and out == "" and err.count("\n") == 1 and "missing.log" in err
    rc, _, err = _run(capsys, LOG, "--vmlinux", str(tmp_path / "nope.elf"))
    assert rc == 2 and err.count("\n") == 1
    junk = tmp_path / "junk.elf"
    junk.write_bytes(b"not an elf at all")
    rc, _, err = _run(capsys, LOG, "--vmlinux", str(junk))
    assert rc == 2 and err.count("\n") == 1


def test_stdin_and_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    data = Path(LOG).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out_file = tmp_path / "out.txt"
    rc, out, _ = _run(capsys, "-", "--output", str(out_file), "--format", "mail")
    assert rc == 0 and out == ""
    assert "hyp-absolute-address" in out_file.read_text()


def test_every_format_renders(capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("text", "mail", "json", "html"):
        rc, out, _ = _run(capsys, LOG, "--format", fmt, "--color", "never")
        assert rc == 0 and "hyp-absolute-address" in out, fmt
    rc, out, _ = _run(capsys, LOG, "--color", "always")
    assert rc == 0 and "\x1b[" in out


MISMATCHED = ("e2e/ACCESS_NULL.log", "console/iommu-2022-mtk-null-deref-quoted.log")


def test_mismatched_vmlinux_falls_back_to_the_log() -> None:
    """A 6.x log with the 4.14 replay image: warn, and explain from the log alone."""
    other = next((DATA / rel for rel in MISMATCHED if (DATA / rel).exists()), None)
    if other is None:
        pytest.skip("no corpus log with a kernel version present")
    expl = explain_log(str(other), vmlinux=ELF)
    assert expl.warnings and any("using the log alone" in w for w in expl.warnings)
    rep = expl.reports[0]
    assert all(f.symbolized is None for f in rep.frames)
    assert (rep.findings == () and rep.disassembly == ()) or all(i.source is None for i in rep.disassembly)
    assert rep.hypotheses[0].cls == "null-deref"
    assert any("with --vmlinux" in n for n in rep.notes)


def test_text_input_is_accepted() -> None:
    expl = explain_log(Path(LOG).read_text())
    assert expl.source == "<text>"
    assert expl.reports[0].hypotheses[0].cls == "hyp-absolute-address"
