"""Shared by the batch tests: run the command, read and check its outputs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
E2E = ROOT / "tests" / "data" / "e2e"
SCHEMAS = ROOT / "src" / "a64triage" / "schemas"
FIXTURE_ELF = ROOT / "tests" / "fixtures" / "c" / "out" / "image-clang.elf"
FIXTURE_ID = "369e833f47b96e3702a80178d4c3dfc671f601ff"  # GNU build id of FIXTURE_ELF
FIXTURE_LOG = ROOT / "tests" / "data" / "symbols" / "fixture-oops-6x.log"  # an oops of FIXTURE_ELF
_CPU_LINE = re.compile(r"^(.*\bCPU: \d+ PID: \d+ Comm: .*)$", re.MULTILINE)
FILES = {"reports.jsonl": "batch-report", "groups.jsonl": "batch-group", "errors.jsonl": "batch-error",
         "inputs.jsonl": "batch-input"}


def batch(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "a64triage", "batch", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def popen(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "a64triage", "batch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def lines(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / name
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    assert not text or text.endswith("\n"), f"{name}: last line cut"
    return [json.loads(line) for line in text.splitlines()]


def check_outputs(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Every line valid against its schema; groups agree with reports; every report's input is done."""
    got = {}
    for name, schema in FILES.items():
        validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{schema}.schema.json").read_text()))
        got[name] = lines(out, name)
        for obj in got[name]:
            validator.validate(obj)
    done = {o["input_sha256"] for o in got["inputs.jsonl"]}
    assert all(r["input_sha256"] in done for r in got["reports.jsonl"])
    counts: dict[str, int] = {}
    for r in got["reports.jsonl"]:
        counts[r["signature"]] = counts.get(r["signature"], 0) + 1
    assert {g["signature"]: g["count"] for g in got["groups.jsonl"]} == counts
    assert (out / "index.html").exists()
    return got


def result_records(res: Any) -> list[dict[str, Any]]:
    """The reports.jsonl records of one worker result (``triage.outputs.InputResult``)."""
    return [json.loads(line) for line in res.lines.decode("utf-8").splitlines()]


def comparable(records: list[dict[str, Any]]) -> list[str]:
    """Records sorted, as strings: the same job run twice (or elsewhere) must give these."""
    return sorted(json.dumps(r, sort_keys=True) for r in records)


def corpus(dest: Path, copies: int) -> Path:
    """``copies`` variants of every committed QEMU log (timestamps shifted, so hashes differ)."""
    dest.mkdir(parents=True, exist_ok=True)
    logs = sorted(E2E.glob("*.log"))
    for i in range(copies):
        for log in logs:
            text = log.read_text(encoding="utf-8", errors="replace")
            (dest / f"{log.stem}-{i}.log").write_text(text.replace("[    ", f"[{i:4d}", 50), encoding="utf-8")
    return dest


def with_build_id(text: str, build_id: str) -> str:
    """The log as a CONFIG_STACKTRACE_BUILD_ID kernel prints it (lib/dump_stack.c): the
    vmlinux build id ends the first ``CPU: ... Comm:`` line."""
    return _CPU_LINE.sub(lambda m: f"{m.group(1).rstrip()} {build_id}", text, count=1)


def debug_tree(root: Path, build_id: str, elf: Path) -> Path:
    """A separate-debug tree as GDB and the distributions lay it out: .build-id/xx/rest.debug."""
    path = root / ".build-id" / build_id[:2] / f"{build_id[2:]}.debug"
    path.parent.mkdir(parents=True)
    path.symlink_to(elf)
    return root
