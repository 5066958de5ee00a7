"""Helper processes that work beside a command on the second core.

The first ``symbolize`` of a new kernel build used to spend its time on three
things one after the other: waiting for the disk (a freshly installed ``-dbg``
package is not in the page cache, and libdw reads ~200 MB of it, ``.debug_info``
whole, as it walks the unit headers up to the unit it wants), building the
symbol table and its address order, and searching ``.strtab`` for each printed
name (~2 ms a name).  ``start()``, called as the command begins (after reading
the log, before the heavy imports), forks two helpers:

* the reader asks the kernel for the sections symbolizing will read
  (``posix_fadvise(POSIX_FADV_WILLNEED)``), in the order it will read them, so the
  disk works while the CPU does the rest (when the file is cached each call
  returns at once);
* the indexer builds its own copy of the symbol table (``symtab.build_index``),
  looks up the names the log prints (``printed_names``) with the command's own
  code and sends the answers down a pipe.  Meanwhile the command builds the same
  table and its address order; at its first name lookup it takes the answers
  (``from_helper``), checked against its own columns.  Then the indexer saves
  the index for later runs: with its address order the first time, with the
  name hash tables the second.

``finish()``, called once the command's output is written, stops the reader
and waits for the indexer's saving; no helper outlives the command, since some
containers' PID 1 never collects orphans, which would pile up as zombies.

What was tried and measured on Debian's 6.1 vmlinux, 2 cores:

* a thread instead of the reader: ``posix_fadvise`` reads at most one readahead
  window per call (mm/readahead.c force_page_cache_ra), ~200 calls here, and a
  thread waits for the GIL between each two: it finished after the lookups it
  was meant to serve.  Python work cannot run in a thread beside the command
  either.
* ``sendfile`` to /dev/null reads a section in one call, but into large folios,
  which libdw's page faults then map whole: peak RSS rose from 172 to 246 MB
  (llvm-symbolizer's does the same after ``cat vmlinux``).  fadvise fills the
  cache with pages of the usual size.
* an indexer that sent the whole table for the command to load, instead of its
  own: the command reaches the table before such a helper is done with it, and
  waits; the split above (the command: table and order; the helper: names)
  keeps both busy.

Only a command forks (a library user's process never is), and only while it
has one thread.  A helper writes nothing but the index file (atomically) and
its pipe, has /dev/null for stdin/stdout/stderr, ignores Ctrl-C (meant for the
command) and is ended by SIGALRM after ``HELPER_SECONDS`` whatever happens.  It
is an optimisation only: on any problem it stops, and the command does the work
itself and reports bad input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from a64triage.symbols.helperpipe import _INDEXERS

# What symbolizing reads, in the order it reads it: the build-id note, the symbols, the
# release string (linux_banner in .rodata), the code before each return address
# (symbolizer.follows_call), what libdwfl reads of an ET_DYN vmlinux (.rela.dyn), then
# what libdw reads for a line lookup (DWARF 5 and DWARF 4 names).  A read of anything else
# waits behind all of this in the disk queue: first what is needed first (measured: with
# the code and .rela.dyn left out, the first run took 5-10% longer).
SECTIONS = (".notes", ".note.gnu.build-id", ".symtab", ".strtab", ".rodata",
            ".text", ".init.text", ".rela.dyn",
            ".debug_aranges", ".debug_abbrev", ".debug_str", ".debug_str_offsets",
            ".debug_line_str", ".debug_addr", ".debug_info", ".debug_rnglists",
            ".debug_ranges", ".debug_line")
PIECE = 1 << 20  # under the window force_page_cache_ra allows per call
HELPER_SECONDS = 60  # the helper's whole life, at most

# ``func+0xoff[/0xsize]`` as console logs print code addresses (%pS), but not the frames of a
# module (`` [mod]`` follows: looked up in the module, not in vmlinux): what the indexer
# looks up in advance
_PRINTED = re.compile(r"([A-Za-z_.$][\w.$]{0,255})\+0x[0-9a-fA-F]{1,16}(?![0-9a-fA-F])"
                      r"(?!(?:/0x[0-9a-fA-F]+)? ?\[)")
PRINTED_NAMES_MAX = 64  # a few oopses' worth: the indexer must be done before the command needs them

_HELPERS: dict[int, bool] = {}  # pid -> whether finish() may stop it (the reader: its work is moot)
EXIT_WAIT_SECONDS = 2.0  # finish() waits this long at most for the indexer to save the index


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


def _fork(work: Callable[[], object], stoppable: bool) -> bool:
    """Run ``work()`` in a child process that ends with it; True when the child started."""
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid:
        _HELPERS[pid] = stoppable
        return True
    _HELPERS.clear()
    for fd in _INDEXERS.values():
        os.close(fd)
    _INDEXERS.clear()
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


def start(path: str | None, names: Iterable[str] = ()) -> None:
    """Called by a command as it begins: fork the reader and the indexer of the vmlinux
    ``path`` (the indexer looks ``names`` up)."""
    if not path or path == "-" or not hasattr(os, "fork") or not hasattr(os, "posix_fadvise"):
        return
    key = os.path.realpath(path)
    if key in _INDEXERS or not _single_threaded() or not os.path.isfile(path):
        return
    _fork(lambda: read_ahead(path), stoppable=True)
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return

    def index() -> None:
        os.close(rfd)  # else a command that stops reading would not make the writes fail
        from a64triage.symbols import kernel, symtab

        def send(raw: bytes) -> None:  # the command waits for this, then the helper goes on
            try:
                view = memoryview(raw)
                while view:
                    view = view[os.write(wfd, view):]
            except OSError:  # the command did not wait (finished, or found the index)
                pass
            finally:
                os.close(wfd)

        symtab.build_index(path, (*names, *kernel.LOOKED_UP), send)

    if _fork(index, stoppable=False):
        _INDEXERS[key] = rfd
    else:
        os.close(rfd)
    os.close(wfd)


def printed_names(text: str) -> list[str]:
    """The distinct function names of ``func+0xoff`` frames in a log, the first
    ``PRINTED_NAMES_MAX`` of them."""
    names: dict[str, None] = {}
    for m in _PRINTED.finditer(text):
        names.setdefault(m.group(1))
        if len(names) >= PRINTED_NAMES_MAX:
            break
    return list(names)


@contextmanager
def helping(path: str | None, names: Iterable[str] = ()) -> Iterator[None]:
    """A command's run: ``start()`` before, ``finish()`` after; a run that fails (bad input,
    Ctrl-C) stops the helpers rather than wait for them."""
    start(path, names)
    try:
        yield
    except BaseException:
        finish(stop=True)
        raise
    finish()


def finish(stop: bool = False) -> None:
    """Called by the command as it ends, after its output: stop the reader (the disk no
    longer needs to hurry) and wait for the indexer to save the index, at most
    ``EXIT_WAIT_SECONDS`` (a first run's indexer is done about when the command is; a
    second run's, adding the name hash tables, takes ~0.25 s more); ``stop``: stop both.
    No helper outlives the command: an init that does not collect orphans (some
    containers' PID 1) would keep them as zombies."""
    import signal
    import time

    for fd in _INDEXERS.values():  # not waited for: its writes fail, it saves the index anyway
        os.close(fd)
    _INDEXERS.clear()
    deadline = time.monotonic() + EXIT_WAIT_SECONDS
    for pid, stoppable in list(_HELPERS.items()):
        try:
            if stoppable or stop:
                os.kill(pid, signal.SIGKILL)
            while not os.waitpid(pid, os.WNOHANG)[0] and time.monotonic() < deadline:
                time.sleep(0.002)
        except (ChildProcessError, ProcessLookupError):
            pass
        _HELPERS.pop(pid, None)
