"""`a64triage disasm`: annotated disassembly of a function, an address or an oops Code: line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from a64triage.commands import symargs
from a64triage.commands.argtypes import bounded, hex_u64
from a64triage.disasm import Instruction, decode_code_line, disassemble_function, format_listing
from a64triage.errors import InputError
from a64triage.symbols import open_symbolizer
from a64triage.symbols.symbolizer import load_object


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("place", nargs="?", metavar="FUNCTION|ADDRESS",
                        help="function, func+0x1c, or a (link-time) address; objects: a .text offset")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--vmlinux", help="linked kernel image")
    src.add_argument("--object", help="object file, module (.ko) or any AArch64 ELF")
    parser.add_argument("--context", type=bounded(0, 10000), metavar="N",
                        help="N instructions either side of the address instead of the whole function")
    parser.add_argument("--code", metavar='"Code: ..."', help="decode an oops Code: line instead")
    parser.add_argument("--pc", type=hex_u64, help="with --code: address of the faulting word")
    parser.add_argument("--fault", type=hex_u64, metavar="ADDR", help="mark this (link-time) address")
    parser.add_argument("--kaslr-offset", type=hex_u64, help="subtract from ADDRESS and --fault")
    parser.add_argument("--json", action="store_true", help="instructions as JSON")
    symargs.add_arguments(parser, vmlinux=False)


def insn_json(i: Instruction) -> dict[str, Any]:
    src = i.source
    return {"address": f"0x{i.address:x}", "word": f"0x{i.word:08x}", "mnemonic": i.mnemonic,
            "op_str": i.op_str, "symbol": i.symbol, "relocation": i.relocation, "target": i.target,
            "literal": None if i.literal is None else f"0x{i.literal:x}", "faulting": i.faulting,
            "note": i.note,
            "source": None if src is None else {"function": src.function, "file": src.file,
                                                "line": src.line, "column": src.column}}


def _address(text: str) -> int:
    try:
        return hex_u64(text)
    except argparse.ArgumentTypeError as exc:
        raise InputError("disasm", str(exc)) from None


def _link_time(what: str, addr: int, kaslr: int) -> int:
    if addr < kaslr:
        raise InputError(what, f"0x{addr:x} is below the KASLR offset 0x{kaslr:x}")
    return addr - kaslr


def run(args: argparse.Namespace) -> int:
    if args.code is not None:
        insns = decode_code_line(args.code, args.pc)
    else:
        if args.place is None:
            raise InputError("disasm", "give FUNCTION|ADDRESS (or --code)")
        kaslr = args.kaslr_offset or 0
        place: str | int = args.place
        if kaslr and isinstance(place, str) and place.lower().startswith("0x"):
            place = _link_time(place, _address(place), kaslr)
        fault = _link_time("--fault", args.fault, kaslr) if args.fault is not None else None
        files = None if args.object else symargs.debug_files(args, "")
        if files is not None:
            target: Any = open_symbolizer(str(files.vmlinux))
        elif args.object:
            target = load_object(args.object)
        else:
            raise InputError("disasm", "give --vmlinux, --kernel-release, --build-id or --object (or --code)")
        insns = disassemble_function(target, place, context=args.context, fault_pc=fault)
    if args.json:
        json.dump([insn_json(i) for i in insns], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(format_listing(insns)) + "\n")
    return 0
