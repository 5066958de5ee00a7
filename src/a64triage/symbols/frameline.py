"""Per-line frame recogniser for the ``symbolize`` filter.

The console stage finds frames inside crash reports; a filter must also
annotate frame-looking lines the report parser did not claim (a lone
``dump_stack()`` trace, a ``pc :`` line quoted in a mail).  This recogniser
finds, in one raw line, the printed frames and where each one ends (where the
annotation goes).  Formats: ``func+0x1c/0x50 [mod]`` (v4.16+ traces, pc/lr),
``[<addr>] func+off/size`` (older traces, hyp traces), ``PC is at``/``LR is
at`` (<= v4.15), ``pc : [<addr>] lr : [<addr>]`` (<= v4.15) and the hyp panic
``PC:`` field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from a64triage.console.records import Frame

_SYM = r"(?P<func>[A-Za-z_.$][\w.$]{0,255}?)\+0x(?P<off>[0-9a-fA-F]{1,16})/0x(?P<size>[0-9a-fA-F]{1,16})" \
       r"(?:\s{1,4}\[(?P<mod>[\w-]{1,64})(?: [0-9a-f]{8,64})?\])?"
_TS = r"^(?P<prefix>(?:<\d{1,2}>)?(?:\[\s{0,12}\d{1,10}\.\d{1,9}\]\s?)?(?:\[\s{0,8}[TC]\d{1,8}\]\s?)?)"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # `pc : [<ffff...>] lr : [<ffff...>] pstate: ...` (<= v4.15): two raw addresses
    ("pc-lr-raw", re.compile(r"\bpc : \[<(?P<pc>[0-9a-f]{16})>\] lr : \[<(?P<lr>[0-9a-f]{16})>\]")),
    ("pc", re.compile(r"(?:\bpc ?: |\bPC is at )(?:\[<(?P<addr>[0-9a-f]{8,16})>\]\s?)?" + _SYM)),
    ("lr", re.compile(r"(?:\blr ?: |\bLR is at )(?:\[<(?P<addr>[0-9a-f]{8,16})>\]\s?)?" + _SYM)),
    ("hyp-pc", re.compile(r"\bPC:(?P<addr>[0-9a-f]{16}) ESR:")),
    ("addr", re.compile(r"\[<(?P<addr>[0-9a-f]{8,16})>\]\s{1,8}(?:" + _SYM + r")?")),
    ("trace", re.compile(_TS + r"\s{0,8}" + _SYM + r"(?:\s{1,4}\((?P<marker>[PLFCT])\))?\s*$")),
)


@dataclass(frozen=True)
class FrameHit:
    """One frame found in a line; ``end`` is where the annotation is inserted."""

    kind: str  # "pc", "lr", "trace", "hyp", "hyp-pc"
    frame: Frame
    end: int
    is_return: bool


def _frame(m: re.Match[str], stack: str, line_no: int, addr_group: str = "addr") -> Frame:
    gd = m.groupdict()
    addr = gd.get(addr_group)
    func = gd.get("func")
    return Frame(function=func, offset=int(gd["off"], 16) if func else None,
                 size=int(gd["size"], 16) if func else None, module=gd.get("mod"),
                 address=int(addr, 16) if addr else None, marker=gd.get("marker"),
                 stack=stack, line_no=line_no)


def match_line(line: str, line_no: int = 0) -> list[FrameHit]:
    """Frames printed in one raw log line (empty for any other line)."""
    if len(line) > 4096:
        return []
    for kind, rx in _PATTERNS:
        m = rx.search(line)
        if m is None:
            continue
        if kind == "pc-lr-raw":
            return [FrameHit("pc", Frame(address=int(m["pc"], 16), line_no=line_no), m.end("pc") + 2, False),
                    FrameHit("lr", Frame(address=int(m["lr"], 16), line_no=line_no), m.end("lr") + 2, True)]
        if kind == "hyp-pc":
            return [FrameHit("hyp-pc", Frame(address=int(m["addr"], 16), line_no=line_no),
                             m.end("addr"), False)]
        hyp = "kvm [" in line or "nVHE" in line or (m["func"] or "").startswith("__kvm_nvhe_")
        if kind == "addr" and hyp:
            kind = "hyp"
        frame = _frame(m, "hyp" if hyp else "task", line_no)
        return [FrameHit(kind, frame, m.end(), kind == "lr")]
    return []


def line_prefix(line: str) -> str:
    """The timestamp/level prefix of a log line, reused for inserted lines."""
    m = re.match(_TS, line)
    return m.group("prefix") if m else ""
