#!/usr/bin/env python3
"""Fetch Debian's arm64 cloud kernel packages by name and cache them by ABI version.

Used by the real-kernel tests, the QEMU end-to-end suite and the benchmarks.
Packages (all from Debian's archive, fetched with ``apt-get download``):

  image    linux-image-<abi>-cloud-arm64-unsigned   vmlinuz + modules
  dbg      linux-image-<abi>-cloud-arm64-dbg        vmlinux + module debug files (DWARF 5)
  headers  linux-headers-<abi>-cloud-arm64 (+ linux-headers-<abi>-common, linux-kbuild-6.1)
  source   linux-source-6.1                         the matching kernel source tarball
  busybox  busybox-static:arm64
  dbgdeb   the dbg package as a .deb, kept (the debuginfod test serves it)

Cache: ``$A64TRIAGE_CACHE`` or ``~/.cache/a64triage``, then ``debian/<abi>/<part>/``
holding the unpacked package tree and a ``.complete`` stamp.  Prints one
``part=path`` line per requested part, plus ``abi=`` and useful file paths.
Exit 0 on success, 2 with a one-line reason when the packages cannot be had
(tests turn that into ``skipped: <reason>``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
from pathlib import Path

# apt/dpkg calls are the package's (a64triage.symbols.debian: standard library only, so any
# python3 runs this script): one download logic for the tests and for users' --fetch
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from a64triage.symbols.debian import FetchError, download, unpack
from a64triage.symbols.debian import run as _run

FLAVOUR = "cloud-arm64"
PARTS = ("image", "dbg", "headers", "source", "busybox", "dbgdeb")


def cache_root() -> Path:
    from a64triage.symbols.sources import default_cache_dir

    return default_cache_dir() / "debian"


def ensure_arm64_arch() -> None:
    """Make arm64 packages visible to apt (needs root the first time)."""
    if "arm64" in _run(["dpkg", "--print-foreign-architectures"]).split():
        return
    if os.geteuid() != 0:
        raise FetchError("arm64 is not a dpkg foreign architecture and we are not root")
    _run(["dpkg", "--add-architecture", "arm64"])
    _run(["apt-get", "update", "-q"])


def available_abis() -> list[str]:
    out = _run(["apt-cache", "pkgnames", "linux-image-"])
    pat = re.compile(rf"^linux-image-(\d+\.\d+\.\d+-\d+)-{FLAVOUR}-dbg$")
    abis = {m.group(1) for line in out.splitlines() if (m := pat.match(line.strip()))}
    return sorted(abis, key=lambda a: [int(x) for x in re.split(r"[.-]", a)])


def latest_abi() -> str:
    ensure_arm64_arch()
    abis = available_abis()
    if not abis and os.geteuid() == 0:
        _run(["apt-get", "update", "-q"])
        abis = available_abis()
    if not abis:
        raise FetchError(f"no linux-image-*-{FLAVOUR}-dbg package known to apt")
    return abis[-1]


def packages_for(part: str, abi: str) -> list[str]:
    major = ".".join(abi.split(".")[:2])
    return {
        "image": [f"linux-image-{abi}-{FLAVOUR}-unsigned:arm64"],
        "dbg": [f"linux-image-{abi}-{FLAVOUR}-dbg:arm64"],
        "headers": [
            f"linux-headers-{abi}-{FLAVOUR}:arm64",
            f"linux-headers-{abi}-common",
            f"linux-kbuild-{major}",
        ],
        "source": [f"linux-source-{major}"],
        "busybox": ["busybox-static:arm64"],
        "dbgdeb": [f"linux-image-{abi}-{FLAVOUR}-dbg:arm64"],
    }[part]


# Packages whose name does not carry the ABI: pin them to the kernel's own Debian
# version so LKDTM is built from, and against tools of, the very same release.
UNVERSIONED = ("linux-source-", "linux-kbuild-")


def image_version(abi: str) -> str | None:
    """Debian version of the cached image package (e.g. ``6.1.192-2``), if cached."""
    root = cache_root() / abi / "image" / "usr" / "share" / "doc"
    for log in sorted(root.glob(f"linux-image-{abi}-{FLAVOUR}*/changelog.Debian.gz")):
        with gzip.open(log, "rt", errors="replace") as fh:
            m = re.match(r"\S+ \(([^)]+)\)", fh.readline())
        if m:
            return m.group(1)
    return None


def _download(pkg: str, abi: str, debs: Path) -> Path:
    """``apt-get download``; unversioned packages are pinned to the image's version first."""
    version = image_version(abi) if pkg.startswith(UNVERSIONED) else None
    if version:
        try:
            return download(pkg, debs, version)
        except FetchError as exc:
            print(f"debian_kernel: {pkg}={version} unavailable ({exc}); using apt's candidate",
                  file=sys.stderr)
    return download(pkg, debs)


def fetch(abi: str, part: str) -> Path:
    """Download and unpack one part; idempotent thanks to the ``.complete`` stamp."""
    dest = cache_root() / abi / part
    if (dest / ".complete").exists():
        return dest
    if any(pkg.endswith(":arm64") for pkg in packages_for(part, abi)):
        ensure_arm64_arch()  # a pinned --abi skips latest_abi(), which would have done it
    debs = cache_root() / abi / "debs"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for pkg in packages_for(part, abi):
        deb = _download(pkg, abi, dest if part == "dbgdeb" else debs)
        if part != "dbgdeb":  # keep the unpacked tree only: the .debs are hundreds of MB
            unpack(deb, dest)
            deb.unlink()
    (dest / ".complete").write_text(abi + "\n")
    return dest


def interesting_paths(abi: str, part: str, root: Path) -> dict[str, Path]:
    kver = f"{abi}-{FLAVOUR}"
    paths = {
        "image": {"vmlinuz": root / "boot" / f"vmlinuz-{kver}",
                  "modules": root / "lib" / "modules" / kver,
                  "system_map": root / "boot" / f"System.map-{kver}",
                  "config": root / "boot" / f"config-{kver}"},
        "dbg": {"vmlinux": root / "usr" / "lib" / "debug" / "boot" / f"vmlinux-{kver}",
                "debug_modules": root / "usr" / "lib" / "debug" / "lib" / "modules" / kver},
        "headers": {"kbuild": root / "usr" / "src" / f"linux-headers-{kver}"},
        "busybox": {"busybox": root / "bin" / "busybox"},
        "dbgdeb": {"deb": next(iter(sorted(root.glob("*.deb"))), root / "missing.deb")},
    }.get(part, {})
    if part == "source":
        tarballs = sorted((root / "usr" / "src").glob("linux-source-*.tar.*"))
        if tarballs:
            paths = {"source_tarball": tarballs[-1]}
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*", default=["dbg"], help=f"any of {', '.join(PARTS)}")
    ap.add_argument("--abi", help="kernel ABI, e.g. 6.1.0-53 (default: the newest apt knows)")
    ap.add_argument("--print-abi", action="store_true", help="only print the ABI that would be used")
    args = ap.parse_args(argv)
    try:
        abi = args.abi or latest_abi()
        if args.print_abi:
            print(abi)
            return 0
        print(f"abi={abi}")
        print(f"kernel_release={abi}-{FLAVOUR}")
        for part in args.parts:
            if part not in PARTS:
                raise FetchError(f"unknown part {part!r} (choose from {', '.join(PARTS)})")
            root = fetch(abi, part)
            print(f"{part}={root}")
            for key, path in interesting_paths(abi, part, root).items():
                print(f"{key}={path}")
    except FetchError as exc:
        print(f"debian_kernel: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
