"""symbolize stage: addresses and oops frames -> function+offset, file:line, inline chain.

The only package that reads ELF and DWARF.  Entry points other stages call:
``open_symbolizer()`` -> ``Symbolizer`` (``symbolize_address``, ``symbolize_frame``,
``symbol``, ``kaslr_from_report``, ``check_match``, ``bug_site``) and ``bug_sites``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from a64triage._lazy import lazy_exports

if TYPE_CHECKING:
    from a64triage.symbols.elf import ElfImage
    from a64triage.symbols.kernel import bug_sites
    from a64triage.symbols.symbolizer import (
        LoadedObject,
        Symbolizer,
        is_return_frame,
        open_symbolizer,
    )
    from a64triage.symbols.symtab import Sym, SymbolTable
    from a64triage.symbols.symtab import Sym as Symbol
    from a64triage.symbols.types import SourceLocation, Symbolized

# Imported on first use (PEP 562): ``a64triage.symbols.frameline`` or ``.rawelf``
# must not pay for the symbolizer, the console parser behind its types, or drgn.
_LAZY: dict[str, tuple[str, str]] = {
    "ElfImage": ("a64triage.symbols.elf", "ElfImage"),
    "LoadedObject": ("a64triage.symbols.symbolizer", "LoadedObject"),
    "SourceLocation": ("a64triage.symbols.types", "SourceLocation"),
    "Sym": ("a64triage.symbols.symtab", "Sym"),
    "Symbol": ("a64triage.symbols.symtab", "Sym"),
    "SymbolTable": ("a64triage.symbols.symtab", "SymbolTable"),
    "Symbolized": ("a64triage.symbols.types", "Symbolized"),
    "Symbolizer": ("a64triage.symbols.symbolizer", "Symbolizer"),
    "bug_sites": ("a64triage.symbols.kernel", "bug_sites"),
    "is_return_frame": ("a64triage.symbols.symbolizer", "is_return_frame"),
    "open_symbolizer": ("a64triage.symbols.symbolizer", "open_symbolizer"),
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = ["ElfImage", "LoadedObject", "SourceLocation", "Sym", "Symbol", "SymbolTable",
           "Symbolized", "Symbolizer", "bug_sites", "is_return_frame", "open_symbolizer"]
