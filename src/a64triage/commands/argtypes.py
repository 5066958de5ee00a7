"""argparse ``type=`` validators shared by the commands: every number is range-checked.

A value argparse accepts reaches the stages as a plain int that is known to fit the
thing it names (an address is a 64-bit unsigned value, a count is bounded), so no
stage prints an address out of range or loops over a count nobody meant.  A bad
value raises ``ArgumentTypeError``; the CLI prints it as one line, exit code 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

U64_MAX = (1 << 64) - 1


def _parse(text: str, base: int) -> int:
    body = text.strip().replace("_", "")
    try:
        if base == 16 and not body.lower().startswith(("0x", "-0x", "+0x")):
            return int(body, 16)
        return int(body, 0)
    except ValueError:
        kind = "hexadecimal number" if base == 16 else "number"
        raise argparse.ArgumentTypeError(f"{text!r} is not a {kind}") from None


def bounded(low: int, high: int, *, base: int = 10) -> Callable[[str], int]:
    """A validator for an int in [low, high]; ``base`` 16 reads hex with or without 0x,
    0 reads Python's literal forms (0x.., 0o.., decimal)."""
    shown = str if base == 10 else (lambda v: f"0x{v:x}")

    def check(text: str) -> int:
        value = _parse(text, base)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is out of range ({shown(low)} to {shown(high)})")
        return value

    check.__name__ = "hex address" if base == 16 else "number"  # argparse's "invalid X value"
    return check


# An address or an offset between addresses: one AArch64 virtual address, 64 bits unsigned.
hex_u64 = bounded(0, U64_MAX, base=16)
u64 = bounded(0, U64_MAX, base=0)
