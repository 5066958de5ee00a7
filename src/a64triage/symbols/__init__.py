"""symbolize stage: addresses and oops frames -> function+offset, file:line, inline chain.

The only package that reads ELF and DWARF.  Entry points other stages call:
``open_symbolizer()`` -> ``Symbolizer`` (``symbolize_address``, ``symbolize_frame``,
``symbol``, ``kaslr_from_report``, ``check_match``, ``bug_site``) and ``bug_sites``.
"""

from __future__ import annotations

from typing import Any

from a64triage.symbols.kernel import bug_sites
from a64triage.symbols.symbolizer import LoadedObject, Symbolizer, is_return_frame, open_symbolizer
from a64triage.symbols.symtab import Sym, SymbolTable
from a64triage.symbols.types import SourceLocation, Symbolized

Symbol = Sym


def __getattr__(name: str) -> Any:
    """``ElfImage`` on demand: importing pyelftools costs more than a 30-frame lookup."""
    if name == "ElfImage":
        from a64triage.symbols.elf import ElfImage

        return ElfImage
    raise AttributeError(name)

__all__ = ["ElfImage", "LoadedObject", "SourceLocation", "Sym", "Symbol", "SymbolTable",
           "Symbolized", "Symbolizer", "bug_sites", "is_return_frame", "open_symbolizer"]
