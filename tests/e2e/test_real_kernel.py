"""End-to-end checks on Debian's real arm64 kernel crashed under QEMU (issue #7).

Three layers, cheapest first:

* committed logs only (tests/data/e2e/*.log): headers, ``parse`` kinds, ``Kernel
  Offset`` handling, ESR decode vs the kernel's own ``Mem abort info:`` block;
* ``realkernel``: the same logs against Debian's -dbg vmlinux, our LKDTM debug
  module and the kallsyms line /init printed: ``explain`` classes, every frame
  symbolized to file:line, identical frames with and without KASLR;
* ``qemu``: live boots of scripts/e2e/cases.toml (a reduced set by default,
  everything with ``A64TRIAGE_E2E=full``), each bounded by its timeout.

Expectations live in tests/data/e2e/expected.toml; recipes in scripts/e2e/cases.toml.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "e2e"
sys.path.insert(0, str(REPO / "scripts" / "e2e"))

import e2elib  # noqa: E402

EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((DATA / "expected.toml").read_text())
LOGS = sorted(DATA.glob("*.log"))
FULL = os.environ.get("A64TRIAGE_E2E") == "full"
CASES = e2elib.load_cases()
LIVE_CASES = [c for c in CASES if FULL or c.reduced]
CMD_TIMEOUT = int(os.environ.get("A64TRIAGE_E2E_CMD_TIMEOUT", "300"))
# Overrides every case's QEMU timeout (cases.toml: 90 s) on very slow or very fast hosts.
BOOT_TIMEOUT = int(os.environ.get("A64TRIAGE_E2E_BOOT_TIMEOUT", "0")) or None
_STAMP = re.compile(r"^\[\s*\d+\.\d+\] ?")


# --------------------------------------------------------------------------- helpers


@cache
def read_log(path: Path) -> tuple[dict[str, str], str]:
    return e2elib.read_log_header(path.read_text())


def crash_of(path: Path) -> str:
    return read_log(path)[0]["crash"]


def console_lines(path: Path) -> list[str]:
    """Console lines without the printk timestamp."""
    return [_STAMP.sub("", ln) for ln in read_log(path)[1].splitlines()]


def a64triage(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess with a hard timeout (a hang fails, never blocks)."""
    cmd = [sys.executable, "-m", "a64triage", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=CMD_TIMEOUT,
                              start_new_session=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`a64triage {' '.join(args)}` ran longer than {CMD_TIMEOUT}s")


def a64triage_json(*args: str) -> Any:
    res = a64triage(*args)
    assert res.returncode == 0, (
        f"`a64triage {' '.join(args)}` exited {res.returncode}: {res.stderr.strip()[-400:]}")
    try:
        return json.loads(res.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"`a64triage {' '.join(args)}` printed invalid JSON: {exc}")


@cache
def parsed(path: Path) -> Any:
    return a64triage_json("parse", str(path), "--json")


def pick_report(doc: Any, kind: str, path: Path) -> dict[str, Any]:
    """The first report of the expected kind (a crash may add a trailing warning)."""
    reports = doc.get("reports", [])
    for rep in reports:
        if rep.get("kind") == kind:
            return dict(rep)
    kinds = [r.get("kind") for r in reports]
    pytest.fail(f"{path.name}: no report of kind {kind!r}; got {kinds}")


def log_ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def kaslr_pairs() -> list[tuple[Path, Path]]:
    return [(DATA / f"{p.stem.removesuffix('-nokaslr')}.log", p)
            for p in LOGS if p.stem.endswith("-nokaslr")
            and (DATA / f"{p.stem.removesuffix('-nokaslr')}.log").exists()]


# --------------------------------------------------------------------------- committed data


def test_every_case_has_expectations_and_a_log() -> None:
    """cases.toml, expected.toml and the committed logs describe the same crash set."""
    crashes = {c.crash for c in CASES}
    assert crashes == set(EXPECTED), (
        f"only in cases.toml: {sorted(crashes - set(EXPECTED))}; "
        f"only in expected.toml: {sorted(set(EXPECTED) - crashes)}")
    missing = [c.name for c in CASES if not (DATA / f"{c.name}.log").exists()]
    assert not missing, f"no committed log for {missing}: run scripts/e2e/boot.py {' '.join(missing)}"
    assert len(crashes) >= 20
    assert {p.stem for p in LOGS} <= {c.name for c in CASES}, "a log has no recipe"


def test_expected_names_real_classes_and_kinds() -> None:
    """expected.toml only uses the stable class ids and report kinds."""
    from a64triage.console.kinds import Kind
    from a64triage.diagnose.classes import BugClass

    classes = {str(c) for c in BugClass}
    kinds = {str(k) for k in Kind}
    for crash, exp in EXPECTED.items():
        assert exp["class"] in classes, f"{crash}: unknown class {exp['class']!r}"
        assert set(exp.get("also", [])) <= classes, f"{crash}: unknown class in also"
        assert exp["kind"] in kinds, f"{crash}: unknown kind {exp['kind']!r}"


@pytest.mark.parametrize("log", LOGS, ids=log_ids(LOGS))
def test_log_header(log: Path) -> None:
    """Each log says which kernel, QEMU command and kernel command line produced it."""
    head, body = read_log(log)
    for key in ("source", "kernel", "cmdline", "crash", "kaslr"):
        assert key in head, f"{log.name}: header lacks {key}:"
    assert head["source"].startswith("qemu qemu-system-aarch64 ")
    assert head["kernel"].startswith("Linux version ")
    assert head["crash"] in EXPECTED
    words = head["cmdline"].split()
    assert f"crash={head['crash']}" in words
    assert head["kaslr"] == ("no" if "nokaslr" in words else "yes")
    assert head["cmdline"] in head["source"], "cmdline differs from the QEMU -append"
    assert head["kernel"].split(" (")[0] in body, "kernel banner not in the console"


@pytest.mark.parametrize("log", LOGS, ids=log_ids(LOGS))
def test_parse_finds_expected_kind(log: Path) -> None:
    exp = EXPECTED[crash_of(log)]
    rep = pick_report(parsed(log), exp["kind"], log)
    assert rep.get("title"), f"{log.name}: empty title"


OFFSET_LOGS = [p for p in LOGS if "Kernel Offset:" in p.read_text()]


@pytest.mark.parametrize("log", OFFSET_LOGS, ids=log_ids(OFFSET_LOGS))
def test_parse_reads_kernel_offset(log: Path) -> None:
    """The KASLR offset of panic logs is read, non-zero with KASLR and 0 without."""
    head, body = read_log(log)
    m = re.search(r"Kernel Offset: (?:0x([0-9a-f]+) from|disabled)", body)
    assert m is not None
    printed = int(m.group(1), 16) if m.group(1) else 0
    assert (printed != 0) == (head["kaslr"] == "yes"), "KASLR state and Kernel Offset disagree"
    offsets = [r.get("kernel_offset") for r in parsed(log)["reports"]]
    got = [int(o, 16) if isinstance(o, str) else o for o in offsets if o is not None]
    assert printed in got, f"{log.name}: parse reported kernel_offset {offsets}, log says {printed:#x}"


def abort_blocks(log: Path) -> Iterator[tuple[int, list[str]]]:
    """(ESR, lines) of every ``Mem abort info:`` block the kernel printed."""
    lines = console_lines(log)
    for i, ln in enumerate(lines):
        if ln.rstrip() != "Mem abort info:":
            continue
        block = [ln.rstrip()]
        for nxt in lines[i + 1:]:
            if nxt.startswith("  ") or nxt.rstrip() == "Data abort info:":
                block.append(nxt.rstrip())
            else:
                break
        esr = next(int(m.group(1), 16) for b in block
                   if (m := re.match(r"\s+ESR = 0x([0-9a-f]+)$", b)))
        yield esr, block


ABORT_LOGS = [p for p in LOGS if "Mem abort info:" in p.read_text()]


@pytest.mark.parametrize("log", ABORT_LOGS, ids=log_ids(ABORT_LOGS))
def test_esr_decode_matches_kernel(log: Path) -> None:
    """`decode ESR v --kernel-style` reproduces, in order, every line the kernel printed.

    A tool line may extend a kernel line with ", ..." fields a newer kernel prints
    (ISS2, TnD...), and may add lines the 6.1 kernel did not print.
    """
    for esr, block in abort_blocks(log):
        res = a64triage("decode", "ESR", f"{esr:#018x}", "--kernel-style")
        assert res.returncode == 0, f"decode ESR {esr:#x} exited {res.returncode}: {res.stderr.strip()}"
        tool = [t.strip() for t in res.stdout.splitlines() if t.strip()]
        pos = 0
        for want in (b.strip() for b in block):
            while pos < len(tool) and not (tool[pos] == want or tool[pos].startswith(want + ",")):
                pos += 1
            assert pos < len(tool), (
                f"{log.name}: ESR {esr:#x}: kernel line {want!r} not reproduced; tool printed:\n"
                + "\n".join(tool))
            pos += 1


# --------------------------------------------------------------------------- real kernel


@pytest.fixture(scope="session")
def prep() -> e2elib.Prepared:
    """Debian's packages, LKDTM and the initramfs from the cache.

    Filling the cache is scripts/e2e/prepare.py's job (~1.5 GB); with
    A64TRIAGE_E2E_DOWNLOAD=1 the tests fetch what is missing themselves.
    """
    allow = os.environ.get("A64TRIAGE_E2E_DOWNLOAD") == "1"
    try:
        return e2elib.prepare(allow_download=allow)
    except e2elib.Unavailable as exc:
        pytest.skip(str(exc))


_EXPLAINED: dict[Path, Any] = {}


def explained(prep: e2elib.Prepared, log: Path) -> Any:
    """`explain --format json` of a log, run once per session (it loads the 1.4 GB vmlinux)."""
    if log not in _EXPLAINED:
        _EXPLAINED[log] = a64triage_json(
            "explain", str(log), "--format", "json", "--vmlinux", str(prep.vmlinux),
            "--modules", str(prep.debug_modules))
    return _EXPLAINED[log]


def check_explain(prep: e2elib.Prepared, log: Path) -> dict[str, Any]:
    """The top hypothesis of the expected report has the expected class."""
    exp = EXPECTED[crash_of(log)]
    doc = explained(prep, log)
    rep = pick_report(doc, exp["kind"], log)
    hyps = rep.get("hypotheses") or []
    assert hyps, f"{log.name}: no hypotheses"
    ok = {exp["class"], *exp.get("also", [])}
    top = hyps[0]
    assert top["class"] in ok, (
        f"{log.name}: top class {top['class']!r} ({top.get('confidence')}), expected "
        f"{sorted(ok)} because {exp['why']}; ranking: {[h['class'] for h in hyps]}")
    return rep


def locations(frame: dict[str, Any]) -> list[tuple[str, int]]:
    """file:line pairs a frame carries: its own (explain) or its ``locations`` (symbolize)."""
    out = []
    for loc in [frame, *(frame.get("locations") or [])]:
        file, line = loc.get("file"), loc.get("line")
        if file and isinstance(line, int) and line > 0:
            out.append((str(file), line))
    return out


def _int(v: Any) -> int | None:
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"0x[0-9a-fA-F]+|\d+", v):
        return int(v, 0)
    return None


def unsymbolized(frames: list[dict[str, Any]]) -> list[str]:
    """Frames naming a function but lacking file:line.

    Exempt: address-only frames, and ``sym+off/size`` with off > size, which the
    kernel prints when the address is not code at all (EXEC_DATA lands in a module's
    .data and kallsyms names the preceding function): those must have *no* line.
    off == size is a real return address: the call to a noreturn function was the
    last instruction, so pc-1 is still inside the function.
    """
    bad = []
    for fr in frames:
        fn = fr.get("function")
        if not fn or fn.startswith("0x"):
            continue
        off, size = _int(fr.get("offset")), _int(fr.get("size"))
        where = f"{fn}+{fr.get('offset')}/{fr.get('size')}"
        if off is not None and size is not None and off > size:
            if locations(fr):
                bad.append(f"{where}: past the symbol's end, yet given {locations(fr)}")
        elif not locations(fr):
            bad.append(f"{where}: file={fr.get('file')} line={fr.get('line')}")
    return bad


@pytest.mark.realkernel
@pytest.mark.parametrize("log", LOGS, ids=log_ids(LOGS))
def test_explain_class(prep: e2elib.Prepared, log: Path) -> None:
    check_explain(prep, log)


@pytest.mark.realkernel
@pytest.mark.parametrize("log", LOGS, ids=log_ids(LOGS))
def test_explain_frames_have_file_line(prep: e2elib.Prepared, log: Path) -> None:
    exp = EXPECTED[crash_of(log)]
    rep = pick_report(explained(prep, log), exp["kind"], log)
    frames = rep.get("frames") or []
    assert [f for f in frames if f.get("function")], f"{log.name}: no named frames"
    bad = unsymbolized(frames)
    assert not bad, f"{log.name}: frames without file:line:\n" + "\n".join(bad)


def symbolize_frames(doc: Any) -> list[dict[str, Any]]:
    """The frame list of `symbolize --json` (an object with "frames", or a bare list)."""
    frames = doc.get("frames") if isinstance(doc, dict) else doc
    assert isinstance(frames, list), "symbolize --json printed no frame list"
    return [f for f in frames if isinstance(f, dict)]


SYMBOLIZE_LOGS = LOGS if FULL else [p for p in LOGS if p.stem in {c.name for c in CASES if c.reduced}]


@pytest.mark.realkernel
@pytest.mark.parametrize("log", SYMBOLIZE_LOGS, ids=log_ids(SYMBOLIZE_LOGS))
def test_symbolize_json_frames(prep: e2elib.Prepared, log: Path) -> None:
    doc = a64triage_json("symbolize", "--vmlinux", str(prep.vmlinux), "--modules",
                         str(prep.debug_modules), "--json", str(log))
    frames = symbolize_frames(doc)
    assert frames, f"{log.name}: symbolize printed no frames"
    bad = unsymbolized(frames)
    assert not bad, f"{log.name}: frames without file:line:\n" + "\n".join(bad)
    lkdtm = [f for f in frames if (f.get("function") or "").startswith("lkdtm_")
             and (_int(f.get("offset")) or 0) <= (_int(f.get("size")) or 0)]
    if "[lkdtm]" in read_log(log)[1]:
        assert lkdtm and all(any("lkdtm" in file for file, _ in locations(f)) for f in lkdtm), \
            f"{log.name}: LKDTM frames not resolved from the module's DWARF"


@pytest.mark.realkernel
@pytest.mark.parametrize("pair", kaslr_pairs(), ids=[a.stem for a, _ in kaslr_pairs()])
def test_frames_same_with_and_without_kaslr(prep: e2elib.Prepared, pair: tuple[Path, Path]) -> None:
    """The same crash, randomised or not, symbolizes to the same file:line chain."""
    kaslr, plain = pair
    kind = EXPECTED[crash_of(kaslr)]["kind"]

    def chain(log: Path) -> list[tuple[Any, Any, Any]]:
        rep = pick_report(explained(prep, log), kind, log)
        return [(f.get("function"), f.get("file"), f.get("line")) for f in rep.get("frames", [])
                if f.get("function")]

    a, b = chain(kaslr), chain(plain)
    assert [x[0] for x in a] == [x[0] for x in b], "the two boots took different call paths"
    assert a == b
    assert all(f and ln for _, f, ln in a), f"unsymbolized frames: {a}"


KALLSYMS_LOGS = [p for p in LOGS if "e2e: kallsyms " in p.read_text()]


@pytest.mark.realkernel
@pytest.mark.parametrize("log", KALLSYMS_LOGS, ids=log_ids(KALLSYMS_LOGS))
def test_kaslr_offset_of_each_boot(prep: e2elib.Prepared, log: Path) -> None:
    """/init's _stext from /proc/kallsyms minus System.map's is the boot's KASLR offset."""
    head, body = read_log(log)
    m = re.search(r"e2e: kallsyms ([0-9a-f]{16}) T _stext", body)
    assert m, "no _stext in the kallsyms line"
    link = next(int(ln.split()[0], 16) for ln in prep.system_map.read_text().splitlines()
                if ln.endswith(" _stext"))
    offset = int(m.group(1), 16) - link
    assert (offset != 0) == (head["kaslr"] == "yes")
    printed = re.search(r"Kernel Offset: 0x([0-9a-f]+) from", body)
    if printed:
        assert offset == int(printed.group(1), 16)


@pytest.mark.realkernel
def test_prepared_artifacts(prep: e2elib.Prepared) -> None:
    """LKDTM matches the kernel; the initramfs holds /init, busybox and the module."""
    info = e2elib.modinfo(prep.lkdtm_ko)
    assert info["vermagic"].split()[0] == prep.kernel_release
    assert prep.vmlinux.exists() and prep.image.exists()
    import gzip

    raw = gzip.decompress(prep.initramfs.read_bytes())
    assert raw.startswith(b"070701")
    for name in (b"init\0", b"bin/busybox\0", b"lib/modules/lkdtm.ko\0", b"dev/console\0"):
        assert name in raw, name
    assert len(raw) < 8 << 20, "initramfs should stay tiny"
    res = subprocess.run([sys.executable, str(REPO / "scripts" / "e2e" / "prepare.py"),
                          "--print-paths"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    keys = dict(ln.split("=", 1) for ln in res.stdout.splitlines())
    for key in ("vmlinux", "debug_modules", "image", "initramfs", "lkdtm_ko", "kernel_release"):
        assert key in keys
    assert Path(keys["vmlinux"]) == prep.vmlinux


# --------------------------------------------------------------------------- live boots


@pytest.fixture(scope="session")
def qemu_prep(prep: e2elib.Prepared) -> e2elib.Prepared:
    if shutil.which(e2elib.QEMU) is None:
        pytest.skip(f"{e2elib.QEMU} not installed")
    return prep


@pytest.mark.qemu
@pytest.mark.realkernel
@pytest.mark.parametrize("case", LIVE_CASES, ids=[c.name for c in LIVE_CASES])
def test_live_boot(qemu_prep: e2elib.Prepared, case: e2elib.Case, tmp_path: Path) -> None:
    """Boot, crash, and get the same diagnosis as the committed log of this case."""
    res = e2elib.boot(qemu_prep, case, BOOT_TIMEOUT)
    limit = BOOT_TIMEOUT or case.timeout_s
    log = tmp_path / f"{case.name}.log"
    log.write_text(e2elib.format_log(qemu_prep, res))
    seen = re.search(case.expect_marker, res.console) is not None
    if res.ended == "timeout" and not seen:
        # A boot that never reaches the crash says nothing about a64triage (slow or
        # overloaded host, broken QEMU): report it as not runnable, with the evidence.
        pytest.skip(f"{case.name}: QEMU killed after {limit}s before the crash "
                    f"(console tail: {res.console[-200:]!r})")
    assert seen, f"{case.name}: console lacks {case.expect_marker!r}; tail:\n{res.console[-1500:]}"
    exp = EXPECTED[case.crash]
    live = pick_report(a64triage_json("parse", str(log), "--json"), exp["kind"], log)
    committed = DATA / f"{case.name}.log"
    if committed.exists():
        old = pick_report(parsed(committed), exp["kind"], committed)
        assert live["title"] == old["title"], "the live crash differs from the committed log"
    rep = check_explain(qemu_prep, log)
    assert not unsymbolized(rep.get("frames") or [])


@pytest.mark.realkernel
def test_module_closure_follows_depends(prep: e2elib.Prepared) -> None:
    """Extra initramfs modules come with their modinfo ``depends=`` chain, deps first."""
    closure = e2elib.module_closure(prep.modules, ["vsock_loopback"])
    names = [p.name for p in closure]
    assert names[-1] == "vsock_loopback.ko"
    assert "vsock.ko" in names and names.index("vsock.ko") < len(names) - 1
    for ko in closure:
        for dep in filter(None, e2elib.modinfo(ko).get("depends", "").split(",")):
            assert f"{dep}.ko" in names[:names.index(ko.name)], f"{dep} must precede {ko.name}"
    with pytest.raises(e2elib.Unavailable):
        e2elib.module_closure(prep.modules, ["no_such_module_here"])


def test_cases_expand_to_kernel_command_lines() -> None:
    """Variants layer on the defaults: nokaslr, oops=panic, -cpu max."""
    by = {c.name: c for c in CASES}
    assert "nokaslr" in e2elib.kernel_cmdline(by["ACCESS_NULL-nokaslr"]).split()
    assert "nokaslr" not in e2elib.kernel_cmdline(by["ACCESS_NULL"]).split()
    assert "oops=panic" in e2elib.kernel_cmdline(by["ACCESS_NULL-panic"]).split()
    assert by["CORRUPT_PAC"].cpu.startswith("max")
    assert all(c.timeout_s <= 120 for c in CASES)
    assert sum(c.reduced for c in CASES) == 4
