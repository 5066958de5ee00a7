"""What a batch reads: files, directory trees, tar/zip archives and JSON Lines of logs.

Every input becomes an :class:`Item` holding its bytes (bounded by
``max_bytes``) or an :class:`Problem` naming it and what is wrong, so one bad
input never stops the batch.  Items are yielded one at a time: a directory
tree or an archive is walked lazily, never listed whole in memory.

Names: a file is its path; an archive member is ``ARCHIVE!MEMBER``; a JSON
Lines entry is its ``name`` field, else ``FILE:LINE``.  JSON Lines (``.jsonl``
or ``.ndjson``) hold one object per line whose ``log`` field is the log text
(``LOG_FIELD``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

LOG_FIELD = "log"  # JSON Lines: the key of the log text
NAME_FIELD = "name"  # JSON Lines: optional key naming the log (else FILE:LINE)
DEFAULT_MAX_BYTES = 64 << 20
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2")
ZIP_SUFFIXES = (".zip",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_SNIFF = 65536
_TEXT_CONTROLS = {9, 10, 12, 13, 27}
# Every byte but the counted controls: deleting them leaves the controls, counted in C
# (a loop over 64 KiB per input in Python was the client's largest cost).
_NOT_COUNTED = bytes(b for b in range(256) if b >= 32 or b in _TEXT_CONTROLS)


@dataclass(frozen=True)
class Item:
    """One log to triage: its name and its bytes (the worker decodes them)."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Problem:
    """An input that cannot be triaged: the line of errors.jsonl."""

    name: str
    problem: str
    kind: str  # "unreadable", "empty", "binary", "huge", "archive", "jsonl", "worker"


def looks_binary(data: bytes) -> bool:
    """More than 10% control bytes (other than tab, newlines, form feed, ESC) in the
    first 64 KiB: a core, an image, a compressed file; a console log with a few
    NULs from a serial line stays text."""
    head = data[:_SNIFF]
    if not head:
        return False
    return len(head.translate(None, _NOT_COUNTED)) * 10 > len(head)


def check(name: str, data: bytes) -> Item | Problem:
    if not data:
        return Problem(name, "empty", "empty")
    if looks_binary(data):
        return Problem(name, "binary data, not a console log", "binary")
    return Item(name, data)


def _too_big(name: str, size: int, limit: int) -> Problem:
    return Problem(name, f"{size} bytes, more than the limit of {limit} (--max-bytes)", "huge")


def _read_bounded(fh: IO[bytes], name: str, limit: int, size: int) -> Item | Problem:
    """At most ``limit`` + 1 bytes, read as one piece of the ``size`` the file system or
    the archive gives (a read of limit + 1 bytes allocates that much: 64 MiB per input),
    then the rest, if the input holds more than it said, up to the limit."""
    data = fh.read(min(size, limit) + 1)
    if size < len(data) <= limit:
        data += fh.read(limit + 1 - len(data))
    if len(data) > limit:
        return _too_big(name, len(data), limit)
    return check(name, data)


def _file(path: str, limit: int) -> Item | Problem:
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                return _too_big(path, size, limit)
            return _read_bounded(fh, path, limit, size)
    except OSError as exc:
        return Problem(path, exc.strerror or "cannot read", "unreadable")


def _tar(path: str, limit: int) -> Iterator[Item | Problem]:
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                name = f"{path}!{member.name}"
                if not member.isfile():
                    continue
                if member.size > limit:
                    yield _too_big(name, member.size, limit)
                    continue
                fh = tar.extractfile(member)
                if fh is not None:
                    yield _read_bounded(fh, name, limit, member.size)
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        # lzma.LZMAError and gzip.BadGzipFile are OSError/ValueError subclasses
        yield Problem(path, f"broken archive: {exc}", "archive")


def _zip(path: str, limit: int) -> Iterator[Item | Problem]:
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = f"{path}!{info.filename}"
                if info.is_dir():
                    continue
                if info.file_size > limit:
                    yield _too_big(name, info.file_size, limit)
                    continue
                try:
                    with zf.open(info) as fh:
                        yield _read_bounded(fh, name, limit, info.file_size)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                        RuntimeError) as exc:
                    yield Problem(name, f"broken archive member: {exc}", "archive")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield Problem(path, f"broken archive: {exc}", "archive")


def _jsonl(path: str, limit: int) -> Iterator[Item | Problem]:
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        yield Problem(path, exc.strerror or "cannot read", "unreadable")
        return
    with fh:
        no = 0
        while True:
            try:
                line = fh.readline(limit + 1)
            except OSError as exc:
                yield Problem(f"{path}:{no + 1}", exc.strerror or "read error", "unreadable")
                return
            if not line:
                return
            no += 1
            where = f"{path}:{no}"
            if len(line) > limit and not line.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield _too_big(where, len(line), limit)
                continue
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield Problem(where, f"not a JSON object: {exc}", "jsonl")
                continue
            log = obj.get(LOG_FIELD) if isinstance(obj, dict) else None
            if not isinstance(log, str):
                yield Problem(where, f"no string field {LOG_FIELD!r}", "jsonl")
                continue
            name = obj.get(NAME_FIELD)
            yield check(name if isinstance(name, str) and name else where, log.encode("utf-8", "replace"))


def _expand(path: str, limit: int) -> Iterator[Item | Problem]:
    low = path.lower()
    if low.endswith(TAR_SUFFIXES):
        yield from _tar(path, limit)
    elif low.endswith(ZIP_SUFFIXES):
        yield from _zip(path, limit)
    elif low.endswith(JSONL_SUFFIXES):
        yield from _jsonl(path, limit)
    else:
        yield _file(path, limit)


def walk(paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item | Problem]:
    """Every input under ``paths`` in a stable order (directories sorted, recursively)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path, onerror=None):
                dirs.sort()
                for name in sorted(files):
                    yield from _expand(os.path.join(root, name), max_bytes)
        elif os.path.exists(path):
            yield from _expand(path, max_bytes)
        else:
            yield Problem(path, "no such file or directory", "unreadable")
