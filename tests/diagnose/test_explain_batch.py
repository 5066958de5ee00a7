"""`a64triage explain LOG LOG ...`: one process, one vmlinux opened once, each log's output the
same as its own run (after a ``==> PATH <==`` line, or as one JSON Lines document)."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from batch_util import count_opens, split_sections
from diag_helpers import EXAMPLE, REPO

from a64triage.cli import main

ELF = "examples/hyp-panic-2017/replay.elf"
HYP = "examples/hyp-panic-2017/console.log"
CONSOLE = [f"tests/data/console/{name}.log" for name in (
    "gh-cbl-1096-hyp-panic-scs", "kvmarm-2022-nvhe-hyp-panic-overflow", "gh-ophub-516-oops-6.1-mutex",
    "kgdb-2020-nmi-backtrace-no-crash", "gh-rpi-3222-oops-4.19-truncated")]
SCHEMA = json.loads((REPO / "src" / "a64triage" / "schemas" / "explain.schema.json").read_text())
E2E = REPO / "tests" / "data" / "e2e"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["explain", "--color", "never", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _check(capsys: pytest.CaptureFixture[str], opts: list[str], logs: list[str],
           formats: tuple[str, ...] = ("text", "mail", "json")) -> None:
    """Batch output == the single runs, for each format; JSON Lines validate against the schema."""
    for fmt in formats:
        rc, out, _ = _run(capsys, "--format", fmt, *opts, *logs)
        assert rc == 0
        if fmt == "json":
            docs = [json.loads(line) for line in out.splitlines()]
            assert len(docs) == len(logs) and all("\n" not in line for line in out.splitlines())
            parts = list(zip(logs, docs, strict=True))
        else:
            parts = split_sections(out)  # type: ignore[assignment]
        assert [p for p, _ in parts] == logs
        for path, got in parts:
            rc, single, _ = _run(capsys, "--format", fmt, *opts, path)
            assert rc == 0
            if fmt == "json":
                jsonschema.validate(got, SCHEMA)
                assert got == json.loads(single) and got["source"] == path, path
            else:
                assert got == single, f"{fmt}: {path}"


def test_logs_without_vmlinux(capsys: pytest.CaptureFixture[str], in_repo: Path) -> None:
    _check(capsys, [], [*CONSOLE, HYP])


def test_logs_with_vmlinux_open_it_once(capsys: pytest.CaptureFixture[str], in_repo: Path,
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "again.log"
    shutil.copy(EXAMPLE / "console.log", other)
    logs = [HYP, "tests/data/console/lkml-2017-clang-hyp-panic.log", str(other)]
    _check(capsys, ["--vmlinux", ELF], logs, ("text", "json"))
    opened = count_opens(monkeypatch)
    rc, out, _ = _run(capsys, "--format", "json", "--vmlinux", ELF, *logs)
    assert rc == 0 and len(out.splitlines()) == 3
    assert opened == [ELF]
    top = [json.loads(line)["reports"][0]["hypotheses"][0]["class"] for line in out.splitlines()]
    assert top[0] == top[2] == "hyp-absolute-address"


def test_missing_log_among_good_ones(capsys: pytest.CaptureFixture[str], in_repo: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.log")
    rc, out, err = _run(capsys, "--vmlinux", ELF, HYP, missing, CONSOLE[0])
    assert rc == 2
    assert [p for p, _ in split_sections(out)] == [HYP, CONSOLE[0]]
    assert [line for line in err.splitlines() if "missing.log" in line] == \
        [f"a64triage: {missing}: No such file or directory"]
    _, good, _ = _run(capsys, "--vmlinux", ELF, HYP, CONSOLE[0])
    assert out == good
    rc, out, _ = _run(capsys, "--format", "json", HYP, CONSOLE[0], missing)
    assert rc == 2 and [json.loads(line)["source"] for line in out.splitlines()] == [HYP, CONSOLE[0]]


def test_html_writes_one_page_per_log(capsys: pytest.CaptureFixture[str], in_repo: Path, tmp_path: Path) -> None:
    rc, out, err = _run(capsys, "--format", "html", HYP, CONSOLE[0])
    assert rc == 2 and out == "" and err.count("\n") == 1 and "--output DIR" in err
    rc, out, _ = _run(capsys, "--format", "html", "--output", str(tmp_path), "--vmlinux", ELF, HYP, CONSOLE[0])
    assert rc == 0 and out == ""
    assert sorted(os.listdir(tmp_path)) == ["console.log.html", Path(CONSOLE[0]).name + ".html"]
    single = tmp_path / "single.html"
    assert _run(capsys, "--format", "html", "--output", str(single), "--vmlinux", ELF, HYP)[0] == 0
    assert (tmp_path / "console.log.html").read_text() == single.read_text()
    rc, _, err = _run(capsys, "--format", "html", "--output", str(tmp_path), HYP,
                      "tests/data/diagnose/../../../examples/hyp-panic-2017/console.log")
    assert rc == 2 and "console.log.html" in err and err.count("\n") == 1


def test_stdin_among_files_and_one_log_unchanged(capsys: pytest.CaptureFixture[str], in_repo: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def stdin() -> io.TextIOWrapper:
        return io.TextIOWrapper(io.BytesIO((REPO / HYP).read_bytes()))

    monkeypatch.setattr("sys.stdin", stdin())
    rc, single, _ = _run(capsys, "--vmlinux", ELF)
    assert rc == 0 and "==> " not in single and "explain: -  (vmlinux" in single
    monkeypatch.setattr("sys.stdin", stdin())
    rc, out, _ = _run(capsys, "--vmlinux", ELF, CONSOLE[0], "-")
    assert rc == 0 and [p for p, _ in split_sections(out)] == [CONSOLE[0], "-"]
    assert split_sections(out)[1][1] == single


@pytest.mark.realkernel
def test_e2e_logs_in_one_process(debian_vmlinux: str, capsys: pytest.CaptureFixture[str], in_repo: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    vmlinux = debian_vmlinux
    logs = [str(p.relative_to(REPO)) for p in sorted(E2E.glob("*.log"))]
    # every log in JSON against its single run; a spread of them in text (module frames, KASLR on/off)
    _check(capsys, ["--vmlinux", vmlinux], logs, ("json",))
    _check(capsys, ["--vmlinux", vmlinux], logs[::5], ("text",))
    opened = count_opens(monkeypatch)
    rc, out, _ = _run(capsys, "--format", "json", "--vmlinux", vmlinux, *logs)
    assert rc == 0 and opened == [vmlinux] and len(out.splitlines()) == len(logs)
    # the lkdtm module warning belongs to every log that names the module, not only the first
    named = [json.loads(line) for line in out.splitlines()]
    with_lkdtm = [d for d in named if "[lkdtm]" in (REPO / d["source"]).read_text()]
    assert len(with_lkdtm) > 1
    assert all(any("lkdtm" in w for w in d["warnings"]) for d in with_lkdtm)
    assert not any("lkdtm" in w for d in named if d not in with_lkdtm for w in d["warnings"])
