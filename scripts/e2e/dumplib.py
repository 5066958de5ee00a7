"""QEMU dump mode of the real-kernel end-to-end suite (issue #15).

Boots Debian's arm64 kernel as :mod:`e2elib` does, but so that a crash leaves a core
behind: ``-device vmcoreinfo`` plus ``qemu_fw_cfg`` loaded in the initramfs (its probe
hands QEMU the guest-physical address of the kernel's VMCOREINFO note, which QEMU then
copies into its dumps), ``panic=0`` so panic() waits forever instead of rebooting, and
a QMP socket on which ``dump-guest-memory`` is issued once the console shows the end of
the panic.  Guest memory is trimmed (``-m``) so the cores stay small.  Cores are written
where the caller says (a pytest tmp dir, or the cache): they are generated, never
committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import e2elib

DUMPS_FILE = e2elib.HERE / "dumps.toml"
# Bumped whenever the dump initramfs recipe changes.
DUMP_RECIPE_VERSION = "1"
# Modules the dump initramfs loads before LKDTM (with their dependencies).
DUMP_MODULES = ("qemu_fw_cfg",)
# printk's last line of a panic (kernel/panic.c: "---[ end Kernel panic - not syncing: ...").
PANIC_END = re.compile(r"---\[ end Kernel panic - not syncing")

DUMP_INIT_SCRIPT = r"""#!/bin/busybox sh
# a64triage e2e dump-mode /init: load qemu_fw_cfg (VMCOREINFO for QEMU), provoke crash=,
# then wait: the crash must end in panic(), which with panic=0 waits for the dump.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
crash=""
for w in $(cat /proc/cmdline); do
  case "$w" in crash=*) crash="${w#crash=}" ;; esac
done
echo "e2e: init crash=$crash"
for m in $(cat /lib/modules/order); do insmod "/lib/modules/$m" || echo "e2e: insmod $m failed"; done
if [ -e /sys/firmware/qemu_fw_cfg/rev ]; then echo "e2e: fw_cfg ok"; else echo "e2e: fw_cfg missing"; fi
echo "e2e: kallsyms $(grep -e " _text$" -e " _stext$" /proc/kallsyms | tr "\n" " ")"
(echo "$crash" > /sys/kernel/debug/provoke-crash/DIRECT) &
while :; do sleep 60; done
"""


@dataclass(frozen=True)
class DumpCase:
    """One crash to dump: an LKDTM type, the command line making it panic, the formats."""

    name: str
    crash: str
    cmdline_extra: tuple[str, ...]
    memory_mib: int
    formats: tuple[str, ...]  # dump-guest-memory "format" values (qapi/dump.json)
    marker: str
    timeout_s: int
    reduced: bool


def load_dump_cases(path: Path = DUMPS_FILE) -> list[DumpCase]:
    data: dict[str, Any] = tomllib.loads(path.read_text())
    defaults: dict[str, Any] = data.get("defaults", {})
    reduced = set(data.get("reduced", []))
    cases = []
    for name, spec in data["dump"].items():
        merged = {**defaults, **spec}
        cases.append(DumpCase(
            name=name, crash=str(merged.get("crash", name)),
            cmdline_extra=tuple(str(w) for w in merged.get("cmdline", [])),
            memory_mib=int(merged["memory"]), formats=tuple(merged["formats"]),
            marker=str(merged["marker"]), timeout_s=int(merged["timeout"]),
            reduced=name in reduced))
    unknown = reduced - {c.name for c in cases}
    if unknown:
        raise ValueError(f"{path}: reduced names unknown cases {sorted(unknown)}")
    return cases


def dump_initramfs(prep: e2elib.Prepared) -> Path:
    """The dump-mode initramfs (qemu_fw_cfg + LKDTM + DUMP_INIT_SCRIPT), cached by content."""
    work = prep.workdir
    stripped = work / "initramfs-modules"
    stripped.mkdir(exist_ok=True)
    kos = [*e2elib.module_closure(prep.modules, DUMP_MODULES), prep.lkdtm_ko]
    ko_list = [e2elib._strip_debug(k, stripped / k.name) for k in kos]
    digest = hashlib.sha256(DUMP_RECIPE_VERSION.encode())
    for f in [prep.busybox, *ko_list]:
        digest.update(f.read_bytes())
    digest.update(DUMP_INIT_SCRIPT.encode())
    dest = work / "initramfs-dump.cpio.gz"
    stamp = work / "initramfs-dump.sha256"
    if not dest.exists() or not stamp.exists() or stamp.read_text() != digest.hexdigest():
        e2elib.build_initramfs(dest, prep.busybox, ko_list, init_script=DUMP_INIT_SCRIPT)
        stamp.write_text(digest.hexdigest())
    return dest


def kernel_cmdline(case: DumpCase) -> str:
    return " ".join(["console=ttyAMA0", "panic=0", *case.cmdline_extra, f"crash={case.crash}"])


def qemu_command(prep: e2elib.Prepared, case: DumpCase, initramfs: Path, qmp: Path) -> list[str]:
    return [e2elib.QEMU, "-M", "virt,virtualization=on", "-cpu", "cortex-a57", "-smp", "1",
            "-m", str(case.memory_mib), "-nographic", "-no-reboot",
            "-device", "vmcoreinfo", "-qmp", f"unix:{qmp},server=on,wait=off",
            "-kernel", str(prep.image), "-initrd", str(initramfs),
            "-append", kernel_cmdline(case)]


class QMP:
    """A minimal QMP client (docs/interop/qmp-spec: greeting, qmp_capabilities, commands)."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buf = b""
        self._read()  # the greeting
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise e2elib.Unavailable("QMP socket closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        msg: dict[str, Any] = json.loads(line)
        return msg

    def execute(self, command: str, **arguments: Any) -> Any:
        req: dict[str, Any] = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            msg = self._read()
            if "event" in msg:
                continue
            if "error" in msg:
                raise e2elib.Unavailable(f"QMP {command}: {msg['error'].get('desc', msg['error'])}")
            return msg.get("return")

    def close(self) -> None:
        self.sock.close()


@dataclass(frozen=True)
class DumpResult:
    case: DumpCase
    console: str
    cores: dict[str, Path]  # format -> core file
    ended: str  # "panic" (dumped), "timeout", "exit"
    boot_seconds: float  # QEMU start to the end of the panic
    dump_seconds: dict[str, float]
    command: tuple[str, ...]


@contextmanager
def _qemu(cmd: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _clean(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bc", "", text)


def _console_until(proc: subprocess.Popen[bytes], pattern: re.Pattern[str],
                   deadline: float) -> tuple[bytes, bool]:
    """Console bytes read until ``pattern`` shows (True) or the deadline / QEMU's exit."""
    assert proc.stdout is not None
    out = bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return bytes(out), False
            out += chunk
            if pattern.search(_clean(bytes(out[-4096:]))):  # the end line is short
                return bytes(out), True
    return bytes(out), False


def boot_and_dump(prep: e2elib.Prepared, case: DumpCase, out_dir: Path) -> DumpResult:
    """Boot one case, wait for the panic's end, dump the guest in each format, quit QEMU."""
    if shutil.which(e2elib.QEMU) is None:
        raise e2elib.Unavailable(f"{e2elib.QEMU} not installed (apt-get install qemu-system-arm)")
    initramfs = dump_initramfs(prep)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="a64triage-qmp-") as tmp:
        qmp_path = Path(tmp) / "qmp.sock"
        cmd = qemu_command(prep, case, initramfs, qmp_path)
        start = time.monotonic()
        cores: dict[str, Path] = {}
        seconds: dict[str, float] = {}
        with _qemu(cmd) as proc:
            raw, panicked = _console_until(proc, PANIC_END, start + case.timeout_s)
            boot_s = time.monotonic() - start
            if panicked:
                qmp = QMP(qmp_path, timeout=300)
                try:
                    qmp.execute("stop")  # every format dumps the same instant
                    for fmt in case.formats:
                        dest = out_dir / f"{case.name}.{fmt}"
                        dest.unlink(missing_ok=True)
                        t0 = time.monotonic()
                        qmp.execute("dump-guest-memory", paging=False,
                                    protocol=f"file:{dest}", format=fmt)
                        seconds[fmt] = time.monotonic() - t0
                        cores[fmt] = dest
                    qmp.execute("quit")
                finally:
                    qmp.close()
                try:
                    rest, _ = proc.communicate(timeout=30)
                    raw += rest or b""
                except subprocess.TimeoutExpired:
                    pass
            ended = "panic" if panicked else ("timeout" if proc.poll() is None else "exit")
    return DumpResult(case=case, console=_clean(raw), cores=cores, ended=ended,
                      boot_seconds=boot_s, dump_seconds=seconds, command=tuple(cmd))


def format_log(prep: e2elib.Prepared, res: DumpResult) -> str:
    """The console log with the header lines of tests/data/e2e/*.log (see e2elib.format_log)."""
    boot = e2elib.BootResult(
        case=e2elib.Case(name=res.case.name, crash=res.case.crash, variant="dump",
                         cpu="cortex-a57", kaslr=True, cmdline_extra=res.case.cmdline_extra,
                         wait_s=0, timeout_s=res.case.timeout_s, reduced=res.case.reduced,
                         expect_marker=res.case.marker),
        console=res.console, seconds=res.boot_seconds, ended=res.ended,
        command=res.command, cmdline=kernel_cmdline(res.case))
    return e2elib.format_log(prep, boot)
