"""The fuzz targets: one function per untrusted-input surface, bytes in, nothing out.

A target returns normally when the tool handled the input: a result, or the one
clean refusal every stage uses (``InputError``, which the CLI prints as one line and
exit 2).  Anything else escaping a target is a defect: a crash for the fuzzer,
a counted traceback for the campaign, a failing case under tests/data/fuzz/.

The same functions serve the coverage-guided runner (run.py, atheris/libFuzzer),
the long campaign (campaign.py) and the replay tests (tests/fuzz/).  Each target
also names its seeds: the project's real test data, so the fuzzer starts from the
shapes the tool was written for (console logs from public reports, clang and GCC
objects, Debian's kernel logs) instead of from nothing.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from a64triage.arm64.address import VA_BITS_CHOICES, address_info
from a64triage.arm64.esr import esr_summary
from a64triage.arm64.kernel_style import STYLES, kernel_mem_abort_lines
from a64triage.arm64.registry import REGISTERS, decode
from a64triage.arm64.text import tree_lines
from a64triage.console import parse_lines, report_to_json
from a64triage.console.parser import parse_blocks, parse_raw
from a64triage.diagnose import explain_log
from a64triage.disasm import decode_code_line, disassemble_function, format_listing
from a64triage.errors import InputError
from a64triage.relocs import audit, findings_to_json, to_sarif, to_text
from a64triage.render import FORMATS, render
from a64triage.symbols import Symbolizer, open_symbolizer
from a64triage.symbols.symbolizer import load_object

_SCRATCH: list[Path] = []


def scratch() -> Path:
    """Where the elf target writes its input: A64TRIAGE_FUZZ_SCRATCH, or a directory of its
    own removed at exit (libFuzzer ends the process with exit(), past Python's atexit: the
    smoke test and the campaign give one and remove it themselves)."""
    if not _SCRATCH:
        given = os.environ.get("A64TRIAGE_FUZZ_SCRATCH")
        path = Path(given or tempfile.mkdtemp(prefix="a64triage-fuzz-",
                                              dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
        path.mkdir(parents=True, exist_ok=True)
        if not given:
            atexit.register(shutil.rmtree, path, ignore_errors=True)
        _SCRATCH.append(path)
    return _SCRATCH[0]


def isolate() -> None:
    """For a fuzzing process: symbol indexes are keyed by build id and a mutated ELF keeps
    its build id, so they go to a private cache, never the user's."""
    os.environ["A64TRIAGE_CACHE"] = str(scratch() / "cache")


ROOT = Path(__file__).resolve().parents[1]
DATA, FIXTURES = ROOT / "tests" / "data", ROOT / "tests" / "fixtures"
FIXTURE_ELF = FIXTURES / "c" / "out" / "image-clang.elf"
FIXTURE_LOG = DATA / "symbols" / "fixture-oops-4x.log"  # a log of a crash in FIXTURE_ELF
MAX_SEED_BYTES = 1 << 20


def _files(*globs: str, under: Path = ROOT) -> Iterator[bytes]:
    for pattern in globs:
        for path in sorted(under.glob(pattern)):
            if path.is_file() and 0 < path.stat().st_size <= MAX_SEED_BYTES:
                yield path.read_bytes()


REFUSALS = [0]  # InputErrors seen: the campaign reports how many inputs were refused cleanly


def _clean(step: Callable[[], object]) -> None:
    """Run one step; a clean refusal is a result like any other."""
    try:
        step()
    except InputError:
        REFUSALS[0] += 1


# --- console: the grammar ----------------------------------------------------------------

def console(data: bytes) -> None:
    """parse: every report found, rendered as its JSON record."""
    for report in parse_lines(data.split(b"\n")):
        json.dumps(report_to_json(report))


def console_blocks(data: bytes) -> None:
    """parse_file's block reader (runs of lines skipped or read at once) against the line
    reader on the same text: a difference in any report, its lines included, is a defect.
    The blocks are cut where the input's first bytes say."""
    lines = data.decode("utf-8", errors="replace").split("\n")
    cuts = sorted({1 + (b * 131 + i) % len(lines) for i, b in enumerate(data[:3])})
    blocks = ["\n".join(lines[a:b]) for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True) if a < b]
    if list(parse_blocks(iter(blocks))) != list(parse_raw(lines)):
        raise AssertionError("the block reader and the line reader disagree")


def log_seeds() -> Iterator[bytes]:
    yield from _files("console/*.log", "e2e/*.log", "diagnose/logs/*.log", "symbols/*.log",
                      "syzkaller/report/*", "render/*.log", under=DATA)


# --- explain: the whole pipeline ---------------------------------------------------------

def _explain(text: str, **kw: object) -> None:
    expl = explain_log(text if "\n" in text else text + "\n", **kw)  # type: ignore[arg-type]
    for fmt in FORMATS:
        render(expl, fmt)


def explain(data: bytes) -> None:
    """explain, log only: parse -> arm64 -> diagnose -> every renderer."""
    _clean(lambda: _explain(data.decode("utf-8", "replace")))


_SYMBOLIZER: list[Symbolizer] = []


def explain_elf(data: bytes) -> None:
    """explain with a small real vmlinux (clang-built, DWARF 5): the log is mutated,
    the image is opened once (as a batch run does) and shared by every input."""
    if not _SYMBOLIZER:
        _SYMBOLIZER.append(open_symbolizer(str(FIXTURE_ELF)))
    sym = _SYMBOLIZER[0]
    sym.kaslr_offset = None  # each log has its own
    _clean(lambda: _explain(data.decode("utf-8", "replace"), vmlinux=str(FIXTURE_ELF), symbolizer=sym))


def explain_elf_seeds() -> Iterator[bytes]:
    yield from _files("symbols/fixture-*.log", under=DATA)
    yield from log_seeds()


# --- ELF/DWARF readers: symbolize, disasm, audit, explain on a mutated file --------------

_FRAMES = (0xFFFF800008010150, 0xFFFF80000801015C, 0xFFFF8000080100B4, 0xFFFF800008010088, 0, 1 << 63)


def elf(data: bytes) -> None:
    """The file's bytes are the input: every reader of ELF and DWARF sees them."""
    path = scratch() / "input.elf"
    path.write_bytes(data)
    name = str(path)
    _clean(lambda: _symbolize(name))
    _clean(lambda: _disasm_object(name))
    _clean(lambda: _audit(name, zlib.crc32(data) % 3))


def _symbolize(name: str) -> None:
    sym = open_symbolizer(name)
    for addr in _FRAMES:
        sym.symbolize_address(addr)
        sym.bug_site(addr)
    _clean(lambda: format_listing(disassemble_function(sym, "entry")))
    _clean(lambda: format_listing(disassemble_function(sym, _FRAMES[0], context=4)))
    expl = explain_log(FIXTURE_LOG.read_text(), vmlinux=name, symbolizer=sym)
    render(expl, "json")


def _disasm_object(name: str) -> None:
    obj = load_object(name)
    _clean(lambda: format_listing(disassemble_function(obj, 0, context=8)))


def _audit(name: str, fmt: int) -> None:
    """The audit, and one of its three outputs (they share the findings; the text and SARIF
    writers cost more than the audit of a small object)."""
    res = audit(name)
    if fmt == 0:
        json.dumps(findings_to_json([res]))
    elif fmt == 1:
        json.dumps(to_sarif([res], "fuzz"))
    else:
        to_text([res], verbose=True)


def elf_seeds() -> Iterator[bytes]:
    yield from _files("c/out/*.elf", "c/out/*.o", "c/out/*.ko", "audit/*/*.o", "audit/linked/*.elf",
                      under=FIXTURES)


# --- the Code: decoder ---------------------------------------------------------------------

def codeline(data: bytes) -> None:
    """disasm --code: the first 8 bytes (when the input starts with '@') are the pc."""
    pc = None
    if data[:1] == b"@" and len(data) >= 9:
        pc = struct.unpack_from("<Q", data, 1)[0]
        data = data[9:]
    _clean(lambda: format_listing(decode_code_line(data.decode("utf-8", "replace"), pc)))


def codeline_seeds() -> Iterator[bytes]:
    for log in log_seeds():
        for line in log.split(b"\n"):
            if b"Code: " in line:
                yield line
                yield b"@" + struct.pack("<Q", 0xFFFF800008010150) + line


# --- register decoders ---------------------------------------------------------------------

_LAYOUTS = ("auto", "pre-5.4", "5.4+")
_STYLES = sorted(STYLES)


def registers(data: bytes) -> None:
    """decode: register (byte 0), EL (byte 1), VA bits and layout (byte 2), value (8 bytes)."""
    if len(data) < 11:
        return
    name = REGISTERS[data[0] % len(REGISTERS)]
    el = None if data[1] % 5 == 4 else data[1] % 5
    va_bits = VA_BITS_CHOICES[data[2] % len(VA_BITS_CHOICES)]
    layout = _LAYOUTS[(data[2] >> 4) % len(_LAYOUTS)]
    value = struct.unpack_from("<Q", data, 3)[0]
    _clean(lambda: tree_lines(decode(name, value, el=el, va_bits=va_bits, layout=layout), show_res0=True))
    _clean(lambda: json.dumps(decode(name, value, el=el).to_json()))
    _clean(lambda: address_info(value, va_bits=va_bits, layout=layout))
    esr_summary(value & 0xFFFFFFFFFFFFFFFF)
    _clean(lambda: kernel_mem_abort_lines(value, _STYLES[data[1] % len(_STYLES)]))


def register_seeds() -> Iterator[bytes]:
    values = (0, 0x96000004, 0x96000045, 0xF2000800, 0x8600000F, 0x5600000, 0x3C5, 0xFFFFFFFFFFFFFFFF,
              0xDEAD000000000108, 0xFFFF800008010150)
    for i in range(len(REGISTERS)):
        for v in values:
            yield bytes((i, i % 5, i % 6 | (i % 3) << 4)) + struct.pack("<Q", v)


# --- the table ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    seeds: Callable[[], Iterator[bytes]]
    doc: str


TARGETS = {t.name: t for t in (
    Target("console", console, log_seeds, "the console grammar: parse + report JSON"),
    Target("console_blocks", console_blocks, log_seeds, "parse_file's block reader against the line reader"),
    Target("explain", explain, log_seeds, "explain, log only, every output format"),
    Target("explain_elf", explain_elf, explain_elf_seeds, "explain with the clang fixture vmlinux"),
    Target("elf", elf, elf_seeds, "mutated ELF through symbolize, disasm, audit and explain"),
    Target("codeline", codeline, codeline_seeds, "the oops Code: line decoder"),
    Target("registers", registers, register_seeds, "arm64 register decoders and address classes"),
)}
