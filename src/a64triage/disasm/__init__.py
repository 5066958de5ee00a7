"""disassemble stage: annotated listings of functions, address ranges and oops Code: lines.

The only package that imports capstone (through ``disasm.a64``).  Entry points:
``disassemble_range``, ``disassemble_function``, ``decode_code_line`` and
``format_listing`` (text lines for the CLI).
"""

from __future__ import annotations

from a64triage.disasm.listing import (
    decode_code_line,
    disassemble_function,
    disassemble_range,
    format_listing,
    resolve_place,
    sym_text,
)
from a64triage.disasm.types import Instruction

__all__ = ["Instruction", "decode_code_line", "disassemble_function", "disassemble_range",
           "format_listing", "resolve_place", "sym_text"]
