"""`a64triage symbolize` over several logs in one process: same output as one run per log,
one vmlinux opened once, an unreadable log reported without losing the others."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from batch_util import count_opens, split_sections
from symtest_util import FIXTURES, ROOT

from a64triage.cli import main

ELF = str(FIXTURES / "image-clang.elf")
LOGS = ["tests/data/symbols/fixture-oops-6x.log", "tests/data/symbols/fixture-oops-4x.log"]
E2E = ROOT / "tests" / "data" / "e2e"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["symbolize", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _batch_equals_singles(capsys: pytest.CaptureFixture[str], opts: list[str], logs: list[str]) -> None:
    rc, out, _ = _run(capsys, *opts, *logs)
    assert rc == 0
    parts = split_sections(out)
    assert [p for p, _ in parts] == logs
    for path, text in parts:
        rc, single, _ = _run(capsys, *opts, path)
        assert rc == 0 and text == single, path
    rc, out, _ = _run(capsys, "--json", *opts, *logs)
    assert rc == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["source"] for d in docs] == logs
    for path, doc in zip(logs, docs, strict=True):
        rc, single, _ = _run(capsys, "--json", *opts, path)
        del doc["source"]
        assert rc == 0 and doc == json.loads(single), path


def test_batch_equals_single_runs(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    _batch_equals_singles(capsys, ["--vmlinux", ELF, "--modules", str(FIXTURES / "modules"),
                                   "--debug-dir", str(FIXTURES / "debug")], LOGS)


def test_vmlinux_opened_once(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    opened = count_opens(monkeypatch)
    rc, out, _ = _run(capsys, "--vmlinux", ELF, *LOGS, *LOGS)
    assert rc == 0 and out.count("==> ") == 4
    assert opened == [ELF]


def test_missing_log_among_good_ones(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                     tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    missing = str(tmp_path / "missing.log")
    rc, out, err = _run(capsys, "--vmlinux", ELF, LOGS[0], missing, LOGS[1])
    assert rc == 2
    assert [p for p, _ in split_sections(out)] == [LOGS[0], LOGS[1]]
    assert [line for line in err.splitlines() if "missing.log" in line] == \
        [f"a64triage: {missing}: No such file or directory"]
    _, good, _ = _run(capsys, "--vmlinux", ELF, *LOGS)
    assert out == good
    rc, out, _ = _run(capsys, "--json", "--vmlinux", ELF, missing, *LOGS)
    assert rc == 2 and [json.loads(line)["source"] for line in out.splitlines()] == LOGS


def test_one_log_and_stdin_keep_the_single_format(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rc, out, _ = _run(capsys, "--vmlinux", ELF, LOGS[0])
    assert rc == 0 and "==> " not in out
    text = Path(LOGS[1]).read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    rc, out, _ = _run(capsys, "--vmlinux", ELF, LOGS[0], "-")
    assert rc == 0 and [p for p, _ in split_sections(out)] == [LOGS[0], "-"]
    _, single, _ = _run(capsys, "--vmlinux", ELF, LOGS[1])
    assert split_sections(out)[1][1] == single
    rc, _, err = _run(capsys, "--vmlinux", ELF, "-", "-")
    assert rc == 2 and err.count("\n") == 1


@pytest.mark.realkernel
def test_e2e_batch_equals_single_runs(debian_vmlinux: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    vmlinux = debian_vmlinux
    monkeypatch.chdir(ROOT)
    logs = [str(p.relative_to(ROOT)) for p in sorted(E2E.glob("*.log"))]
    # a spread of crash kinds (KASLR on and off, module frames); every log in the JSON check below
    _batch_equals_singles(capsys, ["--vmlinux", vmlinux], logs[::6] + [s for s in logs if "SYSRQ" in s])
    opened = count_opens(monkeypatch)
    rc, out, _ = _run(capsys, "--json", "--vmlinux", vmlinux, *logs)
    assert rc == 0 and opened == [vmlinux]
    docs = [json.loads(line) for line in out.splitlines()]
    assert [d["source"] for d in docs] == logs
    release = Path(vmlinux).name.removeprefix("vmlinux-")
    assert all(d["release"] == release and d["frames"] for d in docs)
    # each log's own KASLR offset, not the first log's
    offsets = {d["source"]: d["kaslr_offset"] for d in docs}
    nokaslr = [s for s in logs if "nokaslr" in s]
    assert nokaslr and all(offsets[s] in (None, "0x0") for s in nokaslr)
    assert len({offsets[s] for s in logs if s not in nokaslr} - {None}) > 1
    # the lkdtm module warning belongs to each log that names the module, and to no other
    for d in docs:
        names = "[lkdtm]" in (ROOT / d["source"]).read_text()
        assert names == any("module lkdtm not found" in w for w in d["warnings"]), d["source"]
