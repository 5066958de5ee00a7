"""Argument errors: one line naming the argument and the problem, exit 2, no usage block;
every numeric argument of every command is range-checked before a stage sees it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from a64triage.cli import COMMANDS, build_parser, main
from a64triage.commands.argtypes import U64_MAX, bounded, hex_u64, u64

ELF = str(Path(__file__).parent / "fixtures" / "c" / "out" / "image-clang.elf")
CODE = "Code: d503201f d503201f (d503201f) d503201f d503201f"

# argv -> a word the one line must contain
BAD = [
    ([], "required: COMMAND"),
    (["nope"], "invalid choice: 'nope'"),
    (["decode"], "decode: the following arguments are required: register, value"),
    (["decode", "esr", "1", "--el", "7"], "argument --el: invalid choice: 7"),
    (["decode", "esr", "1", "--va-bits", "99"], "argument --va-bits: invalid choice: 99"),
    (["decode", "esr", "1", "--va-bits", "x"], "argument --va-bits: invalid int value"),
    (["explain", "--format", "pdf"], "argument --format: invalid choice: 'pdf'"),
    (["parse", "--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["disasm", "--code", CODE, "--pc", "-10"], "argument --pc: '-10' is out of range (0x0 to 0xffffffffffffffff)"),
    (["disasm", "--code", CODE, "--pc", "0x10000000000000000"], "argument --pc: '0x10000000000000000' is out of range"),
    (["disasm", "--code", CODE, "--pc", "zz"], "argument --pc: 'zz' is not a hexadecimal number"),
    (["disasm", "--code", CODE, "--pc", "0x4"], "5 words around pc 0x4 run outside the 64-bit address space"),
    (["disasm", "--code", CODE, "--pc", "0xfffffffffffffffc"], "run outside the 64-bit address space"),
    (["disasm", "main", "--vmlinux", ELF, "--context", "-1"], "argument --context: '-1' is out of range (0 to 10000)"),
    (["disasm", "main", "--vmlinux", ELF, "--context", "10001"], "argument --context: '10001' is out of range"),
    (["disasm", "main", "--vmlinux", ELF, "--fault=-0x4"], "argument --fault: '-0x4' is out of range"),
    (["disasm", "0xzz", "--vmlinux", ELF, "--kaslr-offset", "0x10"], "'0xzz' is not a hexadecimal number"),
    (["disasm", "0x10", "--vmlinux", ELF, "--kaslr-offset", "0x100"], "0x10 is below the KASLR offset 0x100"),
    (["disasm", "0x1000", "--vmlinux", ELF, "--fault", "0x1", "--kaslr-offset", "0x100"],
     "--fault: 0x1 is below the KASLR offset 0x100"),
    (["symbolize", "--kaslr-offset", "-1"], "argument --kaslr-offset: '-1' is out of range (0x0 to 0xffffffffffffffff)"),
    (["symbolize", "--kaslr-offset", str(1 << 64)], "is out of range"),
    (["symbolize", "--kaslr-offset", "0xgg"], "'0xgg' is not a number"),
]


@pytest.mark.parametrize(("argv", "needle"), BAD, ids=[" ".join(a).replace(ELF, "ELF")[:60] or "(none)" for a, _ in BAD])
def test_bad_argument_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("a64triage: ") and "usage:" not in err, err
    assert needle in err, err


def test_help_keeps_the_usage_block(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["disasm", "--help"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("usage: a64triage disasm")


def test_installed_entry_point_one_line() -> None:
    """The console script, not only main(): what a user sees in a shell."""
    proc = subprocess.run([sys.executable, "-m", "a64triage", "disasm", "--code", CODE, "--pc", "-10"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--pc" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_numeric_argument_is_range_checked(command: str) -> None:
    """A bare ``type=int`` (or float) lets -10 or 2**70 through to the stages: numbers
    take a bounded validator from commands/argtypes.py, or a choices list."""
    sub = next(a for a in build_parser(command)._actions if isinstance(a, argparse._SubParsersAction))
    for action in sub.choices[command]._actions:
        if action.type in (int, float):
            assert action.choices is not None, f"{command} {action.option_strings}: {action.type} without a range"


@pytest.mark.parametrize(("check", "text", "value"), [
    (hex_u64, "0", 0), (hex_u64, "ffffffffffffffff", U64_MAX), (hex_u64, "0xFFFF_0000", 0xFFFF0000),
    (hex_u64, "10", 16), (u64, "10", 10), (u64, "0x10", 16), (u64, str(U64_MAX), U64_MAX),
    (bounded(1, 3), "3", 3),
])
def test_validators_accept_the_range(check: object, text: str, value: int) -> None:
    assert callable(check) and check(text) == value


@pytest.mark.parametrize(("check", "text"), [
    (hex_u64, "-1"), (hex_u64, "1" + "0" * 16), (hex_u64, ""), (hex_u64, "0x"), (u64, "-0x1"),
    (u64, str(U64_MAX + 1)), (bounded(1, 3), "0"), (bounded(1, 3), "4"), (bounded(1, 3), "1.5"),
])
def test_validators_refuse_outside(check: object, text: str) -> None:
    assert callable(check)
    with pytest.raises(argparse.ArgumentTypeError):
        check(text)
