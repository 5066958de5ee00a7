"""A debuginfod client: debug files by GNU build id, into our cache, checked.

The protocol is elfutils' (debuginfod(8), "WEBAPI"): ``GET URL/buildid/HEX/debuginfo``
(or ``/executable``) answers the file, 404 when the server has none.  Servers are
tried in the order given (``--debuginfod``, else ``DEBUGINFOD_URLS``, space
separated).  A download goes to ``buildid/HEX/KIND.part`` and becomes
``buildid/HEX/KIND`` only once whole and checked to carry the build id asked for,
so the cache never holds a partial or wrong file under a usable name; an
interrupted download is resumed from its ``.part`` with an HTTP ``Range`` request
(a server that ignores it sends the whole file again).  A progress bar goes to
stderr when it is a terminal and the file is large.
"""

from __future__ import annotations

import errno
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from a64triage.errors import InputError
from a64triage.symbols.files import cache_lock

if TYPE_CHECKING:
    from a64triage.symbols.sources import SourceOptions

# Seconds a server may stay silent (connecting, or before and between bytes): a server that
# extracts a 273 MB vmlinux from a .deb sends nothing for many seconds.  elfutils' client
# reads DEBUGINFOD_TIMEOUT for this, 90 by default (debuginfod_find_debuginfo(3)): so do we.
DEFAULT_TIMEOUT = 90.0


def timeout() -> float:
    try:
        value = float(os.environ.get("DEBUGINFOD_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT
CHUNK = 1 << 20
PROGRESS_MIN_BYTES = 8 << 20  # smaller files come without a bar
KINDS = ("debuginfo", "executable")


@dataclass(frozen=True)
class Fetched:
    path: Path
    url: str  # the server it came from ("cache" when it was already here)
    size: int
    seconds: float


def cached(build_id: str, kind: str, cache_dir: Path) -> Path:
    return cache_dir / "buildid" / build_id / kind


def fetch(build_id: str, kind: str, options: SourceOptions) -> Fetched:
    """The ``kind`` file of ``build_id``: from the cache, else from the first server that has it."""
    if kind not in KINDS:
        raise ValueError(kind)
    dest = cached(build_id, kind, options.cache_dir)
    if dest.is_file():
        return Fetched(dest, "cache", dest.stat().st_size, 0.0)
    if options.offline:
        raise InputError(f"build id {build_id}", f"no {kind} in the cache ({dest.parent}) and --offline")
    if not options.debuginfod_urls:
        raise InputError(f"build id {build_id}", "no debuginfod server: give --debuginfod URL or set DEBUGINFOD_URLS")
    errors: list[str] = []
    with cache_lock(str(dest.parent)):  # this build id's entry
        if dest.is_file():  # another process fetched it while this one waited
            return Fetched(dest, "cache", dest.stat().st_size, 0.0)
        for url in options.debuginfod_urls:
            try:
                return _download(url.rstrip("/"), build_id, kind, dest)
            except _NotThere as exc:
                errors.append(str(exc))
    raise InputError(f"build id {build_id}", "; ".join(errors))


class _NotThere(Exception):
    """This server does not have it (404) or cannot be reached: try the next one."""


def _download(base: str, build_id: str, kind: str, dest: Path) -> Fetched:
    url = f"{base}/buildid/{build_id}/{kind}"
    part = dest.with_name(dest.name + ".part")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(str(dest.parent), f"cannot create the cache: {exc.strerror}") from None
    have = part.stat().st_size if part.is_file() else 0
    req = urllib.request.Request(url, headers={"User-Agent": "a64triage",
                                               **({"Range": f"bytes={have}-"} if have else {})})
    start = time.monotonic()
    try:
        resp = urllib.request.urlopen(req, timeout=timeout())
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # our .part is already whole (or wrong): start over
            part.unlink(missing_ok=True)
            return _download(base, build_id, kind, dest)
        if exc.code == 404:
            raise _NotThere(f"{base} has no {kind} for it (404)") from None
        raise _NotThere(f"{base} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _NotThere(f"cannot reach {base}: {reason}") from None
    with resp:
        resumed = have and resp.status == 206
        if not resumed:
            have = 0
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        got = _copy(resp, part, have, total, url, resumed=bool(resumed))
    if total is not None and got != total:
        raise InputError(url, f"download cut short at {got} of {total} bytes: run again to resume")
    _check(part, build_id, url)
    os.replace(part, dest)
    return Fetched(dest, base, got, time.monotonic() - start)


def _copy(resp: IO[bytes], part: Path, have: int, total: int | None, url: str, *, resumed: bool) -> int:
    bar = _Progress(total, have) if sys.stderr.isatty() and (total or 0) >= PROGRESS_MIN_BYTES else None
    got = have
    try:
        with open(part, "ab" if resumed else "wb") as out:
            while True:
                try:
                    chunk = resp.read(CHUNK)
                except (OSError, ValueError) as exc:  # connection reset, timeout mid-body
                    raise InputError(url, f"download interrupted at {got} bytes ({exc}): run again to resume") from None
                if not chunk:
                    break
                out.write(chunk)
                got += len(chunk)
                if bar:
                    bar.show(got)
    except OSError as exc:
        part.unlink(missing_ok=True)  # a full disk: nothing half-written stays
        what = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise InputError(str(part.parent), f"cannot write the download: {what}") from None
    finally:
        if bar:
            bar.done()
    return got


def _check(part: Path, build_id: str, url: str) -> None:
    """The file must be an AArch64 ELF carrying the build id we asked for."""
    from a64triage.symbols.rawelf import RawElf

    try:
        with RawElf(str(part)) as image:
            have = image.build_id
    except InputError as exc:
        part.unlink(missing_ok=True)
        raise InputError(url, f"not a usable debug file: {exc.problem}") from None
    if have != build_id:
        part.unlink(missing_ok=True)
        raise InputError(url, f"answered a file with build id {have or 'none'}, not {build_id}")


class _Progress:
    """``\\r``-redrawn bar on stderr (a terminal only)."""

    def __init__(self, total: int | None, start: int) -> None:
        self.total = total
        self.last = 0.0
        self.show(start)

    def show(self, got: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        mb = got / 1e6
        if self.total:
            frac = got / self.total
            bar = "#" * int(frac * 30)
            sys.stderr.write(f"\rdebuginfod: [{bar:<30}] {mb:7.1f}/{self.total / 1e6:.1f} MB")
        else:
            sys.stderr.write(f"\rdebuginfod: {mb:7.1f} MB")
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
