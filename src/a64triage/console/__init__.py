"""Parse stage: find arm64 (and recognise 32-bit arm) crash reports in console logs.

Public API (other stages and commands call these):

- ``parse_lines(lines)``: stream of raw lines (str or bytes) -> iterator of ``Report``
- ``parse_file(path_or_dash)``: a file path or ``-`` for stdin, streamed line by line
- ``parse_text(text)``: a whole log in a string -> list of ``Report``
- ``report_to_json(report)``: one ``Report`` -> JSON-ready dict (schemas/report.schema.json)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

from a64triage.console.jsonout import SCHEMA_VERSION, report_to_json, reports_document
from a64triage.console.kinds import Kind
from a64triage.console.lines import LogLine, clean_lines
from a64triage.console.parser import parse_blocks, parse_raw
from a64triage.console.records import Frame, KvmInfo, Report
from a64triage.errors import InputError

__all__ = [
    "SCHEMA_VERSION",
    "Frame",
    "Kind",
    "KvmInfo",
    "LogLine",
    "Report",
    "clean_lines",
    "parse_file",
    "parse_lines",
    "parse_text",
    "report_to_json",
    "reports_document",
]


def parse_lines(lines: Iterable[str | bytes]) -> Iterator[Report]:
    """Reports found in ``lines``, yielded as each one completes (flat memory)."""
    return parse_raw(lines)


def parse_text(text: str) -> list[Report]:
    """All reports in one log held in memory."""
    return list(parse_raw(text.splitlines()))


def parse_file(path_or_dash: str) -> Iterator[Report]:
    """Stream a log file (``-`` = stdin) line by line; InputError if unreadable.

    The file is opened eagerly so a bad path fails at the call, not at the
    first ``next()``.
    """
    if path_or_dash == "-":
        return parse_blocks(_text_blocks(sys.stdin.buffer, "-"))
    try:
        handle = open(path_or_dash, "rb")  # noqa: SIM115 - closed by the generator
    except OSError as exc:
        raise InputError(path_or_dash, exc.strerror or "cannot open") from None
    return parse_blocks(_text_blocks(handle, path_or_dash, close=True))


BLOCK = 1 << 18  # bytes read and decoded at a time (peak memory is a few times this)
LONG_LINE = 65536  # bytes of one line kept; the rest is skipped without being held


def _text_blocks(handle: object, name: str, close: bool = False) -> Iterator[str]:
    """Lines of a binary stream (split at ``\n``), decoded as UTF-8 a block at a time;
    each block is whole lines joined by newlines (the parser splits them).

    Decoding a block at once instead of every line separately is much
    cheaper and gives the same text (``\n`` never occurs inside a UTF-8
    sequence, so invalid bytes are replaced the same way).  A line longer than
    ``LONG_LINE`` bytes is cut there and its rest skipped, so memory stays bounded.
    """
    import io

    assert isinstance(handle, io.BufferedIOBase | io.RawIOBase | io.BufferedReader)
    read = getattr(handle, "read1", None) or handle.read  # read1: stdin yields what is there
    carry = b""
    skipping = False
    try:
        while True:
            try:
                block = read(BLOCK)
            except OSError as exc:
                raise InputError(name, exc.strerror or "read error") from None
            if not block:
                break
            if skipping:
                nl = block.find(b"\n")
                if nl < 0:
                    continue
                block = block[nl + 1 :]
                skipping = False
            if carry:
                block = carry + block
            nl = block.rfind(b"\n")
            if nl < 0:
                carry = block
            else:
                carry = block[nl + 1 :]
                yield block[:nl].decode("utf-8", errors="replace")
            if len(carry) >= LONG_LINE:
                yield carry[:LONG_LINE].decode("utf-8", errors="replace")
                carry = b""
                skipping = True
        if carry:
            yield carry.decode("utf-8", errors="replace")
    finally:
        if close:
            handle.close()
