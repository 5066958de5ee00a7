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
from a64triage.console.parser import parse_raw
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
        return parse_raw(_binary_lines(sys.stdin.buffer, "-"))
    try:
        handle = open(path_or_dash, "rb")  # noqa: SIM115 - closed by the generator
    except OSError as exc:
        raise InputError(path_or_dash, exc.strerror or "cannot open") from None
    return parse_raw(_binary_lines(handle, path_or_dash, close=True))


def _binary_lines(handle: object, name: str, close: bool = False) -> Iterator[bytes]:
    """Lines of a binary stream, each cut at 64 KiB so one huge line cannot eat memory."""
    import io

    assert isinstance(handle, io.BufferedIOBase | io.RawIOBase | io.BufferedReader)
    try:
        while True:
            try:
                chunk = handle.readline(65536)
            except OSError as exc:
                raise InputError(name, exc.strerror or "read error") from None
            if not chunk:
                return
            if len(chunk) == 65536 and not chunk.endswith(b"\n"):
                # Skip the rest of an over-long line without holding it.
                while True:
                    rest = handle.readline(65536)
                    if not rest or rest.endswith(b"\n"):
                        break
            yield chunk
    finally:
        if close:
            handle.close()
