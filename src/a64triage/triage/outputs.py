"""The batch's output directory, kept consistent whatever stops the run.

Append-only JSON Lines, written a task's inputs at a time: ``reports.jsonl``
gets their reports (flushed), then ``inputs.jsonl`` the lines saying those
inputs are done.  A run stopped anywhere (Ctrl-C, a kill) leaves at worst the
reports of one task's inputs without their ``inputs.jsonl`` lines; ``--resume``
drops those and any cut line, and skips every input whose content hash is done.
``groups.jsonl`` and the index pages are rewritten whole (written aside, then
renamed) at the end of every run, interrupted or not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import IO, Any, NamedTuple

from a64triage.errors import InputError
from a64triage.triage.groups import GroupTable, ReportKeys, iter_jsonl
from a64triage.triage.index import PAGES, render_index
from a64triage.triage.inputs import Problem

INPUT_SCHEMA_VERSION = "1.0"
ERROR_SCHEMA_VERSION = "1.0"
REPORTS, GROUPS, ERRORS, INPUTS, EXAMPLES = "reports.jsonl", "groups.jsonl", "errors.jsonl", "inputs.jsonl", "examples"


def json_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def journal_line(index: int, name: str, sha: str, reports: int, status: str) -> bytes:
    """The inputs.jsonl line saying an input is done: an explained input's comes from its
    worker, a failed input's from the client."""
    return json_line({"schema_version": INPUT_SCHEMA_VERSION, "input": name, "input_sha256": sha,
                      "input_index": index, "reports": reports, "status": status}).encode("utf-8")


class InputResult(NamedTuple):
    """What a worker sends back for one input (the client knows its name and hash)."""

    lines: bytes = b""  # its reports.jsonl lines, as written
    journal: bytes = b""  # its inputs.jsonl line, written after them
    reports: tuple[ReportKeys, ...] = ()  # per report, in order: what the group fold needs
    error: str | None = None  # why it could not be explained (then nothing else)
    symbols_found: bool | None = None  # its build's debug files found; None: no lookup applied


class Finished(NamedTuple):
    """An input a worker is done with, as the client knows it."""

    input_index: int  # its place in the walk of the inputs
    name: str
    sha256: str
    data: bytes  # kept if it becomes a group's example
    result: InputResult


def write_atomic(path: str, text: str | bytes | Iterable[str]) -> None:
    tmp = path + ".tmp"
    if isinstance(text, bytes):
        with open(tmp, "wb") as bfh:
            bfh.write(text)
    else:
        with open(tmp, "w", encoding="utf-8") as fh:
            if isinstance(text, str):
                fh.write(text)
            else:
                fh.writelines(text)
    os.replace(tmp, path)


class OutputDir:
    """The files of one batch; ``done`` holds the content hashes of the finished inputs."""

    def __init__(self, path: str, *, resume: bool) -> None:
        self.path = path
        self.table = GroupTable()
        self.done: set[str] = set()
        self.errors = 0
        self.inputs = 0
        self.empty = 0  # inputs without a crash report
        self.resumed = 0
        self.symbols = [0, 0]  # inputs with reports: [their build's debug files not found, found]
        try:
            os.makedirs(os.path.join(path, EXAMPLES), exist_ok=True)
        except OSError as exc:
            raise InputError(path, exc.strerror or "cannot create the output directory") from None
        if resume:
            self._reload()
        elif any(os.path.exists(self.file(n)) for n in (REPORTS, INPUTS)):
            raise InputError(path, "holds the outputs of an earlier batch: give --resume to go on with it, "
                             "or another --out")
        mode = "a" if resume else "w"
        self._reports: IO[bytes] = open(self.file(REPORTS), mode + "b")  # noqa: SIM115 - lines come encoded
        self._inputs: IO[bytes] = open(self.file(INPUTS), mode + "b")  # noqa: SIM115
        self._errors: IO[str] = open(self.file(ERRORS), mode, encoding="utf-8")  # noqa: SIM115

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def _reload(self) -> None:
        """Keep what a finished input wrote; drop the rest (cut lines, unfinished inputs)."""
        if not os.path.exists(self.file(INPUTS)):
            return
        for obj in iter_jsonl(self.file(INPUTS)):
            if isinstance(obj.get("input_sha256"), str):
                self.done.add(obj["input_sha256"])
                self.inputs += 1
                self.empty += obj.get("reports") == 0 and obj.get("status") == "ok"
        self.resumed = self.inputs
        write_atomic(self.file(INPUTS), (json_line(o) for o in self._kept(INPUTS)))
        kept_reports = list(self._kept(REPORTS)) if os.path.exists(self.file(REPORTS)) else []
        looked: dict[str, bool] = {}
        for rec in kept_reports:
            self.table.add(rec)
            if isinstance(rec.get("symbols"), dict):
                looked[rec["input_sha256"]] = rec["symbols"].get("problem") is None
        for found in looked.values():
            self.symbols[found] += 1
        write_atomic(self.file(REPORTS), (json_line(o) for o in kept_reports))
        if os.path.exists(self.file(ERRORS)):
            # Problems found while reading inputs are found again; a worker's error is kept with its input.
            errs = [o for o in iter_jsonl(self.file(ERRORS)) if o.get("input_sha256") in self.done]
            self.errors = len(errs)
            write_atomic(self.file(ERRORS), (json_line(o) for o in errs))

    def _kept(self, name: str) -> Iterable[dict[str, Any]]:
        for obj in iter_jsonl(self.file(name)):
            if obj.get("input_sha256") in self.done:
                yield obj

    def add_finished(self, done: Sequence[Finished]) -> None:
        """The inputs of one task, one write per file: their reports are flushed before
        their errors and their lines in inputs.jsonl, as --resume expects."""
        reports: list[bytes] = []
        errors: list[str] = []
        journal: list[bytes] = []
        examples: list[Finished] = []
        for f in done:
            res = f.result
            self.done.add(f.sha256)
            self.inputs += 1
            if res.error is not None:
                errors.append(self._error_line(Problem(f.name, res.error, "worker"), f.sha256))
                journal.append(journal_line(f.input_index, f.name, f.sha256, 0, "error"))
                continue
            reports.append(res.lines)
            journal.append(res.journal)
            if res.symbols_found is not None and res.reports:
                self.symbols[res.symbols_found] += 1
            if self.table.fold(f.input_index, f.name, f.sha256, res.reports):
                examples.append(f)
            self.empty += not res.reports
        if reports:
            self._reports.write(b"".join(reports))
            self._reports.flush()
        if errors:
            self._errors.write("".join(errors))
            self._errors.flush()
        self._inputs.write(b"".join(journal))
        self._inputs.flush()
        for f in examples:
            self.save_example(f.sha256, f.data)

    def add_error(self, problem: Problem, index: int | None = None, sha: str | None = None) -> None:
        self._errors.write(self._error_line(problem, sha))
        self._errors.flush()
        if sha is not None and index is not None:
            self.done.add(sha)
            self.inputs += 1
            self._inputs.write(journal_line(index, problem.name, sha, 0, "error"))
            self._inputs.flush()

    def _error_line(self, problem: Problem, sha: str | None) -> str:
        self.errors += 1
        return json_line({"schema_version": ERROR_SCHEMA_VERSION, "input": problem.name, "input_sha256": sha,
                          "kind": problem.kind, "problem": problem.problem})

    def example_paths(self, sha: str) -> tuple[str, str]:
        base = os.path.join(EXAMPLES, sha[:16])
        return base + ".log", base + ".html"

    def save_example(self, sha: str, data: bytes) -> None:
        log, _ = self.example_paths(sha)
        path = self.file(log)
        if not os.path.exists(path):
            write_atomic(path, data)

    def _drop_superseded_examples(self, wanted: set[str]) -> None:
        """An example saved before an earlier input of its group finished is not the example."""
        keep = {os.path.basename(p) for sha in wanted for p in self.example_paths(sha)}
        folder = self.file(EXAMPLES)
        for name in os.listdir(folder):
            if name not in keep:
                os.unlink(os.path.join(folder, name))

    def finish(self, summary: str, known: set[str] | None) -> None:
        """groups.jsonl and the index pages, from every report written so far."""
        for fh in (self._reports, self._inputs, self._errors):
            fh.close()

        groups = self.table.by_count()
        self._drop_superseded_examples({g.example_sha256 for g in groups})
        present = set(os.listdir(self.file(EXAMPLES)))  # one listing, not a stat per group and page

        def links(g: Any) -> tuple[str | None, str | None]:
            log, page = self.example_paths(g.example_sha256)
            return (page if os.path.basename(page) in present else None,
                    log if os.path.basename(log) in present else None)

        write_atomic(self.file(GROUPS), (json_line(g.to_json(None if known is None else g.signature in known,
                                                         links(g)[0])) for g in groups))
        for page, _ in PAGES:
            write_atomic(self.file(page), render_index(self.table, page, summary=summary, links=links,
                                                       known=known))
