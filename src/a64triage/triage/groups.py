"""Groups: reports with one exact signature, folded as the records stream in.

Memory grows with the number of groups, never with the number of reports:
each group keeps counts, the first and last input and the first report's
cluster (by input order, so the result does not depend on which worker
finished first) and at most
``MAX_VALUES`` distinct kernels and hardware names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from a64triage.triage.signature import SIGNATURE_VERSION

GROUP_SCHEMA_VERSION = "1.0"
MAX_VALUES = 32


class ReportKeys(NamedTuple):
    """What the fold needs of one report (its line in reports.jsonl holds the rest):
    small, so a worker sends it beside the finished line and the client parses nothing."""

    signature: str
    cluster: str
    type: str
    kernel: str | None  # facts.kernel_version and facts.hardware (None: not printed)
    hardware: str | None


def report_keys(rec: dict[str, Any]) -> ReportKeys:
    """The keys of one reports.jsonl record (the worker's, or a line read back by --resume)."""
    facts = rec.get("facts", {})
    return ReportKeys(str(rec["signature"]), str(rec["cluster"]), str(rec["type"]),
                      facts.get("kernel_version"), facts.get("hardware"))


@dataclass
class Group:
    signature: str
    cluster: str
    type: str
    count: int = 0
    inputs: int = 0
    first: tuple[int, str, int] = (1 << 62, "", 0)  # (input index, input, report) of the first report
    last: tuple[int, str] = (-1, "")
    example_sha256: str = ""
    kernels: set[str] = field(default_factory=set)
    hardware: set[str] = field(default_factory=set)
    more_kernels: bool = False
    more_hardware: bool = False
    _last_input: str = ""

    def add(self, key: tuple[int, str, int], sha: str, keys: ReportKeys) -> bool:
        """Fold one report, ``key`` = (input index, input, report); True when it became
        the group's first report (its input is the example)."""
        self.count += 1
        if key[1] != self._last_input:
            self.inputs += 1  # records of one input arrive together
            self._last_input = key[1]
        first = key < self.first
        if first:
            self.first = key
            self.example_sha256 = sha
            self.cluster = keys.cluster  # a signature's reports may straddle clusters
        if key[0] > self.last[0]:
            self.last = (key[0], key[1])
        self.more_kernels |= _add_bounded(self.kernels, keys.kernel)
        self.more_hardware |= _add_bounded(self.hardware, keys.hardware)
        return first

    def to_json(self, known: bool | None, example_html: str | None) -> dict[str, Any]:
        return {
            "schema_version": GROUP_SCHEMA_VERSION,
            "signature": self.signature,
            "cluster": self.cluster,
            "signature_version": SIGNATURE_VERSION,
            "type": self.type,
            "count": self.count,
            "inputs": self.inputs,
            "first_input": self.first[1],
            "last_input": self.last[1],
            "kernels": sorted(self.kernels),
            "kernels_truncated": self.more_kernels,
            "hardware": sorted(self.hardware),
            "hardware_truncated": self.more_hardware,
            "example": {"input": self.first[1], "input_sha256": self.example_sha256,
                        "report": self.first[2], "html": example_html},
            "known": known,
        }


def _add_bounded(values: set[str], value: object) -> bool:
    """Add ``value``; True when it had to be dropped (the set is full)."""
    if not isinstance(value, str) or not value or value in values:
        return False
    if len(values) >= MAX_VALUES:
        return True
    values.add(value)
    return False


class GroupTable:
    """signature -> Group, in a deterministic order for the outputs."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}

    def fold(self, index: int, name: str, sha: str, reports: Sequence[ReportKeys]) -> bool:
        """Fold one input's reports (numbered in order); True when the input became the
        example of a group (its log is to be kept)."""
        example = False
        for no, keys in enumerate(reports):
            example |= self._group(keys).add((index, name, no), sha, keys)
        return example

    def add(self, rec: dict[str, Any]) -> None:
        """Fold one record read back from reports.jsonl."""
        keys = report_keys(rec)
        self._group(keys).add((int(rec["input_index"]), str(rec["input"]), int(rec["report"])),
                              str(rec["input_sha256"]), keys)

    def _group(self, keys: ReportKeys) -> Group:
        g = self.groups.get(keys.signature)
        if g is None:
            g = self.groups[keys.signature] = Group(keys.signature, keys.cluster, keys.type)
        return g

    def by_count(self) -> list[Group]:
        return sorted(self.groups.values(), key=lambda g: (-g.count, g.signature))

    def clusters(self) -> dict[str, list[Group]]:
        out: dict[str, list[Group]] = {}
        for g in self.by_count():
            out.setdefault(g.cluster, []).append(g)
        return out

    def reports(self) -> int:
        return sum(g.count for g in self.groups.values())


def read_known(path: str) -> tuple[set[str], set[str]]:
    """(signatures, clusters) of a groups.jsonl from an earlier run; unreadable lines are skipped.
    Clusters are compared only when the earlier run used this signature version."""
    sigs: set[str] = set()
    clusters: set[str] = set()
    for obj in iter_jsonl(path):
        if isinstance(obj.get("signature"), str):
            sigs.add(obj["signature"])
        if obj.get("signature_version") == SIGNATURE_VERSION and isinstance(obj.get("cluster"), str):
            clusters.add(obj["cluster"])
    return sigs, clusters


def iter_jsonl(path: str) -> Iterator[dict[str, Any]]:
    """The complete JSON objects of a JSON Lines file (a line cut by an interrupted write is skipped)."""
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                yield obj
