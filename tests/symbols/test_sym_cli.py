"""`a64triage symbolize` as a filter: golden outputs for the fixture logs (both backends)."""

from __future__ import annotations

import json

import pytest
from symtest_util import GOLDEN, ROOT, check_golden

from a64triage.cli import main

F = "tests/fixtures/c/out"
CASES = {
    "oops-6x": ["--vmlinux", f"{F}/image-clang.elf", "--modules", f"{F}/modules",
                "--debug-dir", f"{F}/debug", "--source", "tests/fixtures/c",
                "tests/data/symbols/fixture-oops-6x.log"],
    "oops-4x": ["--vmlinux", f"{F}/image-clang.elf", "tests/data/symbols/fixture-oops-4x.log"],
    "oops-6x-sysmap": ["--system-map", f"{F}/image-clang.System.map",
                       "tests/data/symbols/fixture-oops-6x.log"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_symbolize_text(case: str, backend: str, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["symbolize", *CASES[case]]) == 0
    out, err = capsys.readouterr()
    check_golden(GOLDEN / f"cli-{case}.{backend}.txt", out + "--- stderr ---\n" + err)


@pytest.mark.parametrize("case", sorted(CASES))
def test_symbolize_json(case: str, backend: str, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["symbolize", "--json", *CASES[case]]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["backend"] in ("drgn", "pyelftools", "none")
    del doc["backend"]
    check_golden(GOLDEN / f"cli-{case}.{backend}.json", json.dumps(doc, indent=1, sort_keys=True) + "\n")


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("sys.stdin", io.StringIO("[ 1.0]  outer+0x8/0x24\n"))
    assert main(["symbolize", "--vmlinux", f"{F}/image-clang.elf", "-"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[ 1.0]  outer+0x8/0x24 (inline.c:24)"
    assert out[1] == "[ 1.0]     middle (inline.c:19) [inlined]"
