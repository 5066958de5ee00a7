"""a64triage: tell an arm64 Linux/KVM developer why their kernel crashed.

Pipeline (see docs/ARCHITECTURE.md): console -> arm64 -> symbols -> disasm ->
relocs -> diagnose -> render, with cli.py a thin shell over ``commands/``.
"""

__version__ = "0.1.0"
