"""`a64triage audit`: absolute addresses in code that runs at another VA (issue 5).

Exit status: 0 clean (info-only findings count as clean), 1 hazards (warning/fatal)
found, 2 bad input -- usable as a build or CI gate.  ``--diff A B`` exits 1 when a
hazard is present in only one of the two builds.
"""

from __future__ import annotations

import argparse
import json
import sys

from a64triage import __version__
from a64triage.errors import InputError
from a64triage.relocs import audit, diff_findings, findings_to_json, to_sarif, to_text, with_source
from a64triage.relocs.engine import AuditResult
from a64triage.relocs.output import finding_dict
from a64triage.relocs.profiles import PROFILES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help=".o, .ko, kvm_nvhe.o or linked image (vmlinux)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--profile", action="append", default=None, metavar="NAME",
                        help="region profile to apply (repeatable; default: auto-detect; 'auto' adds detection)")
    parser.add_argument("--profiles-file", metavar="TOML", help="custom profiles: [profile.NAME] tables")
    parser.add_argument("--section", action="append", default=[], metavar="PATTERN",
                        help="custom region: code sections (fnmatch pattern, repeatable)")
    parser.add_argument("--symbol-prefix", action="append", default=[], metavar="PREFIX",
                        help="custom region: function symbol prefix (repeatable)")
    parser.add_argument("--function", metavar="NAME", help="only findings inside this function")
    parser.add_argument("--diff", nargs=2, metavar=("A", "B"),
                        help="compare two builds of the same code; report hazards present in only one")
    parser.add_argument("--verbose", "-v", action="store_true", help="text: also show info findings")
    parser.add_argument("--source", action="store_true",
                        help="add file:line from DWARF (slow on a vmlinux; needs debug info)")
    parser.add_argument("--list-profiles", action="store_true", help="print the built-in profiles and exit")


def _run_one(path: str, args: argparse.Namespace) -> AuditResult:
    res = audit(path, profiles=args.profile, sections=args.section, symbol_prefixes=args.symbol_prefix,
                profile_file=args.profiles_file)
    if args.function:
        fn = args.function
        keep = tuple(f for f in res.findings
                     if f.function in (fn, f"__kvm_nvhe_{fn}"))
        res = AuditResult(res.path, res.kind, res.regions, keep, res.hyp_reloc_entries,
                          res.dynamic_relocations, res.functions_scanned)
    if args.source:
        res = with_source(res)
    return res


def run(args: argparse.Namespace) -> int:
    if args.list_profiles:
        for p in PROFILES:
            print(f"{p.name:20} {p.description} [fixup: {p.fixup.value}]")
        return 0
    if args.diff:
        if args.files:
            raise InputError("audit", "--diff takes exactly two files and no others")
        return _diff(args)
    if not args.files:
        raise InputError("audit", "no input file (usage: a64triage audit FILE... | --diff A B)")
    results = [_run_one(p, args) for p in args.files]
    if args.format == "json":
        json.dump(findings_to_json(results), sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif args.format == "sarif":
        json.dump(to_sarif(results, __version__), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(to_text(results, verbose=args.verbose))
    return 1 if any(r.hazardous for r in results) else 0


def _diff(args: argparse.Namespace) -> int:
    a, b = (_run_one(p, args) for p in args.diff)
    only_a, only_b = diff_findings(a, b)
    if args.format in ("json", "sarif"):
        doc = {"schema_version": findings_to_json(a)["schema_version"], "a": a.path, "b": b.path,
               "only_in_a": [finding_dict(f) for f in only_a], "only_in_b": [finding_dict(f) for f in only_b]}
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for label, path, fs in (("only in A", a.path, only_a), ("only in B", b.path, only_b)):
            print(f"{label} ({path}): {len(fs)} hazard(s)")
            for f in fs:
                where = f"{f.function}+{f.offset:#x}" if f.function and f.offset is not None else (f.slot or "?")
                print(f"  {f.severity.value.upper():7} {f.cls.value} [{f.region}] {where} -> {f.target}"
                      f" ({f.relocation or '-'})")
    return 1 if only_a or only_b else 0
