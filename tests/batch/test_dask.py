"""`batch --scheduler`: the same job on a real Dask cluster (a `dask scheduler` and two
`dask worker` processes on 127.0.0.1, started here) gives the local run's outputs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_helpers import (
    FIXTURE_ELF,
    FIXTURE_ID,
    FIXTURE_LOG,
    batch,
    check_outputs,
    comparable,
    corpus,
    debug_tree,
    with_build_id,
)

distributed = pytest.importorskip("distributed")
DASK = str(Path(sys.executable).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(cmd: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(log, "w") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=fh, env=env)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
                    logs / "scheduler.log", env)]
    for i in range(2):
        procs.append(_start([DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1",
                             "--dashboard-address", ":0", "--local-directory", str(logs / f"w{i}")],
                            logs / f"worker{i}.log", env))
    try:
        client = distributed.Client(address, timeout="60s")
        client.wait_for_workers(2, timeout=120)
        client.close()
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_dask_run_equals_local_run(tmp_path: Path, scheduler: str) -> None:
    logs = str(corpus(tmp_path / "logs", 2))
    local, dask = tmp_path / "local", tmp_path / "dask"
    res = batch(logs, "--out", str(local), "-j", "2")
    assert res.returncode == 0, res.stderr
    res = batch(logs, "--out", str(dask), "--scheduler", scheduler)
    assert res.returncode == 0, res.stderr
    a, b = check_outputs(local), check_outputs(dask)
    for name in ("reports.jsonl", "groups.jsonl", "inputs.jsonl", "errors.jsonl"):
        assert comparable(a[name]) == comparable(b[name]), name
    assert len(a["inputs.jsonl"]) == 90
    assert sorted(p.name for p in (local / "examples").iterdir()) == sorted(p.name for p in (dask / "examples").iterdir())


def test_dask_workers_find_each_logs_symbols(tmp_path: Path, scheduler: str) -> None:
    """The options reach the workers as data: each log's build is looked up there (a
    --debug-dir keyed by build id), with the local run's result."""
    logs = corpus(tmp_path / "logs", 1)
    for i in range(4):
        (logs / f"fixture{i}.log").write_text(with_build_id(FIXTURE_LOG.read_text(), FIXTURE_ID) + f"\n[ {i}]\n")
    dbg = debug_tree(tmp_path / "debug", FIXTURE_ID, FIXTURE_ELF)
    opts = ("--debug-dir", str(dbg), "--kernel-release", "auto", "--offline", "--cache-dir", str(tmp_path / "c"))
    local, dask = tmp_path / "local", tmp_path / "dask"
    res = batch(str(logs), "--out", str(local), "-j", "2", *opts)
    assert res.returncode == 0, res.stderr
    res = batch(str(logs), "--out", str(dask), "--scheduler", scheduler, *opts)
    assert res.returncode == 0, res.stderr
    a, b = check_outputs(local), check_outputs(dask)
    assert comparable(a["reports.jsonl"]) == comparable(b["reports.jsonl"])
    fixture = [r for r in b["reports.jsonl"] if "fixture" in r["input"]]
    assert len(fixture) == 4 and all(r["facts"]["pc_source"] and r["symbols"]["origin"] == "local" for r in fixture)
    assert all(r["symbols"]["problem"] for r in b["reports.jsonl"] if "fixture" not in r["input"])


def test_wrong_scheduler_address_fails_at_once(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    start = time.monotonic()
    res = batch(str(tmp_path), "--out", str(tmp_path / "o"), "--scheduler", f"tcp://127.0.0.1:{port}")
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("a64triage: tcp://127.0.0.1:") , res.stderr
    assert time.monotonic() - start < 30  # no hang (the connect timeout is 5 s)
    res = batch(str(tmp_path), "--out", str(tmp_path / "o"), "--scheduler", "nonsense::://")
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
