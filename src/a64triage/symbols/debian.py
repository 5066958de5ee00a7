"""Debian's kernel debug packages: download without root, unpack, and say what the archive has.

``apt-get download`` fetches a package into the current directory as any user,
and ``dpkg-deb -x`` unpacks it anywhere: no root, nothing installed.  The debug
package of a kernel release ``REL`` (``uname -r``, e.g. ``6.1.0-56-cloud-arm64``) is
``linux-image-REL-dbg`` (``linux-image-REL-dbg:arm64`` on a non-arm64 machine):
``usr/lib/debug/boot/vmlinux-REL`` and the modules' debug files under
``usr/lib/debug/lib/modules/REL/``.  Debian keeps only the newest ABIs of each
suite, so an older release's package is gone: the error names the nearest
releases apt still knows (``apt-cache pkgnames``).

Only the standard library: ``scripts/debian_kernel.py`` (run by any python3) uses
these functions too.  A ``.complete`` stamp marks a tree unpacked whole; a tree
without it is removed and unpacked again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from a64triage.errors import InputError
from a64triage.symbols.files import cache_lock

# Where apt keeps the packages it downloaded for installing: a -dbg .deb may already be there.
APT_ARCHIVES = Path("/var/cache/apt/archives")
STAMP = ".complete"


class FetchError(Exception):
    """apt/dpkg could not give the package: the message is one line."""


def run(cmd: list[str], cwd: Path | None = None, timeout: int = 1800) -> str:
    try:
        res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise FetchError(f"{cmd[0]} not found (a Debian system with apt is needed)") from exc
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"{' '.join(cmd[:3])} timed out after {timeout}s") from exc
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["failed"])[-1]
        raise FetchError(f"{' '.join(cmd[:4])}: {last}")
    return res.stdout


def _release_arch(release: str) -> str | None:
    """The Debian architecture of a release's flavour (``-arm64``, ``-cloud-arm64`` ...)."""
    return "arm64" if release.endswith("arm64") else None


def dbg_package(release: str) -> str:
    """``linux-image-REL-dbg[:arm64]``: the debug package of a kernel release."""
    arch = _release_arch(release)
    native = run(["dpkg", "--print-architecture"]).strip() if shutil.which("dpkg") else None
    suffix = f":{arch}" if arch and native and arch != native else ""
    return f"linux-image-{release}-dbg{suffix}"


def download(pkg: str, debs: Path, version: str | None = None) -> Path:
    """``pkg`` (``=version`` when given) as a .deb in ``debs``: from apt's own archive of
    downloaded packages when it is there, else ``apt-get download``."""
    debs.mkdir(parents=True, exist_ok=True)
    name = pkg.split(":")[0]
    before = set(debs.glob("*.deb"))
    run(["apt-get", "download", "-q", f"{pkg}={version}" if version else pkg], cwd=debs)
    new = sorted(set(debs.glob("*.deb")) - before) or sorted(debs.glob(f"{name}_*.deb"))
    if not new:
        raise FetchError(f"apt-get download {pkg} left no .deb in {debs}")
    return new[-1]


def from_apt_archive(pkg: str) -> Path | None:
    """A .deb of ``pkg`` already in apt's archive (newest version first)."""
    name, _, arch = pkg.partition(":")
    found = sorted(APT_ARCHIVES.glob(f"{name}_*_{arch or '*'}.deb")) if APT_ARCHIVES.is_dir() else []
    return found[-1] if found else None


def known(pkg: str) -> bool:
    """Whether apt knows a version of ``pkg`` it could download."""
    try:
        return "Version:" in run(["apt-cache", "show", pkg], timeout=120)
    except FetchError:
        return False


def unpack(deb: Path, dest: Path) -> None:
    run(["dpkg-deb", "-x", str(deb), str(dest)])


def nearest_releases(release: str, limit: int = 3) -> list[str]:
    """The releases of the same flavour whose -dbg package apt knows, nearest ABI first."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)-(\d+)(-.*)?", release)
    if m is None:
        return []
    flavour = m.group(5) or ""
    try:
        out = run(["apt-cache", "pkgnames", "linux-image-"], timeout=120)
    except FetchError:
        return []
    pat = re.compile(rf"^linux-image-(\d+)\.(\d+)\.(\d+)-(\d+){re.escape(flavour)}-dbg$")
    want = tuple(int(x) for x in m.group(1, 2, 3, 4))
    have = []
    for line in out.split():
        pm = pat.match(line)
        if pm:
            key = tuple(int(x) for x in pm.group(1, 2, 3, 4))
            have.append((sum(abs(a - b) * 10 ** (3 * (3 - i)) for i, (a, b) in enumerate(zip(key, want, strict=True))),
                         f"{'.'.join(pm.group(1, 2, 3))}-{pm.group(4)}{flavour}"))
    return [rel for _d, rel in sorted(have)[:limit]]


def fetch_dbg(release: str, dest: Path) -> Path:
    """Debian's debug package of ``release`` unpacked in ``dest`` (done once: ``.complete``)."""
    if (dest / STAMP).exists():
        return dest
    # batch workers asking for one release: one downloads, the others wait (dest itself is replaced)
    with cache_lock(str(dest.parent)):
        if (dest / STAMP).exists():
            return dest
        return _fetch_dbg(release, dest)


def _fetch_dbg(release: str, dest: Path) -> Path:
    pkg = dbg_package(release)
    try:
        deb = from_apt_archive(pkg)
        if deb is None and sys.stderr.isatty():  # minutes on a slow line: say what is happening
            print(f"a64triage: downloading {pkg} with apt-get (a few hundred MB) into {dest}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="a64triage-deb-") as tmp:
            deb = deb or download(pkg, Path(tmp))
            if dest.exists():
                shutil.rmtree(dest)
            partial = dest.with_name(dest.name + ".part")
            if partial.exists():
                shutil.rmtree(partial)
            partial.mkdir(parents=True)
            try:
                unpack(deb, partial)
                (partial / STAMP).write_text(release + "\n")
                os.replace(partial, dest)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)  # nothing half-unpacked stays
                raise
    except FetchError as exc:
        if not known(pkg):
            near = nearest_releases(release)
            hint = f"; the archive has {', '.join(near)}" if near else \
                "; apt knows no release of that flavour (arm64 not a dpkg architecture? apt-get update?)"
            raise InputError(pkg, f"not in the Debian archive apt knows (release {release} is gone){hint}") from None
        raise InputError(pkg, str(exc)) from None
    except OSError as exc:
        raise InputError(str(dest), f"cannot unpack: {exc.strerror or exc}") from None
    return dest
