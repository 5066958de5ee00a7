"""`a64triage decode REGISTER VALUE`: one register value -> field tree (text or JSON)."""

from __future__ import annotations

import argparse
import json
import re

from a64triage.arm64 import (
    KERNEL_STYLES,
    REGISTERS,
    canonical,
    decode,
    esr_summary,
    kernel_mem_abort_lines,
    tree_lines,
)
from a64triage.arm64.address import VA_BITS_CHOICES
from a64triage.errors import InputError

_HEX = re.compile(r"^(0[xX])?([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)$")


def parse_value(text: str) -> int:
    """Register values are hexadecimal (with or without 0x, '_' separators allowed)."""
    m = _HEX.match(text.strip())
    if m is None:
        raise InputError("value", f"{text!r} is not a hexadecimal number")
    value = int(m.group(2).replace("_", ""), 16)
    if value >> 64:
        raise InputError("value", f"{text!r} does not fit in 64 bits")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("register", help=f"register name or alias (e.g. {', '.join(REGISTERS[:6])}, ESR, PS, FAR, ...)")
    parser.add_argument("value", help="register value in hexadecimal (0x prefix optional)")
    parser.add_argument("--el", type=int, choices=(0, 1, 2, 3), help="exception level the register belongs to")
    parser.add_argument("--json", action="store_true", help="print the field tree as JSON")
    parser.add_argument("--kernel-style", nargs="?", const="modern", choices=sorted(KERNEL_STYLES),
                        metavar="STYLE", help="also print an ESR the way Linux's mem_abort_decode() does "
                        f"(STYLE: {', '.join(KERNEL_STYLES)}; default modern)")
    parser.add_argument("--va-bits", type=int, default=48, choices=VA_BITS_CHOICES,
                        help="VA size for address classification (default 48)")
    parser.add_argument("--layout", default="auto", choices=("auto", "pre-5.4", "5.4+"),
                        help="kernel VA layout for address classification")
    parser.add_argument("--all", action="store_true", help="also show fields that are zero RES0")


def run(args: argparse.Namespace) -> int:
    value = parse_value(args.value)
    tree = decode(args.register, value, el=args.el, va_bits=args.va_bits, layout=args.layout)
    is_esr = canonical(args.register) in ("ESR_ELx", "HSR") or canonical(args.register).startswith("ESR")
    kernel = kernel_mem_abort_lines(value, args.kernel_style) if args.kernel_style and is_esr else None
    if args.kernel_style and not is_esr:
        raise InputError("--kernel-style", "only applies to ESR values")
    if args.json:
        doc = tree.to_json()
        if kernel is not None:
            doc["kernel_style"] = {"style": args.kernel_style, "lines": kernel}
        print(json.dumps(doc, indent=2))
        return 0
    print("\n".join(tree_lines(tree, show_res0=args.all)))
    if kernel is not None:
        print()
        print(f"as Linux prints it ({args.kernel_style}: {KERNEL_STYLES[args.kernel_style].era}):")
        if not esr_summary(value).is_abort:
            print("(note: Linux prints this block only for instruction and data aborts)")
        print("\n".join(kernel))
    return 0
