"""Debian's real arm64 kernel (6.1.0-56-cloud-arm64): vmlinux with DWARF 5, modules, -dbg tree.

Packages are fetched and cached by scripts/debian_kernel.py; the tests skip with
its one-line reason when they cannot be had.  Logs are real QEMU runs of that
kernel (tests/data/symbols/debian-6.1.0-56-*.log).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from symtest_util import DATA, ROOT

from a64triage.console.records import Frame, Report
from a64triage.symbols import open_symbolizer

pytestmark = pytest.mark.realkernel
ABI = "6.1.0-56"
RELEASE = f"{ABI}-cloud-arm64"


def _debian() -> dict[str, str]:
    cache = Path(os.environ.get("A64TRIAGE_CACHE") or Path.home() / ".cache" / "a64triage")
    base = cache / "debian" / ABI
    if all((base / p / ".complete").exists() for p in ("image", "dbg")):
        return {"vmlinux": str(base / f"dbg/usr/lib/debug/boot/vmlinux-{RELEASE}"),
                "modules": str(base / f"image/lib/modules/{RELEASE}"),
                "debug_modules": str(base / f"dbg/usr/lib/debug/lib/modules/{RELEASE}"),
                "base": str(base)}
    try:
        res = subprocess.run([sys.executable, str(ROOT / "scripts" / "debian_kernel.py"), "--abi", ABI,
                              "image", "dbg"], capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        pytest.skip("fetching Debian's kernel packages timed out")
    if res.returncode != 0:
        pytest.skip(f"Debian kernel packages unavailable: {(res.stderr.strip() or 'failed').splitlines()[-1]}")
    kv = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    return {"vmlinux": kv["vmlinux"], "modules": kv["modules"], "debug_modules": kv["debug_modules"],
            "base": str(base)}


@pytest.fixture(scope="module")
def debian() -> dict[str, str]:
    return _debian()


def _report(**kw: object) -> Report:
    return Report(kind="oops", title="t", span=(1, 1), **kw)  # type: ignore[arg-type]


def test_banner_and_check_match(debian: dict[str, str]) -> None:
    sym = open_symbolizer(debian["vmlinux"])
    assert sym.release == RELEASE
    assert sym.backend in ("drgn", "pyelftools")
    # as printed by `CPU: 0 PID: 88 Comm: init Tainted: G OE 6.1.0-56-cloud-arm64 #1 Debian 6.1.192-2`
    assert sym.check_match(_report(kernel_version=RELEASE, build="#1 Debian 6.1.192-2")) == []
    warn = sym.check_match(_report(kernel_version=RELEASE, build="#1 Debian 6.1.158-1"))
    assert warn and "6.1.158-1" in warn[0]
    assert sym.check_match(_report(kernel_version="6.1.0-53-cloud-arm64"))


def test_frames_resolve_like_llvm_symbolizer(debian: dict[str, str]) -> None:
    sym = open_symbolizer(debian["vmlinux"])
    frames = {
        "el0_svc_common.constprop.0": (0x4c, 0xf4, "arch/arm64/kernel/syscall.c"),
        "__arm64_sys_write": (0x24, 0x30, "fs/read_write.c"),
        "vfs_write": (0xdc, 0x3a0, "fs/read_write.c"),
        "do_idle": (0x298, 0x310, "kernel/sched/idle.c"),
    }
    looked = []
    for name, (off, size, file) in frames.items():
        res = sym.symbolize_frame(Frame(function=name, offset=off, size=size))
        assert res.function == name and res.offset == off, res
        assert res.locations and res.locations[-1].file == file, res
        assert not any("does not match" in n for n in res.notes), res.notes
        looked.append((res.looked_up, res))
    names = [loc.function for loc in looked[1][1].locations]
    assert names == ["__do_sys_write", "__se_sys_write", "__arm64_sys_write"]
    tool = shutil.which("llvm-symbolizer")
    if tool is None:
        return
    out = subprocess.run([tool, "--output-style=JSON", "-i", "-f", f"--obj={debian['vmlinux']}",
                          *[hex(a) for a, _ in looked]], capture_output=True, text=True, timeout=300).stdout
    for d, (_a, res) in zip(json.loads(out), looked, strict=True):
        theirs = [(f["FunctionName"], f["Line"]) for f in d["Symbol"]]
        ours = [(loc.function, loc.line) for loc in res.locations]
        assert [line for _f, line in theirs] == [line for _f, line in ours]
        assert [f for f, _ in theirs][:-1] == [f for f, _ in ours][:-1]


def test_noreturn_at_end_of_function(debian: dict[str, str]) -> None:
    sym = open_symbolizer(debian["vmlinux"])
    # rest_init() ends with a call to the noreturn cpu_startup_entry()
    res = sym.symbolize_frame(Frame(function="rest_init", offset=0xdc, size=0xe0))
    assert res.function == "rest_init"
    assert any("noreturn" in n for n in res.notes)
    assert res.locations[-1].file == "init/main.c"
    # %pS-style: printed as the next symbol at +0x0
    nxt = sym.symbolize_frame(Frame(function="arch_post_acpi_subsys_init", offset=0, size=0x28))
    assert nxt.function == "arch_call_rest_init"


def test_bug_site_of_a_warning(debian: dict[str, str]) -> None:
    # "WARNING: CPU: 0 PID: 0 at kernel/context_tracking.c:128 ct_kernel_exit.constprop.0+0xa0/0xb0"
    sym = open_symbolizer(debian["vmlinux"])
    fn = sym.symbol("ct_kernel_exit.constprop.0")
    assert fn is not None
    assert sym.bug_site(fn.addr + 0xa0) == ("kernel/context_tracking.c", 128)


def test_executing_data_is_flagged(debian: dict[str, str]) -> None:
    sym = open_symbolizer(debian["vmlinux"])
    res = sym.symbolize_frame(Frame(function="vfs_write", offset=0x7ea8, size=0x3a0), is_return=False)
    assert any("not in that function" in n for n in res.notes)


def test_debian_module_stripped_ko_with_dbg_tree(debian: dict[str, str]) -> None:
    # the image ships stripped .ko; the -dbg tree at the same relative path has DWARF
    sym = open_symbolizer(debian["vmlinux"], modules_dir=debian["modules"])
    res = sym.symbolize_frame(Frame(function="virtnet_poll", offset=0x40, size=0x3f0, module="virtio_net"),
                              is_return=False)
    assert res.module == "virtio_net" and res.function == "virtnet_poll"
    assert res.locations and res.locations[-1].file is not None
    assert res.locations[-1].file.endswith("drivers/net/virtio_net.c")


def test_real_log_through_the_filter(debian: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    from a64triage.cli import main

    log = str(DATA / "debian-6.1.0-56-EXEC_DATA.log")
    assert main(["symbolize", "--vmlinux", debian["vmlinux"], "--modules", debian["modules"], log]) == 0
    out, err = capsys.readouterr()
    assert "vfs_write+0xdc/0x3a0 (fs/read_write.c:" in out
    assert "el0_svc_common.constprop.0+0x4c/0xf4 (arch/arm64/kernel/syscall.c:" in out
    assert "module lkdtm not found" in err  # lkdtm is built by the e2e suite, not shipped by Debian
    lkdtm = Path(debian["base"]) / "e2e" / "debug-modules"
    if (lkdtm / "lkdtm.ko").exists():
        assert main(["symbolize", "--vmlinux", debian["vmlinux"], "--modules", str(lkdtm), log]) == 0
        out = capsys.readouterr().out
        assert "not in that function" in out  # pc : lkdtm_FORTIFY_STR_OBJECT+0x7ea8/0x1298
        # It is the last function of .text.unlikely (st_size 0xc4): kallsyms measured 0x1298
        # to whatever the loader put next, which says nothing about the build.
        assert "different build" not in out


def test_system_map_of_the_dbg_package(debian: dict[str, str]) -> None:
    smap = Path(debian["vmlinux"]).parent / f"System.map-{RELEASE}"
    sym = open_symbolizer(system_map=str(smap))
    res = sym.symbolize_frame(Frame(function="vfs_write", offset=0xdc, size=0x3a0))
    assert res.function == "vfs_write" and res.locations == ()


def test_thirty_real_frames_equal_llvm_symbolizer(debian: dict[str, str]) -> None:
    from a64triage.symbols.frameline import match_line

    tool = shutil.which("llvm-symbolizer")
    if tool is None:
        pytest.skip("llvm-symbolizer not installed")
    sym = open_symbolizer(debian["vmlinux"])
    log = (DATA / "debian-6.1.0-56-30frames.log").read_text()
    frames = [h.frame for line in log.splitlines() for h in match_line(line)]
    assert len(frames) == 30
    results = [sym.symbolize_frame(fr, is_return=i > 0) for i, fr in enumerate(frames)]
    looked = [r.looked_up for r in results]
    out = subprocess.run([tool, "--output-style=JSON", "-i", "-f", f"--obj={debian['vmlinux']}",
                          *[hex(a) for a in looked]], capture_output=True, text=True, timeout=300).stdout
    for d, res in zip(json.loads(out), results, strict=True):
        assert [f["Line"] for f in d["Symbol"]] == [loc.line for loc in res.locations], res


@pytest.mark.parametrize("case", ["ACCESS_NULL", "BUG", "WARNING", "EXHAUST_STACK", "EXEC_DATA"])
def test_every_vmlinux_frame_of_real_logs(case: str, debian: dict[str, str]) -> None:
    from a64triage.commands.symbolize import symbolize_log

    sym = open_symbolizer(debian["vmlinux"], modules_dir=debian["modules"])
    text = (DATA / f"debian-6.1.0-56-{case}.log").read_text()
    log = sym.open_log()
    _lines, frames, warnings = symbolize_log(sym, text, log)
    kernel = [a for a in frames if a.frame.module is None]
    assert kernel, case
    for a in kernel:
        assert a.result.locations, (a.line_no, a.frame, a.result.notes)
        assert not any("does not match" in n for n in a.result.notes), a.result.notes
    assert not any("vmlinux is" in w or "lacks" in w for w in warnings), warnings
    assert log.kaslr_offset is not None or case != "EXHAUST_STACK"
