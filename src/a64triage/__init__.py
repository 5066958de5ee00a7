"""a64triage: tell an arm64 Linux/KVM developer why their kernel crashed.

Pipeline (see docs/ARCHITECTURE.md): console -> arm64 -> symbols -> disasm ->
relocs -> diagnose -> render, with cli.py a thin shell over ``commands/``.
"""

# Before any console module is imported: the compiled parser or its plain source (compiled.py).
from a64triage import compiled as _compiled  # noqa: F401

__version__ = "0.1.0"
