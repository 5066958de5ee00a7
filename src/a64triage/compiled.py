"""Which console parser runs: the modules compiled with mypyc at install time, or their source.

setup.py compiles the modules listed in pyproject.toml's ``[tool.a64triage] compiled`` and
records the SHA-256 of each source it compiled in ``compiled.json`` beside this file.  The
compiled modules call one another directly (one shared library), so they are used all or
none.  None when:

- ``A64TRIAGE_PURE=1``: the plain twin the tests compare the compiled modules against, and
  what atheris can instrument (fuzz/run.py);
- a source differs from the one compiled: an edited checkout must run its edits, not a
  stale build (``pip install -e .`` compiles again);
- the build compiled nothing (no C compiler, ``A64TRIAGE_PURE_BUILD=1``, another platform).

The choice is made once, at the package's import, before any console module is imported.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

_PACKAGE = Path(__file__).resolve().parent
RECORD = _PACKAGE / "compiled.json"  # written by setup.py: {"modules": {name: sha256 of its source}}


def _source(name: str) -> Path:
    return _PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py")


def _extension(name: str) -> Path | None:
    base = _source(name).with_suffix("")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        p = base.with_name(base.name + suffix)
        if p.is_file():
            return p
    return None


def _choose() -> tuple[tuple[str, ...], str]:
    """The recorded module names, and why they run compiled or not ("compiled" when they do)."""
    try:
        record: dict[str, str] = json.loads(RECORD.read_text())["modules"]
    except (OSError, ValueError, KeyError, TypeError):
        return (), "plain Python: not compiled at install"
    names = tuple(sorted(record))
    if os.environ.get("A64TRIAGE_PURE") == "1":
        return names, "plain Python: A64TRIAGE_PURE=1"
    for name, digest in record.items():
        if _extension(name) is None:
            return names, f"plain Python: {name} was not compiled"
        try:
            now = hashlib.sha256(_source(name).read_bytes()).hexdigest()
        except OSError:
            return names, f"plain Python: {name}'s source is missing"
        if now != digest:
            return names, f"plain Python: {name} changed since it was compiled (pip install -e . again)"
    return names, "compiled"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Loads the recorded modules from their ``.py`` files (the import system would prefer
    the extension module beside them)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, _source(fullname))


_NAMES, MODE = _choose()
if MODE != "compiled" and _NAMES:
    sys.meta_path.insert(0, _SourceFinder(_NAMES))


def compiled() -> bool:
    """Does this process run the compiled console modules?"""
    return MODE == "compiled"
