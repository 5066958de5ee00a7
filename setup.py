"""Build hook: the console parser's hot modules compiled to C with mypyc.

Parsing a crash-dense log is interpreter-bound (one Python-level decision per report line);
compiled from the same source it runs about 1.5x faster (bench/parse_bench.py).  The modules
are named in pyproject.toml (``[tool.a64triage] compiled``); the SHA-256 of each compiled
source goes to ``src/a64triage/compiled.json`` so that the package uses the compiled modules
only while they match their source (a64triage/compiled.py).  The plain source is installed
too: without a C compiler, with ``A64TRIAGE_PURE_BUILD=1``, or when mypyc fails, the build
warns and installs the plain modules only.  Everything else is in pyproject.toml.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
RECORD = ROOT / "src" / "a64triage" / "compiled.json"


def _warn(why: str) -> None:
    print(f"a64triage: console parser not compiled ({why}); the plain Python modules are used",
          file=sys.stderr)


def _sources() -> dict[str, Path]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        names = tomllib.load(f)["tool"]["a64triage"]["compiled"]
    return {n: ROOT / "src" / (n.replace(".", "/") + ".py") for n in names}


# The setup.py runs that build something (pip also runs it for metadata: no compile then).
_BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def _ext_modules() -> list[Any]:
    if not _BUILDS & set(sys.argv[1:]):
        return []
    RECORD.unlink(missing_ok=True)
    if os.environ.get("A64TRIAGE_PURE_BUILD") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not installed")
        return []
    sources = _sources()
    cwd = Path.cwd()
    try:
        os.chdir(ROOT)  # mypy reads its settings from ./pyproject.toml
        exts: list[Any] = mypycify([str(p.relative_to(ROOT)) for p in sources.values()],
                                   opt_level="3", debug_level="0")
    except (Exception, SystemExit) as e:  # mypyc exits on a type error
        _warn(f"mypyc: {e}")
        return []
    finally:
        os.chdir(cwd)
    RECORD.write_text(json.dumps({"modules": {n: hashlib.sha256(p.read_bytes()).hexdigest()
                                              for n, p in sources.items()}}, indent=1) + "\n")
    return exts


class _BuildExt(build_ext):
    """A failed C build leaves the plain modules working: no half-built module, no record."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # CCompilerError, DistutilsExecError, OSError...
            for ext in self.extensions:
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            RECORD.unlink(missing_ok=True)
            _warn(f"C build failed: {e}")


setup(ext_modules=_ext_modules(), cmdclass={"build_ext": _BuildExt})
