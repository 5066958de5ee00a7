"""The symbol-source options every command that symbolizes shares, in one place.

``add_arguments`` declares them; ``request`` turns them into what ``symbols.sources``
takes (a ``SymbolRequest``, plain data that batch sends to its workers);
``debug_files`` asks it for the files of the build a log comes from.  A command never
knows where the files came from.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from a64triage.errors import InputError

if TYPE_CHECKING:
    from a64triage.symbols.sources import DebugFiles, SourceOptions, SymbolRequest


def add_arguments(parser: argparse.ArgumentParser, *, vmlinux: bool = True) -> None:
    """``vmlinux``: also declare ``--vmlinux`` (disasm declares its own, exclusive with --object)."""
    g = parser.add_argument_group("symbol sources (the debug files of the crashed kernel)")
    if vmlinux:
        g.add_argument("--vmlinux", metavar="V", help="vmlinux of the crashed kernel (with DWARF for file:line)")
    g.add_argument("--modules", action="append", default=[], metavar="DIR",
                   help="directory searched for the kernel's NAME.ko[.xz] (repeatable)")
    g.add_argument("--debug-dir", action="append", default=[], metavar="DIR",
                   help="root of separate debug files (.build-id/, like /usr/lib/debug; repeatable)")
    g.add_argument("--kernel-release", metavar="REL|auto",
                   help="find the vmlinux of release REL (uname -r) in /usr/lib/debug, /boot, "
                        "/lib/modules/REL/build or the cache; auto: the release the log prints")
    g.add_argument("--build-id", metavar="HEX", help="find the vmlinux with this GNU build id")
    g.add_argument("--fetch", action="store_true",
                   help="with --kernel-release: download Debian's linux-image-REL-dbg into the cache (no root)")
    g.add_argument("--debuginfod", action="append", default=[], metavar="URL",
                   help="debuginfod server for debug files by build id (repeatable; default: $DEBUGINFOD_URLS)")
    g.add_argument("--offline", action="store_true", help="no network: only files here and in the cache")
    g.add_argument("--cache-dir", metavar="DIR",
                   help="cache of fetched debug files (default: $XDG_CACHE_HOME/a64triage or ~/.cache/a64triage)")
    g.add_argument("--force", action="store_true",
                   help="use a vmlinux even when its build id or banner differs from the log's")


def request(args: argparse.Namespace) -> SymbolRequest:
    """The options as plain data (batch sends it to its workers); bad values fail here."""
    from a64triage.symbols.sources import SymbolRequest

    vmlinux = getattr(args, "vmlinux", None)
    req = SymbolRequest(
        vmlinux=Path(vmlinux) if vmlinux else None,
        modules=tuple(Path(d) for d in _list(args.modules)),
        debug_dirs=tuple(Path(d) for d in args.debug_dir),
        release=args.kernel_release,
        build_id=args.build_id,
        debuginfod_urls=tuple(args.debuginfod) or None,
        offline=args.offline,
        fetch=args.fetch,
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        force=args.force,
    )
    req.check()
    return req


def source_options(args: argparse.Namespace) -> SourceOptions:
    return request(args).options()


def _list(value: object) -> list[str]:
    """``--modules``: a list (append), or one string of os.pathsep-separated directories."""
    if value is None:
        return []
    if isinstance(value, str):
        return [d for d in value.split(os.pathsep) if d]
    return [d for v in value for d in str(v).split(os.pathsep) if d] if isinstance(value, list) else []


def first_text(logs: list[str], read: Callable[[str], str]) -> str:
    """The first readable log's text (several logs share the build of the first): a log
    that cannot be read is left for the command to report in its turn."""
    for path in logs:
        if path == "-" and len(logs) > 1:
            continue  # stdin is read once, by the command
        try:
            return read(path)
        except InputError:
            continue
    return ""


def debug_files(args: argparse.Namespace, text: str) -> DebugFiles | None:
    """The debug files for the log ``text`` (None when the user asked for none)."""
    from a64triage.symbols.sources import find_debug_files

    req = request(args)
    q = req.query(text)
    if not req.wants_lookup(q):
        return None
    try:
        files = find_debug_files(q, req.options())
    except InputError as exc:
        if req.explicit:
            raise
        # only $DEBUGINFOD_URLS and the log's build id: go on with the log alone
        print(f"a64triage: warning: {exc}", file=sys.stderr)
        return None
    if files.origin not in ("path", ""):
        print(f"a64triage: using {files.vmlinux} ({files.origin})", file=sys.stderr)
    return files
