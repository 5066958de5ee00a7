"""`explain --vmcore` on cores of Debian's real arm64 kernel crashed under QEMU (issue #15).

Each case of scripts/e2e/dumps.toml boots once per session (a reduced set by
default, every case with ``A64TRIAGE_E2E=full``), panics, and is dumped through
QMP as ELF and kdump-zlib into a pytest tmp dir (never committed).  Then:

* the core gives the same root cause as the console log of the same run (every
  report's kind, title and top class), the class tests/data/e2e/expected.toml
  names for that crash type, and memory evidence read from the core;
* the registers of the core's exception frame agree with the oops text;
* WRITE_AFTER_FREE's core names the slab cache of the freed object (the one the
  slub report names) and finds the object free;
* a kdump-zlib dump of QEMU 7.2 is refused in one line that says how to take an ELF one.

Skipped with the reason when QEMU or the prepared cache (scripts/e2e/prepare.py) is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "e2e"))

import dumplib  # noqa: E402
import e2elib  # noqa: E402

EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((REPO / "tests" / "data" / "e2e" / "expected.toml").read_text())
FULL = os.environ.get("A64TRIAGE_E2E") == "full"
CASES = dumplib.load_dump_cases()
LIVE = [c for c in CASES if FULL or c.reduced]
CMD_TIMEOUT = int(os.environ.get("A64TRIAGE_E2E_CMD_TIMEOUT", "300"))

pytestmark = [pytest.mark.qemu, pytest.mark.realkernel]


def a64triage(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "a64triage", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=CMD_TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`a64triage {' '.join(args)}` ran longer than {CMD_TIMEOUT}s")


def explain_json(*args: str) -> Any:
    res = a64triage("explain", "--format", "json", *args)
    assert res.returncode == 0, f"explain {' '.join(args)} exited {res.returncode}: {res.stderr.strip()[-600:]}"
    return json.loads(res.stdout)


@pytest.fixture(scope="session")
def dump_prep() -> e2elib.Prepared:
    if shutil.which(e2elib.QEMU) is None:
        pytest.skip(f"{e2elib.QEMU} not installed (apt-get install qemu-system-arm)")
    try:
        return e2elib.prepare(allow_download=os.environ.get("A64TRIAGE_E2E_DOWNLOAD") == "1")
    except e2elib.Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def dumped(dump_prep: e2elib.Prepared, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """case name -> (DumpResult, console log path, seconds); each case booted once, lazily."""
    return {"dir": tmp_path_factory.mktemp("vmcores"), "prep": dump_prep}


def run_case(dumped: dict[str, Any], case: dumplib.DumpCase) -> tuple[dumplib.DumpResult, Path]:
    if case.name not in dumped:
        prep: e2elib.Prepared = dumped["prep"]
        res = dumplib.boot_and_dump(prep, case, dumped["dir"])
        log = dumped["dir"] / f"{case.name}.log"
        log.write_text(dumplib.format_log(prep, res))
        dumped[case.name] = (res, log)
    res, log = dumped[case.name]
    if res.ended != "panic":
        pytest.skip(f"{case.name}: QEMU ended ({res.ended}) before the panic's end "
                    f"(console tail: {res.console[-300:]!r})")
    return res, log


def summary(doc: Any) -> list[tuple[str, str, str | None]]:
    return [(r["kind"], r["title"], r["hypotheses"][0]["class"] if r["hypotheses"] else None)
            for r in doc["reports"]]


@pytest.mark.parametrize("case", LIVE, ids=[c.name for c in LIVE])
def test_core_explains_like_the_console(dumped: dict[str, Any], case: dumplib.DumpCase) -> None:
    res, log = run_case(dumped, case)
    assert re.search(case.marker, res.console), f"{case.name}: console lacks {case.marker!r}"
    prep: e2elib.Prepared = dumped["prep"]
    common = ("--vmlinux", str(prep.vmlinux), "--modules", str(prep.debug_modules))
    start = time.monotonic()
    console = explain_json(str(log), *common)
    core = explain_json("--vmcore", str(res.cores["elf"]), *common)
    seconds = time.monotonic() - start
    # the same reports with the same root causes, from the ring buffer as from the console
    assert summary(core) == summary(console), f"{case.name}: core and console disagree"
    exp = EXPECTED[case.crash]
    first = next(r for r in core["reports"] if r["hypotheses"])
    assert first["hypotheses"][0]["class"] in {exp["class"], *exp.get("also", [])}, (
        f"{case.name}: top class {first['hypotheses'][0]['class']}, expected {exp['class']} ({exp['why']})")
    # memory evidence read from the core, in the report and behind its top hypothesis
    assert first["memory"], f"{case.name}: no memory facts"
    assert any(e["kind"] == "memory" for e in first["hypotheses"][0]["evidence"])
    if case.crash.startswith("EXEC_"):  # a call into bad memory: the call and where its target came from
        assert any(m["role"] in ("branch", "branch slot") and "blr" in m["text"] for m in first["memory"]), \
            [m["text"] for m in first["memory"]]
    assert first["core_registers"], f"{case.name}: no register check"
    assert "differs" not in first["core_registers"], first["core_registers"]
    print(f"{case.name}: boot+panic {res.boot_seconds:.1f}s, dumps "
          + ", ".join(f"{f} {p.stat().st_size >> 20} MiB in {res.dump_seconds[f]:.1f}s"
                      for f, p in res.cores.items())
          + f", two explains {seconds:.1f}s")


def test_write_after_free_names_the_freed_objects_cache(dumped: dict[str, Any]) -> None:
    case = next(c for c in CASES if c.name == "WRITE_AFTER_FREE")
    res, _log = run_case(dumped, case)
    prep: e2elib.Prepared = dumped["prep"]
    doc = explain_json("--vmcore", str(res.cores["elf"]), "--vmlinux", str(prep.vmlinux),
                       "--modules", str(prep.debug_modules))
    cache_in_log = re.search(r"BUG (\S+) \(.*\): Poison overwritten", res.console)
    assert cache_in_log, "the console has no slub poison report"
    rep = next(r for r in doc["reports"] if r["memory"])
    # the panic comes from the allocation that found the poison changed, so the allocator may
    # have just taken the object off its freelist: its bytes, still free poison, tell it was free
    freed = [m for m in rep["memory"] if m["slab"] and (m["slab"]["allocated"] is False or m["free_poisoned"])]
    assert freed, f"no free slab object among {[m['text'] for m in rep['memory']]}"
    assert freed[0]["slab"]["cache"] == cache_in_log.group(1)
    top = rep["hypotheses"][0]
    assert top["class"] == "use-after-free" and top["confidence"] >= 0.95, top
    assert cache_in_log.group(1) in top["summary"]


def test_kdump_zlib_explains_like_the_elf_dump(dumped: dict[str, Any]) -> None:
    """QEMU 7.2's kdump-zlib (flattened, empty utsname, 64 KiB blocks) read by our own reader."""
    case = next(c for c in LIVE if c.name == "WRITE_AFTER_FREE") if any(
        c.name == "WRITE_AFTER_FREE" for c in LIVE) else LIVE[0]
    res, _log = run_case(dumped, case)
    prep: e2elib.Prepared = dumped["prep"]
    common = ("--vmlinux", str(prep.vmlinux), "--modules", str(prep.debug_modules))
    elf = explain_json("--vmcore", str(res.cores["elf"]), *common)
    kdump = explain_json("--vmcore", str(res.cores["kdump-zlib"]), *common)
    assert summary(kdump) == summary(elf)
    assert [m["text"] for r in kdump["reports"] for m in r["memory"]] == \
        [m["text"] for r in elf["reports"] for m in r["memory"]]


@pytest.mark.parametrize("fmt", ["elf", "kdump-zlib"])
def test_truncated_real_core_is_one_line(dumped: dict[str, Any], fmt: str, tmp_path: Path) -> None:
    res, _log = run_case(dumped, LIVE[0])
    cut = tmp_path / f"cut.{fmt}"
    with open(res.cores[fmt], "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(res.cores[fmt].stat().st_size // 2))
    prep: e2elib.Prepared = dumped["prep"]
    out = a64triage("explain", "--vmcore", str(cut), "--vmlinux", str(prep.vmlinux))
    assert out.returncode == 2 and out.stdout == ""
    line, = out.stderr.strip().splitlines()
    assert str(cut) in line and "truncated" in line, line


def test_parse_and_symbolize_read_the_core(dumped: dict[str, Any]) -> None:
    """parse/symbolize --vmcore: the ring buffer's reports and the core's KASLR offset."""
    res, log = run_case(dumped, LIVE[0])
    prep: e2elib.Prepared = dumped["prep"]
    core = str(res.cores["elf"])

    def parsed(*args: str) -> list[tuple[str, str]]:
        out = a64triage("parse", "--json", *args)
        assert out.returncode == 0, out.stderr[-500:]
        return [(r["kind"], r["title"]) for r in json.loads(out.stdout)["reports"]]

    assert parsed("--vmcore", core, "--vmlinux", str(prep.vmlinux)) == parsed(str(log))
    out = a64triage("symbolize", "--json", "--vmcore", core, "--vmlinux", str(prep.vmlinux),
                    "--modules", str(prep.debug_modules))
    assert out.returncode == 0, out.stderr[-500:]
    doc = json.loads(out.stdout)
    printed = re.search(r"Kernel Offset: (0x[0-9a-f]+) from", res.console)
    assert printed and int(doc["kaslr_offset"], 16) == int(printed.group(1), 16)
    assert doc["frames"] and all(any(loc.get("file") for loc in f["locations"])
                                 for f in doc["frames"][:3]), doc["frames"][:3]


def test_core_finds_its_vmlinux_by_build_id(dumped: dict[str, Any]) -> None:
    """No --vmlinux: the symbol sources find it by VMCOREINFO's release in the cache of Debian's
    packages and accept it only with VMCOREINFO's build id."""
    res, _log = run_case(dumped, LIVE[0])
    prep: e2elib.Prepared = dumped["prep"]
    cache = next(p for p in prep.vmlinux.parents if p.name == "debian").parent
    out = a64triage("explain", "--format", "json", "--vmcore", str(res.cores["elf"]), "--offline",
                    "--cache-dir", str(cache))
    assert out.returncode == 0, out.stderr[-500:]
    doc = json.loads(out.stdout)
    assert doc["vmlinux"] and os.path.samefile(doc["vmlinux"], prep.vmlinux)
    assert doc["reports"] and doc["reports"][0]["memory"]
