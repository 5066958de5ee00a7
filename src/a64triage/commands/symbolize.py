"""`a64triage symbolize` (not implemented yet)."""

from __future__ import annotations

import argparse

from a64triage.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs="*")


def run(args: argparse.Namespace) -> int:
    raise InputError("symbolize", "not implemented yet")
