"""The one error type every stage raises for bad input.

The CLI turns it into a single line ``a64triage: INPUT: PROBLEM`` and exit code 2,
so users never see a traceback for a malformed log, register value or ELF file.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: names the input (file, register, argument) and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
