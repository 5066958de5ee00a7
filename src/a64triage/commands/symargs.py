"""The symbol-source options every command that symbolizes shares, in one place.

``add_arguments`` declares them; ``source_options`` and ``query`` turn them into
what ``symbols.sources`` takes; ``debug_files`` asks it for the files of the
build a log comes from.  A command never knows where the files came from.
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
    from a64triage.symbols.sources import BuildQuery, DebugFiles, SourceOptions


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


def source_options(args: argparse.Namespace) -> SourceOptions:
    from a64triage.symbols.sources import SourceOptions, default_cache_dir, env_debuginfod_urls

    vmlinux = getattr(args, "vmlinux", None)
    return SourceOptions(
        vmlinux=Path(vmlinux) if vmlinux else None,
        modules=tuple(Path(d) for d in _list(args.modules)),
        debug_dirs=tuple(Path(d) for d in args.debug_dir),
        debuginfod_urls=tuple(args.debuginfod) or env_debuginfod_urls(),
        offline=args.offline,
        fetch=args.fetch,
        cache_dir=Path(args.cache_dir) if args.cache_dir else default_cache_dir(),
        force=args.force,
    )


def _list(value: object) -> list[str]:
    """``--modules``: a list (append), or one string of os.pathsep-separated directories."""
    if value is None:
        return []
    if isinstance(value, str):
        return [d for d in value.split(os.pathsep) if d]
    return [d for v in value for d in str(v).split(os.pathsep) if d] if isinstance(value, list) else []


def query(args: argparse.Namespace, text: str) -> BuildQuery:
    """The build asked for: the options, else what the log says (release only with ``auto``)."""
    from a64triage.symbols.sources import BuildQuery, log_query, valid_build_id

    logged = log_query(text)
    release = args.kernel_release
    if release == "auto":
        release = logged.release
        if release is None:
            raise InputError("--kernel-release auto", "the log prints no release "
                             "(no 'CPU: ... Comm:' line, no 'Linux version' banner): give REL")
    elif release is not None and (not release or "/" in release or release.startswith(".")):
        raise InputError("--kernel-release", f"{release!r} is not a kernel release")
    build_id = valid_build_id(args.build_id) if args.build_id else logged.build_id
    return BuildQuery(build_id, release or logged.release, logged.banner, logged.modules)


def wants_lookup(args: argparse.Namespace, q: BuildQuery) -> bool:
    """Whether to look for debug files at all: a path, a release or a build id was given,
    or the log carries a build id and a debuginfod server is configured."""
    if getattr(args, "vmlinux", None) or args.kernel_release or args.build_id:
        return True
    return bool(q.build_id and (args.debuginfod or os.environ.get("DEBUGINFOD_URLS")) and not args.offline)


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

    q = query(args, text)
    if not wants_lookup(args, q):
        return None
    explicit = bool(getattr(args, "vmlinux", None) or args.kernel_release or args.build_id or args.debuginfod)
    try:
        files = find_debug_files(q, source_options(args))
    except InputError as exc:
        if explicit:
            raise
        # only $DEBUGINFOD_URLS and the log's build id: go on with the log alone
        print(f"a64triage: warning: {exc}", file=sys.stderr)
        return None
    if files.origin not in ("path", ""):
        print(f"a64triage: using {files.vmlinux} ({files.origin})", file=sys.stderr)
    return files
