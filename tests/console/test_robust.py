"""Bad and hostile input: never a traceback, never a hang, bounded memory."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from pathlib import Path

import jsonschema
import pytest
from console_corpus import cases, schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from a64triage.cli import main
from a64triage.console import parse_file, parse_lines, parse_text, reports_document
from a64triage.errors import InputError

CORPUS_LINES = [line for c in cases() for line in c.body.splitlines()]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    jsonschema.validate(reports_document(parse_text(text)), schema())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=40))
def test_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    list(parse_lines(chunks))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(CORPUS_LINES), max_size=120), st.randoms(use_true_random=False))
def test_shuffled_real_lines_never_raise(lines: list[str], rnd: object) -> None:
    """Real crash lines in random order and truncated at random places."""
    mangled = [ln[: len(ln) // 2] if i % 7 == 3 else ln for i, ln in enumerate(lines)]
    doc = reports_document(parse_lines(mangled))
    jsonschema.validate(doc, schema())


@pytest.mark.parametrize(
    "evil",
    [
        "x29: " * 20000,
        "[" * 200000,
        "Unable to handle kernel " + "a " * 100000,
        "Kernel panic - not syncing: " + "=3D" * 100000,
        " " * 500000 + "Call trace:",
        "a+0x" + "1" * 100000 + "/0x1",
        "CPU: 1 PID: 2 Comm: " + "x " * 100000,
        ">" * 100000,
    ],
)
def test_pathological_single_lines_are_fast(evil: str) -> None:
    start = time.perf_counter()
    parse_text(evil + "\n" + evil)
    assert time.perf_counter() - start < 2.0


def test_one_megabyte_line(tmp_path: Path) -> None:
    path = tmp_path / "big-line.log"
    path.write_bytes(b"[    1.000000] " + b"Q" * (1 << 20) + b"\n")
    start = time.perf_counter()
    assert list(parse_file(str(path))) == []
    assert time.perf_counter() - start < 2.0


def test_time_is_linear_in_log_size() -> None:
    body = "\n".join(c.body for c in cases())

    def cost(copies: int) -> float:
        start = time.perf_counter()
        list(parse_text((body + "\n") * copies))
        return time.perf_counter() - start

    small, large = cost(2), cost(8)
    assert large < small * 4 * 3  # 4x input, generous slack for noise


def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    chunk = ("\n".join(c.body for c in cases()) + "\n").encode()
    path = tmp_path / "many.log"
    with path.open("wb") as out:
        for _ in range(1 + (3 << 20) // len(chunk)):  # ~3 MB (tracemalloc slows parsing ~5x)
            out.write(chunk)
    tracemalloc.start()
    count = sum(1 for _ in parse_file(str(path)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count > 100
    assert peak < 4 << 20, f"peak {peak} bytes for an {path.stat().st_size} byte log"


def test_unreadable_path_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        parse_file(str(tmp_path / "missing.log"))
    with pytest.raises(InputError):
        parse_file(str(tmp_path))


def test_empty_input() -> None:
    assert parse_text("") == []
    assert list(parse_lines([])) == []


def test_cli_no_crash_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "boot.log"
    path.write_text("[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd034]\n")
    assert main(["parse", str(path)]) == 0
    err = capsys.readouterr().err
    assert "no crash report found" in err
    assert main(["parse", "--json", str(path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"schema_version": "2", "reports": []}
    assert "no crash report found" in captured.err


def test_cli_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(os.urandom(1 << 16) + b"\x00" * 1000)
    assert main(["parse", "--json", str(path)]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), schema())


def test_cli_bad_path_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(tmp_path / "nope.log")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("a64triage: ") and err.count("\n") == 1


def test_cli_json_and_text_on_real_log(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).resolve().parents[1] / "data" / "console" / "lkml-2017-clang-hyp-panic.log"
    assert main(["parse", "--json", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, schema())
    (report,) = doc["reports"]
    assert report["kind"] == "hyp-panic" and report["esr"] == "0x86000004"
    assert report["kvm"]["panic"]["PC"] == "0xffff0000089e6fd8"
    assert main(["parse", str(path)]) == 0
    assert capsys.readouterr().out.startswith("kernel panic: HYP panic:\n")


def test_stdin_dash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io
    import sys

    data = b"[ 1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["parse", "-"]) == 0
    assert capsys.readouterr().out.startswith("kernel panic: Attempted to kill init!\n")
