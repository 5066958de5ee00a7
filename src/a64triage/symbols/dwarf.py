"""Address -> source location with inline chain, from DWARF.

Two backends behind one small protocol:

* ``DrgnLines`` uses drgn (libdw underneath) when it is installed: it looks an
  address up through ``.debug_aranges`` and only parses the one compilation
  unit it needs, so a 270 MB distribution vmlinux answers 30 addresses in a
  fraction of a second.  Relocatable objects (``.ko``) are loaded as drgn
  relocatable modules with the section addresses we assign, which makes libdwfl
  apply the ``.rela.debug_*`` relocations.
* ``ElftoolsLines`` is the pure-Python fallback (pyelftools): the same answers,
  fine for objects and modules, slow for a whole vmlinux.

Both return the chain innermost first, like ``addr2line -i``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from a64triage.symbols.image import ImageLike
from a64triage.symbols.rawelf import text
from a64triage.symbols.types import SourceLocation, clean_path


class LineBackend(Protocol):
    name: str

    def locate(self, addr: int) -> tuple[SourceLocation, ...]:
        """Inline chain at a link-time address (layout address for objects), innermost first."""
        ...


SLOW_PATH_NOTE = ("a64triage: note: drgn is not installed: DWARF is read by the slow pure-Python "
                  "path (pyelftools); `pip install drgn` (Linux) gives the fast one")
_noted: list[bool] = []  # the note is printed once a process


def drgn_available() -> bool:
    if os.environ.get("A64TRIAGE_NO_DRGN"):  # tests choose the pure-Python path: no note
        return False
    try:
        import drgn  # noqa: F401
    except ImportError:
        if not _noted:
            _noted.append(True)
            print(SLOW_PATH_NOTE, file=sys.stderr)
        return False
    return True


def section_layout(image: ImageLike, base: int) -> dict[str, int]:
    """Distinct addresses for the allocated sections of a relocatable object.

    In an ET_REL file every section starts at 0, so ``.text`` and ``.init.text``
    overlap; laying them out one after another gives each byte of code a unique
    address that both the DWARF backend and the symbol table agree on.
    """
    layout: dict[str, int] = {}
    addr = base
    for s in image.sections:
        if not s.is_alloc or s.size == 0 or s.name in layout:
            continue
        align = 16
        addr = (addr + align - 1) // align * align
        layout[s.name] = addr
        addr += s.size
    return layout


class DrgnLines:
    """drgn/libdw backend: one ``drgn.Program`` per symbolizer, objects added lazily."""

    name = "drgn"

    def __init__(self) -> None:
        import drgn

        self._drgn: Any = drgn
        flags = drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN
        self._prog: Any = drgn.Program(drgn.Platform(drgn.Architecture.AARCH64, flags))

    def add_linked(self, path: str, start: int, end: int) -> bool:
        """A linked image (vmlinux) whose link-time addresses we look up as they are."""
        try:
            mod = self._prog.extra_module(path, create=True)
            mod.address_range = (start, end)
            mod.try_file(path)
        except Exception:  # drgn raises plain Exception subclasses for unreadable files
            return False
        return bool(mod.debug_file_status == self._drgn.ModuleFileStatus.HAVE)

    def add_relocatable(self, name: str, path: str, layout: Mapping[str, int],
                        end: int) -> bool:
        if not layout:
            return False
        start = min(layout.values())
        try:
            mod = self._prog.relocatable_module(name, start, create=True)
            for sec, addr in layout.items():
                mod.section_addresses[sec] = addr
            mod.address_range = (start, end)
            mod.try_file(path, force=True)
        except Exception:  # OverflowError from a range past 2^64 included
            return False
        return bool(mod.debug_file_status == self._drgn.ModuleFileStatus.HAVE)

    def locate(self, addr: int) -> tuple[SourceLocation, ...]:
        try:
            # drgn looks non-interrupted frames up at pc - 1 (a return address):
            # pass addr + 1 so that the lookup is at addr itself.
            trace = self._prog.stack_trace_from_pcs([addr + 1])
        except Exception:
            return ()
        out: list[SourceLocation] = []
        for frame in trace:
            try:
                fn = frame.function_name or "??"  # None for assembly without a subprogram DIE
            except UnicodeDecodeError as exc:  # drgn decodes DW_AT_name strictly
                fn = _replaced(exc)
            try:
                src = frame.source()
            except LookupError:
                src = None
            except UnicodeDecodeError as exc:  # the file name (its line and column are lost with it)
                src = (_replaced(exc), 0, 0)
            if src is None:
                out.append(SourceLocation(fn, None, None))
                continue
            file, line, col = src[0], src[1], src[2]
            out.append(SourceLocation(fn, clean_path(file), line or None, col or None))
        return tuple(out)


def _replaced(exc: UnicodeDecodeError) -> str:
    """The string drgn could not decode, decoded with replacement (as the other backend does)."""
    return text(bytes(exc.object))


def open_backend(image: ImageLike, layout: Mapping[str, int] | None,
                 shared: Callable[[], DrgnLines] | None) -> LineBackend | None:
    """The best backend for one file with DWARF (None when the file has none)."""
    if not image.has_dwarf:
        return None
    if shared is not None and drgn_available():
        be = shared()
        if layout:
            ends = [layout[s.name] + s.size for s in image.sections if s.name in layout]
            ok = be.add_relocatable(os.path.basename(image.path), image.path, layout, max(ends))
        else:
            span = image.load_span()
            if span is None:
                return None
            ok = be.add_linked(image.path, span[0], span[1])
        if ok:
            return be
    from a64triage.symbols.dwarf_py import ElftoolsLines  # pyelftools: only without drgn
    from a64triage.symbols.elf import ElfImage

    return ElftoolsLines(image if isinstance(image, ElfImage) else ElfImage(image.path), layout)
