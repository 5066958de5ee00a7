"""Finding the files behind a crash: modules by name, separate debug files, compressed .ko.

Debian ships modules as ``lib/modules/<ver>/kernel/**/name.ko[.xz]`` and their
DWARF in the ``-dbg`` package, either at the same relative path under
``/usr/lib/debug/lib/modules/<ver>/`` or by build-id under
``/usr/lib/debug/.build-id/xx/yyyy.debug``; a stripped file may also name its
debug file in ``.gnu_debuglink``.  Module names in a log use ``_`` where the file
name may use ``-`` (kbuild's KBUILD_MODNAME), so both are one key here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from a64triage.errors import InputError

_KO_SUFFIXES = (".ko", ".ko.xz", ".ko.gz", ".ko.zst")
MAX_MODULE_BYTES = 512 * 1024 * 1024  # a decompressed module is never this large


def module_key(name: str) -> str:
    """The name a log prints for a module file (``-`` and ``_`` are one)."""
    base = os.path.basename(name)
    for suf in _KO_SUFFIXES:
        if base.endswith(suf):
            base = base[: -len(suf)]
            break
    return base.replace("-", "_")


def cache_dir(*parts: str) -> str:
    """``$A64TRIAGE_CACHE``, else ``$XDG_CACHE_HOME/a64triage``, else ``~/.cache/a64triage``
    (the XDG base directory rule), joined with ``parts`` (os.path: no pathlib import)."""
    base = os.environ.get("A64TRIAGE_CACHE")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(root, "a64triage")
    return os.path.join(base, *parts)


@contextlib.contextmanager
def cache_lock(directory: str) -> Iterator[None]:
    """Held while one process fills an entry of the cache ``directory``: batch workers
    (several per machine) reach the same build at once, and one must not truncate or rename
    what another is writing.  The others wait, then find the entry done.  The directory
    itself is locked (flock), so no lock file is left in the cache."""
    import fcntl

    try:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise InputError(directory, f"cannot create the cache: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def debug_root_of(path: str) -> str | None:
    """``/x/usr/lib/debug`` when ``path`` lies inside such a tree."""
    marker = os.sep + os.path.join("usr", "lib", "debug") + os.sep
    full = os.path.abspath(path)
    i = full.find(marker)
    if i < 0:
        return None
    return full[: i + len(marker) - 1]


class ModuleIndex:
    """Module files under some directories, by module name; walked once, lazily."""

    def __init__(self, dirs: list[str]) -> None:
        self.dirs = [d for d in dirs if d]
        self._index: dict[str, list[str]] | None = None

    def _build(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for d in self.dirs:
            if os.path.isfile(d):
                index.setdefault(module_key(d), []).append(d)
                continue
            for root, _dirs, files in os.walk(d):
                for f in files:
                    if f.endswith(_KO_SUFFIXES):
                        index.setdefault(module_key(f), []).append(os.path.join(root, f))
        return index

    def candidates(self, name: str) -> list[str]:
        """Files for a module, debug trees and uncompressed files first."""
        if self._index is None:
            self._index = self._build()
        found = self._index.get(module_key(name), [])
        return sorted(found, key=lambda p: (debug_root_of(p) is None, not p.endswith(".ko"), p))


def decompressed(path: str) -> str:
    """A plain copy of a compressed module in the cache (the file itself when plain)."""
    if not path.endswith((".xz", ".gz", ".zst")):
        return path
    import gzip  # only compressed modules need these
    import hashlib
    import lzma

    st = os.stat(path)
    tag = hashlib.sha1(f"{os.path.abspath(path)}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    out = cache_dir("ko", f"{module_key(path)}-{tag}.ko")
    if os.path.exists(out):
        return out
    try:
        if path.endswith(".xz"):
            dec = lzma.LZMADecompressor()
            with open(path, "rb") as fh:
                data = dec.decompress(fh.read(), max_length=MAX_MODULE_BYTES)
        elif path.endswith(".gz"):
            with gzip.open(path, "rb") as gz:
                data = gz.read(MAX_MODULE_BYTES)
        else:
            raise InputError(path, "zstd-compressed modules need the zstd tool: unpack with `unzstd` first")
    except (OSError, lzma.LZMAError, EOFError) as exc:
        raise InputError(path, f"cannot decompress: {exc}") from exc
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = f"{out}.tmp{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out)
    return out


def find_debug_file(path: str, build_id: str | None, debuglink: str | None,
                    roots: list[str]) -> str | None:
    """Separate debug file by build-id, then by .gnu_debuglink (GDB's search order)."""
    if build_id and len(build_id) > 2:
        for root in roots:
            cand = os.path.join(root, ".build-id", build_id[:2], build_id[2:] + ".debug")
            if os.path.isfile(cand):
                return cand
    if debuglink:
        here = os.path.dirname(os.path.abspath(path))
        cands = [os.path.join(here, debuglink), os.path.join(here, ".debug", debuglink)]
        cands += [os.path.join(root, here.lstrip(os.sep), debuglink) for root in roots]
        for cand in cands:
            if os.path.isfile(cand) and os.path.abspath(cand) != os.path.abspath(path):
                return cand
    return None
