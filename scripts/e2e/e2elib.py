"""Shared code of the real-kernel end-to-end suite (issue #7).

Prepares Debian's arm64 cloud kernel for QEMU (image, debug vmlinux, module
debug files, busybox, an out-of-tree LKDTM and a tiny initramfs), boots one
crash case under ``qemu-system-aarch64`` with a hard timeout, and writes the
console log with the header lines the regression data uses.

Everything is cached under ``<debian_kernel cache>/<abi>/e2e/`` and rebuilt
only when missing.  Failures that mean "cannot run here" (no network, no QEMU,
no cross compiler) raise :class:`Unavailable` with a one-line reason; callers
turn that into ``skipped: <reason>``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES_FILE = HERE / "cases.toml"
QEMU = os.environ.get("A64TRIAGE_QEMU", "qemu-system-aarch64")
CROSS_COMPILE = "aarch64-linux-gnu-"
# Bumped whenever the initramfs or the LKDTM build recipe changes, so caches rebuild.
RECIPE_VERSION = "4"


class Unavailable(Exception):
    """Something the suite needs cannot be had here (the reason is one line)."""


# --------------------------------------------------------------------------- packages


def _debian_kernel() -> ModuleType:
    path = REPO / "scripts" / "debian_kernel.py"
    spec = importlib.util.spec_from_file_location("a64triage_debian_kernel", path)
    if spec is None or spec.loader is None:
        raise Unavailable(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


DK = _debian_kernel()
PARTS_NEEDED = ("image", "dbg", "headers", "source", "busybox")


def cached_abis() -> list[str]:
    """ABIs whose every needed part carries its ``.complete`` stamp (newest last)."""
    root = DK.cache_root()
    if not root.is_dir():
        return []
    abis = [d.name for d in root.iterdir()
            if all((d / p / ".complete").exists() for p in PARTS_NEEDED)]
    return sorted(abis, key=lambda a: [int(x) for x in re.split(r"[.-]", a) if x.isdigit()])


def pick_abi(requested: str | None) -> str:
    """The requested ABI, else the newest fully cached one, else the newest apt knows."""
    if requested:
        return requested
    env = os.environ.get("A64TRIAGE_E2E_ABI")
    if env:
        return env
    cached = cached_abis()
    if cached:
        return cached[-1]
    try:
        return str(DK.latest_abi())
    except DK.FetchError as exc:
        raise Unavailable(f"debian packages: {exc}") from exc


def fetch_parts(abi: str, parts: Iterable[str], allow_download: bool) -> dict[str, Path]:
    """Unpacked tree of each part, downloading only when allowed."""
    out: dict[str, Path] = {}
    for part in parts:
        root = DK.cache_root() / abi / part
        if not (root / ".complete").exists():
            if not allow_download:
                raise Unavailable(f"debian part {part!r} of {abi} is not cached "
                                  f"(run scripts/e2e/prepare.py)")
            try:
                root = DK.fetch(abi, part)
            except DK.FetchError as exc:
                raise Unavailable(f"debian part {part!r} of {abi}: {exc}") from exc
        out[part] = root
    return out


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Prepared:
    """Every path the suite, the tests and the symbolizer benchmark use."""

    abi: str
    kernel_release: str
    kernel_version: str  # the image's "Linux version ..." banner
    source_version: str  # Debian version of linux-source-* used for LKDTM
    image: Path  # raw arm64 Image QEMU boots
    vmlinuz: Path
    modules: Path  # /lib/modules/<release> of the image package
    system_map: Path
    config: Path
    vmlinux: Path  # DWARF vmlinux from the -dbg package
    debug_modules: Path  # dir with lkdtm.ko (unstripped) and the -dbg module tree
    debian_debug_modules: Path
    lkdtm_ko: Path
    lkdtm_src: Path
    busybox: Path
    initramfs: Path
    kbuild: Path
    workdir: Path
    notes: tuple[str, ...] = field(default=())

    def as_lines(self) -> list[str]:
        rows = [("abi", self.abi), ("kernel_release", self.kernel_release),
                ("kernel_version", self.kernel_version),
                ("source_version", self.source_version),
                ("vmlinux", self.vmlinux), ("debug_modules", self.debug_modules),
                ("debian_debug_modules", self.debian_debug_modules),
                ("image", self.image), ("vmlinuz", self.vmlinuz), ("modules", self.modules),
                ("system_map", self.system_map), ("config", self.config),
                ("initramfs", self.initramfs), ("lkdtm_ko", self.lkdtm_ko),
                ("lkdtm_src", self.lkdtm_src), ("busybox", self.busybox),
                ("kbuild", self.kbuild), ("workdir", self.workdir),
                ("logs", REPO / "tests" / "data" / "e2e")]
        lines = [f"{k}={v}" for k, v in rows]
        lines += [f"note={n}" for n in self.notes]
        return lines


def _run(cmd: list[str], cwd: Path | None = None, timeout: int = 900,
         env: Mapping[str, str] | None = None) -> str:
    """Run a build/packaging command; on timeout its whole process group is killed."""
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=dict(env) if env is not None else None)
    except FileNotFoundError as exc:
        raise Unavailable(f"{cmd[0]} not found") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise Unavailable(f"{cmd[0]} timed out after {timeout}s") from exc
    if proc.returncode != 0:
        tail = (err.strip() or out.strip() or "failed").splitlines()[-3:]
        raise Unavailable(f"{' '.join(cmd[:2])}: {' | '.join(tail)}")
    return out


def linux_banner(image: Path) -> str:
    """The ``Linux version ...`` string compiled into a raw or gzip'ed Image."""
    data = image.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    m = re.search(rb"Linux version [ -~]{10,300}", data)
    if m is None:
        raise Unavailable(f"{image}: no 'Linux version' banner")
    return m.group(0).decode().strip()


def debian_version(doc_root: Path, package: str) -> str | None:
    """First version in a package's changelog.Debian.gz, e.g. ``6.1.192-2``."""
    log = doc_root / "usr" / "share" / "doc" / package / "changelog.Debian.gz"
    if not log.exists():
        return None
    with gzip.open(log, "rt", errors="replace") as fh:
        m = re.match(r"\S+ \(([^)]+)\)", fh.readline())
    return m.group(1) if m else None


# --------------------------------------------------------------------------- modules


def modinfo(ko: Path) -> dict[str, str]:
    """Key/value pairs of a module's ``.modinfo`` section (ELF64 little-endian only)."""
    try:
        return _modinfo(ko.read_bytes(), ko)
    except (struct.error, ValueError, IndexError) as exc:
        raise Unavailable(f"{ko}: malformed ELF ({exc})") from exc


def _modinfo(data: bytes, ko: Path) -> dict[str, str]:
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise Unavailable(f"{ko}: not an ELF64 little-endian module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i: int) -> tuple[int, int, int]:
        name, _typ, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", data,
                                                                  shoff + i * shentsize)
        return name, off, size

    _n, stroff, _s = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            pairs = data[off:off + size].split(b"\0")
            return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)
    return {}


def module_closure(modules_dir: Path, names: Iterable[str]) -> list[Path]:
    """The .ko files of ``names`` and everything they depend on (deps first)."""
    index = {p.name.split(".ko")[0].replace("-", "_"): p for p in modules_dir.rglob("*.ko*")}
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        key = name.replace("-", "_")
        if key in seen:
            return
        seen.add(key)
        if key not in index:
            raise Unavailable(f"module {name} not found under {modules_dir}")
        ko = index[key]
        if ko.suffix != ".ko":
            raise Unavailable(f"{ko}: compressed modules are not handled")
        for dep in filter(None, modinfo(ko).get("depends", "").split(",")):
            visit(dep)
        order.append(ko)

    for n in names:
        visit(n)
    return order


# --------------------------------------------------------------------------- LKDTM


def build_lkdtm(source_tarball: Path, kbuild: Path, kernel_release: str, work: Path) -> Path:
    """Build drivers/misc/lkdtm out of tree against Debian's headers; returns lkdtm.ko.

    Debian ships CONFIG_LKDTM unset, so we pass CONFIG_LKDTM=m to kbuild.  The
    flavour Makefile includes the common one by absolute /usr/src path; we point
    a copy at the cached tree instead of touching /usr/src.
    """
    ko = work / "lkdtm" / "lkdtm.ko"
    stamp = work / "lkdtm" / ".built"
    if ko.exists() and stamp.exists() and stamp.read_text() == RECIPE_VERSION:
        return ko
    if shutil.which(f"{CROSS_COMPILE}gcc-12") is None and shutil.which(f"{CROSS_COMPILE}gcc") is None:
        raise Unavailable(f"{CROSS_COMPILE}gcc not installed (apt-get install gcc-aarch64-linux-gnu)")
    src = work / "lkdtm"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    prefix = None
    with tarfile.open(source_tarball) as tar:
        for member in tar:
            parts = member.name.split("/")
            if len(parts) >= 4 and parts[1:4] == ["drivers", "misc", "lkdtm"] and member.isfile():
                prefix = parts[0]
                target = src / parts[-1]
                fh = tar.extractfile(member)
                if fh is not None:
                    target.write_bytes(fh.read())
            elif prefix is not None:
                break  # a directory's files are contiguous in the tarball: stop reading early
    if not (src / "core.c").exists():
        raise Unavailable(f"{source_tarball}: no drivers/misc/lkdtm")
    makefile = kbuild / "Makefile"
    text = makefile.read_text()
    common = kbuild.parent / re.sub(r"-[a-z0-9]+-arm64$", "-common", kbuild.name)
    text = re.sub(r"/usr/src/(linux-headers-[^/\s]+-common)", str(common), text)
    wrapper = work / "kbuild.mk"
    wrapper.write_text(text)
    env = dict(os.environ, KBUILD_BUILD_TIMESTAMP="", LC_ALL="C")
    jobs = os.environ.get("A64TRIAGE_E2E_JOBS", "2")
    # __FILE__ as an in-tree build prints it ("kernel BUG at drivers/misc/lkdtm/bugs.c:78!"),
    # so logs do not depend on where the cache lives; DWARF keeps the real path.
    kcflags = f"-fmacro-prefix-map={src}/=drivers/misc/lkdtm/"
    _run(["make", "-C", str(kbuild), "-f", str(wrapper), f"M={src}", "ARCH=arm64",
          f"CROSS_COMPILE={CROSS_COMPILE}", "CONFIG_LKDTM=m", f"KCFLAGS={kcflags}",
          f"-j{jobs}", "modules"],
         env=env, timeout=900)
    if not ko.exists():
        raise Unavailable("LKDTM build produced no lkdtm.ko")
    magic = modinfo(ko).get("vermagic", "")
    if not magic.startswith(kernel_release + " "):
        raise Unavailable(f"lkdtm.ko vermagic {magic!r} does not match {kernel_release}")
    stamp.write_text(RECIPE_VERSION)
    return ko


# --------------------------------------------------------------------------- initramfs

INIT_SCRIPT = r"""#!/bin/busybox sh
# a64triage e2e /init: provoke the crash named by crash= on the kernel command line.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
crash=""; wait_s=4
for w in $(cat /proc/cmdline); do
  case "$w" in
    crash=*) crash="${w#crash=}" ;;
    e2e_wait=*) wait_s="${w#e2e_wait=}" ;;
  esac
done
echo "e2e: init crash=$crash"
echo "e2e: kallsyms $(grep -e " _text$" -e " _stext$" /proc/kallsyms | tr "\n" " ")"
case "$crash" in
  "") ;;
  SYSRQ_C) (echo c > /proc/sysrq-trigger) & ;;
  *)
    for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m" || echo "e2e: insmod $m failed"; done
    (echo "$crash" > /sys/kernel/debug/provoke-crash/DIRECT) & ;;
esac
sleep "$wait_s"
echo "e2e: poweroff"
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger
"""


def _cpio_entry(name: str, mode: int, data: bytes = b"", ino: int = 1,
                rdev: tuple[int, int] = (0, 0)) -> bytes:
    """One ``newc`` cpio record (see the kernel's Documentation/driver-api/early-userspace)."""
    namez = name.encode() + b"\0"
    hdr = "070701" + "".join(f"{v:08X}" for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(namez), 0))
    out = hdr.encode() + namez
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def build_initramfs(dest: Path, busybox: Path, modules: list[Path],
                    init_script: str = INIT_SCRIPT) -> Path:
    """A gzip'ed newc cpio: busybox, /init, the modules, /dev/console (no root needed)."""
    entries: list[bytes] = []
    ino = 100
    for d in ("bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules"):
        ino += 1
        entries.append(_cpio_entry(d, 0o040755, ino=ino))
    entries.append(_cpio_entry("dev/console", 0o020600, ino=90, rdev=(5, 1)))
    entries.append(_cpio_entry("dev/null", 0o020666, ino=91, rdev=(1, 3)))
    entries.append(_cpio_entry("bin/busybox", 0o100755, busybox.read_bytes(), ino=92))
    entries.append(_cpio_entry("init", 0o100755, init_script.encode(), ino=93))
    for i, ko in enumerate(modules):
        entries.append(_cpio_entry(f"lib/modules/{ko.name}", 0o100644, ko.read_bytes(),
                                   ino=200 + i))
    order = "".join(f"{ko.name}\n" for ko in modules).encode()
    entries.append(_cpio_entry("lib/modules/order", 0o100644, order, ino=94))
    entries.append(_cpio_entry("TRAILER!!!", 0, ino=0))
    raw = b"".join(entries)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(dest)
    return dest


def _strip_debug(ko: Path, dest: Path) -> Path:
    """The initramfs copy of a module without DWARF (keeps the cpio small)."""
    if dest.exists() and dest.stat().st_mtime >= ko.stat().st_mtime:
        return dest
    _run([f"{CROSS_COMPILE}strip", "--strip-debug", "-o", str(dest), str(ko)], timeout=120)
    return dest


# --------------------------------------------------------------------------- prepare


def _mirror_with_links(src: Path, dest: Path) -> None:
    """Real directories holding per-file symlinks: found by walkers that skip dir links."""
    if dest.is_symlink():
        dest.unlink()
    for ko in src.rglob("*.ko*"):
        link = dest / ko.relative_to(src)
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(ko)


def prepare(abi: str | None = None, allow_download: bool = True,
            extra_modules: Iterable[str] = ()) -> Prepared:
    """Fetch (or find cached) packages and build LKDTM and the initramfs; idempotent."""
    abi = pick_abi(abi)
    parts = fetch_parts(abi, PARTS_NEEDED, allow_download)
    release = f"{abi}-{DK.FLAVOUR}"
    paths: dict[str, Path] = {}
    for part, root in parts.items():
        paths.update(DK.interesting_paths(abi, part, root))
    missing = [k for k in ("vmlinuz", "vmlinux", "busybox", "kbuild", "source_tarball")
               if k not in paths or not paths[k].exists()]
    if missing:
        raise Unavailable(f"cached packages of {abi} lack {', '.join(missing)}")
    work = DK.cache_root() / abi / "e2e"
    work.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []

    banner = linux_banner(paths["vmlinuz"])
    debs = re.findall(r"SMP .*Debian (\d[^\s)]*) \(", banner)
    kernel_deb = debs[-1] if debs else "?"
    source_ver = debian_version(parts["source"], f"linux-source-{'.'.join(abi.split('.')[:2])}") or "?"
    if source_ver != kernel_deb:
        notes.append(f"linux-source {source_ver} differs from the kernel's {kernel_deb}; "
                     "LKDTM is self-contained and vermagic comes from the headers")

    image = paths["vmlinuz"]
    if image.read_bytes()[:2] == b"\x1f\x8b":  # some Debian releases ship Image.gz
        image = work / "Image"
        if not image.exists():
            image.write_bytes(gzip.decompress(paths["vmlinuz"].read_bytes()))

    lkdtm = build_lkdtm(paths["source_tarball"], paths["kbuild"], release, work)

    debug_modules = work / "debug-modules"
    debug_modules.mkdir(exist_ok=True)
    _mirror_with_links(paths["debug_modules"] / "kernel", debug_modules / "kernel")
    shutil.copy2(lkdtm, debug_modules / "lkdtm.ko")

    boot_mods = [*module_closure(paths["modules"], extra_modules)] if extra_modules else []
    stripped_dir = work / "initramfs-modules"
    stripped_dir.mkdir(exist_ok=True)
    ko_list = [_strip_debug(k, stripped_dir / k.name) for k in [*boot_mods, lkdtm]]
    digest = hashlib.sha256(RECIPE_VERSION.encode())
    for f in [paths["busybox"], *ko_list]:
        digest.update(f.read_bytes())
    digest.update(INIT_SCRIPT.encode())
    initramfs = work / "initramfs.cpio.gz"
    stamp = work / "initramfs.sha256"
    if not initramfs.exists() or not stamp.exists() or stamp.read_text() != digest.hexdigest():
        build_initramfs(initramfs, paths["busybox"], ko_list)
        stamp.write_text(digest.hexdigest())

    # The image package's System.map is a one-line stub pointing at the -dbg package.
    system_map = paths["vmlinux"].parent / f"System.map-{release}"
    if not system_map.exists():
        system_map = paths["system_map"]

    return Prepared(
        abi=abi, kernel_release=release, kernel_version=banner, source_version=source_ver,
        image=image, vmlinuz=paths["vmlinuz"], modules=paths["modules"],
        system_map=system_map, config=paths["config"], vmlinux=paths["vmlinux"],
        debug_modules=debug_modules, debian_debug_modules=paths["debug_modules"],
        lkdtm_ko=debug_modules / "lkdtm.ko", lkdtm_src=work / "lkdtm", busybox=paths["busybox"],
        initramfs=initramfs, kbuild=paths["kbuild"], workdir=work, notes=tuple(notes))


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One bootable crash recipe from cases.toml (a crash type in one variant)."""

    name: str  # log file stem: CRASH or CRASH-variant
    crash: str  # LKDTM crash type or SYSRQ_C
    variant: str  # "" (kaslr, oops continues), "nokaslr", "panic", ...
    cpu: str
    kaslr: bool
    cmdline_extra: tuple[str, ...]
    wait_s: int
    timeout_s: int
    reduced: bool  # booted live by the default (reduced) test run
    expect_marker: str  # regex the console must show for the run to count


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    """Expand cases.toml: each crash type in its default form plus its variants."""
    data: dict[str, Any] = tomllib.loads(path.read_text())
    defaults: dict[str, Any] = data.get("defaults", {})
    variants: dict[str, dict[str, Any]] = data.get("variants", {})
    reduced = set(data.get("reduced", []))
    cases: list[Case] = []
    for crash, spec in data["crash"].items():
        for variant in ["", *spec.get("variants", [])]:
            if variant and variant not in variants:
                raise ValueError(f"{path}: {crash} names unknown variant {variant!r}")
            layers: list[dict[str, Any]] = [defaults, spec, variants.get(variant, {})]
            merged: dict[str, Any] = {}
            extra: list[str] = []
            for layer in layers:
                merged.update(layer)
                extra += [str(w) for w in layer.get("cmdline", [])]
            name = f"{crash}-{variant}" if variant else crash
            cases.append(Case(
                name=name, crash=crash, variant=variant, cpu=str(merged["cpu"]),
                kaslr=bool(merged.get("kaslr", True)), cmdline_extra=tuple(extra),
                wait_s=int(merged["wait"]), timeout_s=int(merged["timeout"]),
                reduced=name in reduced, expect_marker=str(merged["marker"])))
    unknown = reduced - {c.name for c in cases}
    if unknown:
        raise ValueError(f"{path}: reduced names unknown cases {sorted(unknown)}")
    return cases


def kernel_cmdline(case: Case) -> str:
    words = ["console=ttyAMA0", "panic=-1", *case.cmdline_extra]
    if not case.kaslr:
        words.append("nokaslr")
    words += [f"crash={case.crash}", f"e2e_wait={case.wait_s}"]
    return " ".join(words)


def qemu_command(prep: Prepared, case: Case) -> list[str]:
    cpu = case.cpu
    return [QEMU, "-M", "virt,virtualization=on", "-cpu", cpu, "-smp", "1", "-m", "1024",
            "-nographic", "-no-reboot", "-kernel", str(prep.image), "-initrd", str(prep.initramfs),
            "-append", kernel_cmdline(case)]


@dataclass(frozen=True)
class BootResult:
    case: Case
    console: str
    seconds: float
    ended: str  # "poweroff", "panic", "exit", "timeout"
    command: tuple[str, ...]
    cmdline: str


def boot(prep: Prepared, case: Case, timeout_s: int | None = None) -> BootResult:
    """Boot one case; QEMU's whole process group is killed on timeout."""
    if shutil.which(QEMU) is None:
        raise Unavailable(f"{QEMU} not installed (apt-get install qemu-system-arm)")
    cmd = qemu_command(prep, case)
    limit = timeout_s or case.timeout_s
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - start
    text = out.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bc", "", text)  # QEMU/serial terminal resets
    if timed_out:
        ended = "timeout"
    elif "e2e: poweroff" in text and "reboot: Power down" in text:
        ended = "poweroff"
    elif "Kernel panic - not syncing" in text:
        ended = "panic"
    else:
        ended = "exit"
    return BootResult(case=case, console=text, seconds=seconds, ended=ended,
                      command=tuple(cmd), cmdline=kernel_cmdline(case))


def format_log(prep: Prepared, result: BootResult) -> str:
    """Header lines then a blank line then the raw console (tests/data/e2e/*.log format)."""
    cmd = " ".join(shlex.quote(c) for c in result.command)
    # Paths in the header are made cache-relative so logs do not leak the builder's $HOME.
    cmd = cmd.replace(str(DK.cache_root()), "$A64TRIAGE_CACHE/debian")
    header = [
        f"source: qemu {cmd}",
        f"kernel: {prep.kernel_version}",
        f"cmdline: {result.cmdline}",
        f"crash: {result.case.crash}",
        f"variant: {result.case.variant or 'default'}",
        f"kaslr: {'yes' if result.case.kaslr else 'no'}",
        f"cpu: {result.case.cpu}",
        f"lkdtm: built from linux-source {prep.source_version} against {prep.kernel_release} headers",
        f"ended: {result.ended} after {result.seconds:.1f}s",
    ]
    return "\n".join(header) + "\n\n" + result.console.rstrip("\n") + "\n"


def read_log_header(text: str) -> tuple[dict[str, str], str]:
    """Split a committed log into its header dict and the raw console text."""
    head, sep, body = text.partition("\n\n")
    if not sep:
        raise ValueError("no blank line after the header")
    fields: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(": ")
        if not colon:
            raise ValueError(f"bad header line {line!r}")
        fields[key] = value
    return fields, body


class _Named(Protocol):
    name: str
    reduced: bool


_C = TypeVar("_C", bound=_Named)


def choose_cases(cases: Sequence[_C], args: argparse.Namespace, prog: str,
                 describe: Callable[[_C], str]) -> list[_C] | int:
    """The cases a script's command line names (``CASE...``, ``--all``, ``--reduced``),
    or its exit code: 0 after ``--list``, 2 for an unknown name."""
    if args.list:
        for c in cases:
            print(f"{c.name}\t{'reduced' if c.reduced else 'full'}\t{describe(c)}")
        return 0
    known = {c.name for c in cases}
    unknown = [n for n in args.cases if n not in known]
    if unknown:
        print(f"{prog}: unknown case(s) {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    return [c for c in cases if args.all or (args.reduced and c.reduced) or c.name in args.cases]


def main_error(exc: Unavailable) -> int:
    print(f"skipped: {exc}", file=sys.stderr)
    return 3
