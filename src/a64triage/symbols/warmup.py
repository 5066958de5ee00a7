"""Helper processes that take work off a command's path to its answer.

Two jobs, both for the first runs on a new kernel build:

* reading ahead.  A first look at a freshly installed ``-dbg`` package finds
  the vmlinux out of the page cache.  libdw then reads ~200 MB of it
  (``.debug_info`` whole: it walks the unit headers up to the unit it wants)
  one page fault at a time, and only after the interpreter has imported,
  parsed the log and searched the symbol table.  ``start()`` forks a helper as
  the command begins; it asks the kernel for the sections symbolizing will
  read (``posix_fadvise(POSIX_FADV_WILLNEED)``), in the order it will read them,
  so the disk works while the CPU does the rest.  When the file is already
  cached each call returns at once.
* saving the symbol index (``symtab``).  Writing it (~20 ms) and, on the second
  run of a build, adding the name hash tables (~0.2 s) are for later runs:
  ``in_background()`` hands them to a child process, which has its own copy of
  the table, and the command goes on to its answer.

Why processes, and why fadvise (each measured on Debian's 6.1 vmlinux):

* ``posix_fadvise`` reads at most one readahead window per call
  (mm/readahead.c force_page_cache_ra): ~200 calls here.  A thread would wait
  for the GIL between each two of them and was done after the lookups it was
  meant to serve; the index work is Python, which a thread cannot run beside
  the command either.
* ``sendfile`` to /dev/null reads a section in one call, but into large folios,
  which libdw's page faults then map whole: peak RSS rose from 172 to 246 MB
  (llvm-symbolizer's does the same after ``cat vmlinux``).  fadvise fills the
  cache with pages of the usual size.
* A helper that built the whole index for the command to load made the first
  run slower on this 2-core machine, not faster: the command reaches the
  symbol table before such a helper can finish it.

Only a command forks (``start()`` says so; a library user's process never is),
and only while it has one thread.  A helper writes nothing but the index file
(atomically, as before), has /dev/null for stdin/stdout/stderr (a pipe reader
waiting for EOF is not held up), ignores Ctrl-C (meant for the command) and is
ended by SIGALRM after ``HELPER_SECONDS`` whatever happens.  It is an
optimisation only: on any problem it stops, and the command reports bad input
itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable

# What symbolizing reads, in the order it reads it: the build-id note, the symbols, the
# release string (linux_banner in .rodata), then what libdw reads for a line lookup
# (DWARF 5 and DWARF 4 names).  A read of anything else waits behind all of this in the
# disk queue: put first what is needed first.
SECTIONS = (".notes", ".note.gnu.build-id", ".symtab", ".strtab", ".rodata",
            ".debug_aranges", ".debug_abbrev", ".debug_str", ".debug_str_offsets",
            ".debug_line_str", ".debug_addr", ".debug_info", ".debug_rnglists",
            ".debug_ranges", ".debug_line")
PIECE = 1 << 20  # under the window force_page_cache_ra allows per call
HELPER_SECONDS = 60  # the helper's whole life, at most

_HELPERS: list[int] = []  # pids not collected yet
_background = False  # between start() and finish(): a command is running, it may fork


def read_ahead(path: str) -> None:
    """Ask for the ``SECTIONS`` of ``path``, in that order (blocks while the disk queue is full)."""
    from a64triage.symbols.rawelf import RawElf

    with RawElf(path) as image:
        spans = {s.name: (s.offset, s.size) for s in image.sections if s.type != "SHT_NOBITS"}
    fd = os.open(path, os.O_RDONLY)
    try:
        for name in SECTIONS:
            off, size = spans.get(name, (0, 0))
            end = off + size
            while off < end:
                os.posix_fadvise(fd, off, min(PIECE, end - off), os.POSIX_FADV_WILLNEED)
                off += PIECE
    finally:
        os.close(fd)


def _fork(work: Callable[[], object]) -> bool:
    """Run ``work()`` in a child process that ends with it; True when the child started."""
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid:
        _HELPERS.append(pid)
        return True
    global _background
    _background = False  # a helper does its own work itself
    try:  # no exit code of the parent's runs, nothing printed, a bounded life
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the command
        signal.alarm(HELPER_SECONDS)  # default action: terminate
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        work()
    except BaseException:
        pass
    finally:
        os._exit(0)


def _single_threaded() -> bool:
    import threading

    return threading.active_count() == 1


def start(path: str | None) -> None:
    """Called by a command as it begins: fork the helper that reads ``path`` ahead, and
    let ``in_background`` fork too (a library user's process is never forked)."""
    if not hasattr(os, "fork") or not _single_threaded():
        return
    global _background
    _background = True
    if path and path != "-" and hasattr(os, "posix_fadvise") and os.path.isfile(path):
        _fork(lambda: read_ahead(path))


def in_background(work: Callable[[], object]) -> bool:
    """Hand ``work`` (saving a cache file) to a child process when the command allows it,
    so that the answer is not held up by it; False: do it yourself."""
    return _background and _single_threaded() and _fork(work)


def finish() -> None:
    """Called by the command as it ends: no more forking, and the helpers that are done
    collected.  One still at work is left to finish: init collects it once this process
    has exited (a process that runs several commands collects it at a later one)."""
    global _background
    _background = False
    for pid in list(_HELPERS):
        try:
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _HELPERS.remove(pid)
