"""Report signatures: the exact one (the report's title) and the fuzzy cluster key.

The exact signature is ``Report.title``, which the console stage builds in
syzkaller's style, so a group can be matched with syzbot's by string
equality.  It is taken as an opaque string: nothing here reads its wording.

The cluster key joins reports the exact title splits although they are the
same bug.  It is computed from the report's structured fields, in three parts
``FAMILY:ACCESS:ANCHOR``:

- FAMILY coarsens the report kind the way syzkaller's alternative titles do
  (every memory-safety report of one function is one "bad-access"; soft
  lockups and RCU stalls are one "stall"): ``FAMILY`` below, one row per kind.
- ACCESS keeps apart what the coarsening must not join: an instruction fetch
  from data, a write to read-only memory, a kernel access to user memory, a
  bad free (``ACCESS``, first matching row wins, against the kernel's own
  message and the sanitizer's bug type).
- ANCHOR is the guilty function: the one the console stage blames (its
  ``guilty`` field); when it names none, the first frame (pc, then the call
  trace) that is not a generic helper (the console stage's skip list), whose
  offset lies inside the function (a "pc" printed past a symbol's size is data
  or a stray jump, not that function), not inlined; compiler suffixes dropped.
  Offsets, sizes, addresses, modules, KASLR and the timestamps never enter the
  key.  A plain panic's anchor is its message with symbol offsets and numbers
  removed.  A report with no anchor at all joins nothing: ``=TITLE``.

``SIGNATURE_VERSION`` changes whenever a table or rule here, or the console
stage's choice of the guilty frame it anchors on, changes the key of some
report (groups.jsonl files from two versions are not comparable).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from a64triage.console.records import Frame, Report
from a64triage.console.titles import clean_symbol, is_skipped

SIGNATURE_VERSION = "3"

# Report kind -> family (the kinds not listed are their own family).
FAMILY: dict[str, str] = {
    "oops": "bad-access",
    "kasan": "bad-access",
    "kfence": "bad-access",
    "kmsan": "bad-access",
    "ubsan": "bad-access",
    "list-corruption": "bad-access",
    "general-protection": "bad-access",
    "soft-lockup": "stall",
    "hard-lockup": "stall",
    "rcu-stall": "stall",
    "hung-task": "hang",
    "stack-overflow": "stack-overflow",
}

# (kind, pattern over the report's message, family): a kind whose family depends on what the
# kernel printed (x86's page-fault oops is an "other-bug" report headed "BUG: unable to handle").
FAMILY_BY_MESSAGE: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("other-bug", re.compile(r"unable to handle|paging request|NULL pointer dereference", re.I), "bad-access"),
)

# (family, pattern over the report's message and sanitizer type, label); first match wins.
ACCESS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("bad-access", re.compile(r"execut|instruction fetch", re.I), "exec"),
    ("bad-access", re.compile(r"read-only", re.I), "write-ro"),
    ("bad-access", re.compile(r"user memory|uaccess", re.I), "user"),
    ("bad-access", re.compile(r"double-free|invalid-free|invalid free|double free", re.I), "free"),
)
DEFAULT_ACCESS = "any"

# A plain panic's message without what varies between runs (symbol offsets, numbers).
_OFFSETS = re.compile(r"\+0x[0-9a-f]+(?:/0x[0-9a-f]+)?(?: \[[\w-]+\])?")
_NUMBERS = re.compile(r"\b(?:0x)?[0-9a-f]*\d[0-9a-f]*\b", re.I)


@dataclass(frozen=True)
class Signature:
    exact: str
    cluster: str
    version: str = SIGNATURE_VERSION


def _inside(frame: Frame) -> bool:
    return frame.offset is None or frame.size is None or frame.offset < frame.size


def guilty_function(frames: Iterable[Frame]) -> str | None:
    """The first frame that names a function of its own: not a helper, not inlined,
    not an unreliable guess, not past the end of the symbol it is printed against."""
    for f in frames:
        name = f.function
        if not name or name == "(null)" or f.inline or f.marker == "?" or not _inside(f):
            continue
        if not is_skipped(name):
            return clean_symbol(name)
    return None


def _access(family: str, report: Report) -> str:
    text = " ".join(filter(None, (report.message, *(v for k, v in report.extra if k == "type"))))
    for fam, pattern, label in ACCESS:
        if fam == family and pattern.search(text):
            return label
    return DEFAULT_ACCESS


def family_of(report: Report) -> str:
    for kind, pattern, family in FAMILY_BY_MESSAGE:
        if report.kind == kind and pattern.search(report.message or ""):
            return family
    return FAMILY.get(report.kind, report.kind)


def anchor_of(report: Report) -> str | None:
    """The guilty function: the one the console stage's title blames (its structured
    ``guilty`` field, never parsed out of the title), else the first frame of our own."""
    if report.guilty:
        return clean_symbol(report.guilty)
    frames = [report.pc] if report.pc is not None and report.pc.stack != "hyp" else []
    if report.kind == "hyp-panic" and report.kvm is not None and report.kvm.panic_at is not None:
        frames = [report.kvm.panic_at]
    return guilty_function([*frames, *report.call_trace])


def cluster_key(report: Report) -> str:
    family = family_of(report)
    if report.kind == "panic":
        message = _NUMBERS.sub("N", _OFFSETS.sub("", report.message or "")).strip()
        return f"{family}:{DEFAULT_ACCESS}:{message[:160]}"
    anchor = anchor_of(report)
    if anchor is None:  # nothing to join on: the cluster is the exact signature alone
        return f"{family}:{_access(family, report)}:={report.title}"
    return f"{family}:{_access(family, report)}:{anchor}"


def signature(report: Report) -> Signature:
    return Signature(exact=report.title, cluster=cluster_key(report))
