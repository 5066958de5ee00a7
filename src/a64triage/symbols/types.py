"""Result type of the symbolize stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """One file:line:column, with the function it belongs to (for inline chains)."""

    function: str
    file: str | None
    line: int | None
    column: int | None = None
    text: str | None = None  # the source line itself when --source DIR was given


@dataclass(frozen=True)
class Symbolized:
    """An address resolved against vmlinux or a module.

    ``locations`` is the inline chain, innermost first, as ``addr2line -i`` and
    llvm-symbolizer print it; the last entry is the out-of-line function.
    """

    address: int  # link-time address (KASLR offset / module base removed)
    function: str | None
    offset: int | None
    size: int | None
    module: str | None = None  # None for vmlinux
    section: str | None = None
    locations: tuple[SourceLocation, ...] = ()
    notes: tuple[str, ...] = ()  # sanity findings: offset beyond size, no section, ...
    # the address whose file:line ``locations`` give: ``address - 4`` for a return
    # address (the call instruction), ``address`` for a PC; same space as ``address``
    looked_up: int | None = None


def clean_path(path: str | None) -> str | None:
    """``././inline.c`` -> ``inline.c``: the same spelling from every DWARF backend."""
    if not path:
        return None
    while path.startswith("./"):
        path = path[2:]
    return path.replace("/./", "/")
