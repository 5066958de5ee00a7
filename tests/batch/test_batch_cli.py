"""`a64triage batch` end to end on real logs: every input form, every kind of bad input,
resume, a real SIGINT, a worker that dies, and --known."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from batch_helpers import E2E, batch, check_outputs, comparable, corpus, lines, popen

LOGS = ["ACCESS_NULL.log", "ACCESS_NULL-nokaslr.log", "WARNING.log", "BUG.log", "EXEC_DATA.log",
        "SOFTLOCKUP.log", "HUNG_TASK.log", "PANIC.log"]


def _inputs(tmp: Path) -> list[str]:
    """The same eight real logs spread over a directory tree, archives and JSON Lines,
    plus one bad input of each kind."""
    src = tmp / "in"
    (src / "tree" / "sub").mkdir(parents=True)
    shutil.copy(E2E / LOGS[0], src / "tree" / LOGS[0])
    shutil.copy(E2E / LOGS[1], src / "tree" / "sub" / LOGS[1])
    with tarfile.open(src / "two.tar.gz", "w:gz") as tar:
        for name in LOGS[2:4]:
            tar.add(E2E / name, arcname=f"logs/{name}")
    with tarfile.open(src / "one.tar.xz", "w:xz") as tar:
        tar.add(E2E / LOGS[4], arcname=LOGS[4])
    with zipfile.ZipFile(src / "two.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for name in LOGS[5:7]:
            zf.write(E2E / name, arcname=name)
    with open(src / "logs.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"name": "panic-from-ci", "log": (E2E / LOGS[7]).read_text()}) + "\n")
        fh.write("{not json\n")
        fh.write(json.dumps({"text": "no log field"}) + "\n")
    bad = tmp / "bad"
    bad.mkdir()
    (bad / "empty.log").write_bytes(b"")
    (bad / "core.bin").write_bytes(bytes(range(256)) * 64)
    (bad / "huge.log").write_bytes((E2E / "ACCESS_NULL.log").read_bytes() * 20)
    broken = (src / "two.tar.gz").read_bytes()
    (bad / "broken.tar.gz").write_bytes(broken[: len(broken) // 2])
    (bad / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    return [str(src), str(bad), str(tmp / "missing.log")]


def test_every_input_form_and_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = batch(*_inputs(tmp_path), "--out", str(out), "--max-bytes", "300000", "-j", "2")
    assert res.returncode == 0, res.stderr
    got = check_outputs(out)
    names = {r["input"] for r in got["inputs.jsonl"]}
    assert len(names) == 8, names
    assert any(n.endswith("two.tar.gz!logs/WARNING.log") for n in names)
    assert any(n.endswith("two.zip!SOFTLOCKUP.log") for n in names)
    assert "panic-from-ci" in names
    kinds = sorted(e["kind"] for e in got["errors.jsonl"])
    assert kinds == ["archive", "archive", "binary", "empty", "huge", "jsonl", "jsonl", "unreadable"], \
        got["errors.jsonl"]
    # the half of the broken tar.gz before the damage is kept
    assert any(e["input"].endswith("broken.tar.gz") for e in got["errors.jsonl"])
    assert "8 input(s)" in res.stdout and "8 error(s)" in res.stdout and "top groups:" in res.stdout
    # the same log from a file, an archive member and a JSON Lines entry gives the same record
    by_title = {r["title"] for r in got["reports.jsonl"]}
    assert "kernel BUG in lkdtm_BUG" in by_title and "kernel panic: dumptest" in by_title
    index = (out / "index.html").read_text()
    assert "<script" not in index and "index-by-cluster.html" in index
    group = next(g for g in got["groups.jsonl"] if g["signature"] == "kernel BUG in lkdtm_BUG")
    assert group["example"]["html"] and (out / group["example"]["html"]).read_text().startswith("<!DOCTYPE html>")
    assert group["example"]["html"] in index


def test_same_records_whatever_the_container(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    res = batch(*(str(E2E / n) for n in LOGS), "--out", str(plain), "-j", "1")
    assert res.returncode == 0, res.stderr
    packed = tmp_path / "packed"
    res = batch(*_inputs(tmp_path), "--out", str(packed), "--max-bytes", "300000")
    assert res.returncode == 0, res.stderr

    def strip(recs: list[dict[str, object]]) -> list[str]:
        return comparable([{k: v for k, v in r.items() if k not in ("input", "input_index")} for r in recs])

    assert strip(lines(plain, "reports.jsonl")) == strip(lines(packed, "reports.jsonl"))
    assert len(lines(plain, "reports.jsonl")) >= len(LOGS)


def test_refuses_to_overwrite_and_bad_arguments(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert batch(str(E2E / LOGS[0]), "--out", str(out)).returncode == 0
    res = batch(str(E2E / LOGS[0]), "--out", str(out))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "--resume" in res.stderr
    res = batch(str(E2E / LOGS[0]), "--out", str(tmp_path / "o2"), "--vmlinux", str(tmp_path / "nope"))
    assert res.returncode == 2 and "no such file" in res.stderr and "Traceback" not in res.stderr


def _truncate(out: Path, keep_inputs: int) -> None:
    """What a kill leaves: fewer inputs done, an unfinished input's reports, a cut line."""
    inputs = (out / "inputs.jsonl").read_text().splitlines(keepends=True)
    (out / "inputs.jsonl").write_text("".join(inputs[:keep_inputs]))
    with open(out / "reports.jsonl", "a") as fh:
        fh.write('{"schema_version": "1.0", "input": "cut')
    (out / "groups.jsonl").unlink()


def test_resume_skips_done_inputs_and_repairs(tmp_path: Path) -> None:
    logs = str(corpus(tmp_path / "logs", 1))
    full = tmp_path / "full"
    assert batch(logs, "--out", str(full), "-j", "2").returncode == 0
    part = tmp_path / "part"
    shutil.copytree(full, part)
    _truncate(part, 10)
    res = batch(logs, "--out", str(part), "--resume", "-j", "2")
    assert res.returncode == 0, res.stderr
    assert "10 input(s) done by an earlier run" in res.stdout
    a, b = check_outputs(full), check_outputs(part)
    for name in ("reports.jsonl", "inputs.jsonl", "groups.jsonl"):
        assert comparable(a[name]) == comparable(b[name]), name


def test_sigint_leaves_consistent_outputs_then_resume_finishes(tmp_path: Path) -> None:
    logs = str(corpus(tmp_path / "logs", 30))  # 1,350 logs: long enough to interrupt
    out = tmp_path / "out"
    proc = popen(logs, "--out", str(out), "-j", "2")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = out / "inputs.jsonl"
        if done.exists() and done.read_text().count("\n") >= 20:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout and "Traceback" not in stderr
    got = check_outputs(out)
    assert 20 <= len(got["inputs.jsonl"]) < 1350
    res = batch(logs, "--out", str(out), "--resume", "-j", "2")
    assert res.returncode == 0, res.stderr
    got = check_outputs(out)
    assert len(got["inputs.jsonl"]) == 1350
    assert len({r["input"] for r in got["inputs.jsonl"]}) == 1350


def test_a_dying_worker_is_retried_once_then_recorded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = batch(*(str(E2E / n) for n in LOGS), "--out", str(out), "-j", "2",
                env={"A64TRIAGE_BATCH_TEST_CRASH": "WARNING.log"})
    assert res.returncode == 0, res.stderr
    got = check_outputs(out)
    errs = got["errors.jsonl"]
    assert len(errs) == 1 and errs[0]["kind"] == "worker" and errs[0]["input"].endswith("WARNING.log")
    assert "twice" in errs[0]["problem"]
    assert len(got["inputs.jsonl"]) == len(LOGS)  # every other input done despite the broken pools


def test_known_groups_mark_new_ones(tmp_path: Path) -> None:
    first = tmp_path / "first"
    assert batch(*(str(E2E / n) for n in LOGS[:4]), "--out", str(first)).returncode == 0
    second = tmp_path / "second"
    res = batch(*(str(E2E / n) for n in LOGS), "--out", str(second), "--known", str(first / "groups.jsonl"))
    assert res.returncode == 0, res.stderr
    got = check_outputs(second)
    old = {g["signature"] for g in lines(first, "groups.jsonl")}
    for g in got["groups.jsonl"]:
        assert g["known"] == (g["signature"] in old)
    new = sum(1 for g in got["groups.jsonl"] if not g["known"])
    assert f"{len(got['groups.jsonl']) - new} group(s) seen before, {new} new" in res.stdout
    assert new > 0 and "[new]" in res.stdout


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux only")
def test_stdout_is_only_the_summary_when_piped(tmp_path: Path) -> None:
    res = batch(str(E2E / LOGS[0]), "--out", str(tmp_path / "o"))
    assert res.returncode == 0 and res.stderr == "" and "\r" not in res.stdout


@pytest.mark.realkernel
def test_with_debian_vmlinux_one_symbolizer_per_worker(tmp_path: Path, debian_vmlinux: str) -> None:
    """Real symbols: the example pages carry file:line from the -dbg vmlinux; the groups
    are the ones the log alone gives (signatures never depend on symbols)."""
    names = [str(E2E / n) for n in ("WARNING.log", "WARNING-nokaslr.log", "BUG.log")]
    plain, sym = tmp_path / "plain", tmp_path / "sym"
    assert batch(*names, "--out", str(plain), "-j", "1").returncode == 0
    res = batch(*names, "--out", str(sym), "-j", "1", "--vmlinux", debian_vmlinux)
    assert res.returncode == 0, res.stderr
    a, b = check_outputs(plain), check_outputs(sym)
    assert [(g["signature"], g["cluster"], g["count"]) for g in a["groups.jsonl"]] == \
        [(g["signature"], g["cluster"], g["count"]) for g in b["groups.jsonl"]]
    page = next(g for g in b["groups.jsonl"] if g["signature"] == "WARNING in lkdtm_WARNING")["example"]["html"]
    assert "fs/read_write.c:" in (sym / page).read_text()  # vfs_write's file:line, from DWARF
    plain_page = next(g for g in a["groups.jsonl"] if g["signature"] == "WARNING in lkdtm_WARNING")["example"]["html"]
    assert "fs/read_write.c:" not in (plain / plain_page).read_text()


def test_a_copy_of_an_input_is_done_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(6):
        shutil.copy(E2E / LOGS[0], logs / f"copy{i}.log")
    out = tmp_path / "out"
    res = batch(str(logs), "--out", str(out), "-j", "2")
    assert res.returncode == 0, res.stderr
    got = check_outputs(out)
    assert len(got["inputs.jsonl"]) == 1 and got["inputs.jsonl"][0]["input"].endswith("copy0.log")
