"""Bad input (issue #11 "Bad input", #16): binary garbage, a 1 GB single line, 100k headers
in a row, NULs, invalid UTF-8.  No traceback, linear time (the same shape at 1x, 4x
and 16x: a ratio, not a time), bounded memory, and the reports before the damage kept.

The 1 GB line is a generated stream (never a file on disk); the other shapes are
built here in memory.
"""

from __future__ import annotations

import io
import random
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from console_corpus import cases
from linearity import assert_linear

from a64triage.cli import main
from a64triage.console import _text_blocks as text_blocks  # the block reader parse_file uses
from a64triage.console import parse_blocks, report_to_json

GIB = 1 << 30
HEADER = b"Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008\n"
REAL = next(c for c in cases() if c.path.name == "gh-ophub-516-oops-6.1-mutex.log").body.encode()


class Generated(io.RawIOBase):
    """``size`` bytes of ``pattern`` repeated, produced as they are read (nothing stored)."""

    def __init__(self, pattern: bytes, size: int, head: bytes = b"", tail: bytes = b"") -> None:
        self.chunk = pattern * max(1, (1 << 18) // len(pattern))
        self.parts: Iterator[bytes] = self._parts(head, size, tail)
        self.pending = b""

    def _parts(self, head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
        yield head
        while size > 0:
            yield self.chunk[:size]
            size -= len(self.chunk)
        yield tail

    def readable(self) -> bool:
        return True

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            nxt = next(self.parts, None)
            if nxt is None:
                return 0
            self.pending = nxt
        n = min(len(buf), len(self.pending))
        buf[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def parse_stream(stream: io.RawIOBase) -> list[dict[str, object]]:
    return [report_to_json(r) for r in parse_blocks(text_blocks(io.BufferedReader(stream), "generated"))]


def reference() -> list[dict[str, object]]:
    return parse_stream(Generated(b"\n", 1, head=REAL))


def test_the_real_report_is_found() -> None:
    assert len(reference()) == 1


SHAPES: dict[str, Callable[[int], Generated]] = {
    "binary garbage": lambda n: Generated(random.Random(1).randbytes(4093), n, head=REAL),
    "single line": lambda n: Generated(b"Q", n, head=REAL),
    "single line of header text": lambda n: Generated(b"Unable to handle kernel ", n, head=REAL),
    "NULs": lambda n: Generated(b"\0", n, head=REAL),
    "NUL lines": lambda n: Generated(b"\0\0\0\n", n, head=REAL),
    "invalid UTF-8": lambda n: Generated(b"\xff\xfe\xc3(\xe2\x82\n\xf0\x28\x8c\xbc", n, head=REAL),
    "headers in a row": lambda n: Generated(HEADER, n, head=REAL),
    "hexdump digits": lambda n: Generated(b"0000: " + b"0" * 250 + b"\n", n, head=REAL),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_damage_keeps_the_reports_before_it_and_is_linear(shape: str) -> None:
    make = SHAPES[shape]
    before = reference()[0]
    got = parse_stream(make(1 << 16))
    assert got and got[0]["kind"] == before["kind"] and got[0]["pc"] == before["pc"]
    assert got[0]["call_trace"] == before["call_trace"]
    assert_linear(lambda n: (lambda: parse_stream(make(n))), 1 << 16)


_CHILD = """
import resource, sys
from a64triage.console import parse_file
n = sum(1 for _ in parse_file("-"))
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _child(data: bytes) -> tuple[int, int]:
    out = subprocess.run([sys.executable, "-c", _CHILD], input=data, capture_output=True, check=True).stdout.split()
    return int(out[0]), int(out[1])


def test_100k_headers_in_a_row_stream_in_bounded_memory() -> None:
    """Each header is a report of its own, yielded and dropped: the process's peak RSS
    (a child, without tracemalloc's slowdown) is that of parsing nothing plus a little."""
    count, rss_kib = _child(HEADER * 100_000)
    _, idle_kib = _child(b"")
    assert count == 100_000
    assert rss_kib - idle_kib < 32 << 10, f"{rss_kib - idle_kib} KiB over an empty input"


def test_a_1gb_single_line_in_bounded_memory() -> None:
    """1 GiB without a newline, after a real report: the report is kept, the line is cut
    at the reader's limit and skipped without being held (tracemalloc peak is the proof)."""
    tracemalloc.start()
    got = parse_stream(Generated(b"Z", GIB, head=REAL, tail=b"\n" + REAL))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(got) == 2 and got[0]["call_trace"] == reference()[0]["call_trace"]
    assert peak < 16 << 20, f"peak {peak} bytes"


def test_cli_on_damaged_file_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "damaged.log"
    path.write_bytes(REAL + random.Random(2).randbytes(1 << 16) + b"\0" * 4096 + HEADER * 1000 + b"\xff" * 5000)
    assert main(["parse", "--json", str(path)]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err and '"reports"' in out.out
