"""syzkaller's Linux report test data (tests/data/syzkaller/, SOURCE.md there) as cases,
and the per-field comparison of our first report with what syzkaller expects.

Run as a script for the per-file disagreements:
    .venv/bin/python tests/console/syzkaller_corpus.py [title|type|corrupted|...] [arm64]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "syzkaller"

# An arm64 console log: arm64's register dump, unwinder and fault-decoding lines, and no
# 32-bit ARM register dump (arm's "r10: c0a0b0c0 " lines share several of these lines).
_ARM64 = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:pc : |lr : |x29: |pstate: |Mem abort info:|ESR = 0x|"
                    r"el1h_64_sync|el0t_64_sync|el0_svc)", re.M)
_ARM32 = re.compile(r"\br\d{1,2} ?: [0-9a-f]{8} |ARM-Versatile")


@dataclass
class SyzCase:
    """One report/ file: the expected fields (SOURCE.md's keys) and the log."""

    name: str
    log: str
    title: str = ""
    alt: list[str] = field(default_factory=list)
    type: str = ""
    frame: str = ""
    corrupted: bool = False
    panicked: bool = False
    suppressed: bool = False
    file: str = ""  # guilty/ cases: the blamed source file

    @property
    def arm64(self) -> bool:
        return _ARM64.search(self.log) is not None and _ARM32.search(self.log) is None


def _split(path: Path) -> tuple[list[str], str]:
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\r", "")
    if text.startswith("\n"):
        return [], text[1:]
    head, _, body = text.partition("\n\n")
    return [ln for ln in head.split("\n") if not ln.startswith("#")], body


def load(path: Path) -> SyzCase:
    head, body = _split(path)
    # The log ends at a "REPORT:" line that follows an empty line.
    cut = re.search(r"(?:^|\n)\nREPORT:\n", body)
    log = body[: cut.start()] if cut else body
    case = SyzCase(name=f"{path.parent.name}/{path.name}", log=log)
    for line in head:
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "TITLE":
            case.title = value
        elif key == "ALT":
            case.alt.append(value)
        elif key == "TYPE":
            case.type = value
        elif key == "FRAME":
            case.frame = value
        elif key == "CORRUPTED":
            case.corrupted = value == "Y"
        elif key == "PANICKED":
            case.panicked = value == "Y"
        elif key == "SUPPRESSED":
            case.suppressed = value == "Y"
        elif key == "FILE":
            case.file = value
    return case


def _key(p: Path) -> tuple[int, str]:
    return (int(p.name), "") if p.name.isdigit() else (1 << 30, p.name)


def cases(folder: str) -> list[SyzCase]:
    return [load(p) for p in sorted((DATA / folder).iterdir(), key=_key) if p.is_file()]


@dataclass
class Tally:
    """Agreement counts per field; ``misses`` keeps (case, ours, theirs) per field."""

    total: dict[str, int] = field(default_factory=dict)
    agree: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def add(self, name: str, case: str, ours: object, theirs: object) -> None:
        self.total[name] = self.total.get(name, 0) + 1
        if ours == theirs:
            self.agree[name] = self.agree.get(name, 0) + 1
        else:
            self.misses.setdefault(name, []).append((case, repr(ours), repr(theirs)))

    def ratio(self, name: str) -> float:
        return self.agree.get(name, 0) / max(1, self.total.get(name, 0))

    def lines(self, label: str) -> list[str]:
        return [f"{label} {n:<10} {self.agree.get(n, 0):4}/{t:<4} {100 * self.ratio(n):5.1f}%"
                for n, t in self.total.items()]


Parse = Callable[[str], list[object]]


def compare(parse: Parse, report_cases: list[SyzCase], guilty_cases: list[SyzCase]) -> Tally:
    """Every field SOURCE.md defines, for our first report of each case."""
    t = Tally()
    for c in report_cases:
        reports = parse(c.log)
        r = reports[0] if reports else None
        t.add("crash", c.name, r is not None, bool(c.title))
        if not c.title:
            continue
        title = getattr(r, "title", "")  # a missed crash counts against every field
        t.add("title", c.name, title, c.title)
        t.add("alt", c.name, sorted(getattr(r, "alt_titles", ())) if r is not None else None, sorted(c.alt))
        t.add("type", c.name, getattr(r, "type", None), c.type)
        t.add("corrupted", c.name, bool(getattr(r, "corrupted", None)) if r is not None else None, c.corrupted)
        t.add("panicked", c.name, getattr(r, "panicked", None), c.panicked)
        if c.frame:
            t.add("frame", c.name, getattr(r, "guilty", None), c.frame)
    for c in guilty_cases:
        reports = parse(c.log)
        r = reports[0] if reports else None
        # guilty_raw/'s TITLE is an input (syzkaller passes it to ReportToGuiltyFile with the
        # log, and it carries syzbot's dedup suffix: "WARNING in kernfs_get (4)"), not a title to match.
        t.add("file", c.name, (getattr(r, "guilty_file", None) or "") if r is not None else None, c.file)
    return t


def main(argv: list[str]) -> None:
    from a64triage.console import parse_text

    field_ = argv[1] if len(argv) > 1 else ""
    only_arm64 = "arm64" in argv[2:]
    reps = [c for c in cases("report") if c.arm64 or not only_arm64]
    guilty = cases("guilty") + cases("guilty_raw")
    t = compare(lambda s: list(parse_text(s)), reps, [] if only_arm64 else guilty)
    for m in t.misses.get(field_, []):
        print(f"{m[0]:<16} ours={m[1]}\n{'':16} want={m[2]}")
    print("\n".join(t.lines("arm64" if only_arm64 else "all")))


if __name__ == "__main__":
    main(sys.argv)
