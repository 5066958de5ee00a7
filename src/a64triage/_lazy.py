"""PEP 562 lazy exports for the stage packages.

A package's ``__init__`` lists its public names as ``name -> (module, attr)``;
the module is imported on first access, so importing one light sub-module
(``symbols.rawelf``, ``arm64.elf_relocs``) does not compile every table or load
drgn.  Type checkers see the real names through ``if TYPE_CHECKING:`` imports.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, table: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` resolving ``table`` on first use (and caching it)."""

    def __getattr__(name: str) -> Any:
        try:
            module, attr = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attr)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
