"""Crash-report assembly: a small state machine over cleaned log lines.

One ``_Builder`` collects one report.  Headers (patterns.HEADERS) open or join
a report; body lines (patterns.BODY) fill its fields; the first value of a
field wins, so the secondary-CPU dumps printed while a panic stops the other
CPUs never overwrite the crashing CPU's registers.  With CONFIG_PRINTK_CALLER
ids (``[  T123]`` / ``[    C0]``) each caller gets its own builder, which
de-interleaves two CPUs printing at once.  Only the current reports' lines are
kept, so memory stays flat however long the log is.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, dataclass, field, fields, replace
from operator import attrgetter
from typing import Any, Final, NamedTuple, TypeVar

import ahocorasick_rs

from a64triage.console import patterns as P
from a64triage.console.arches import evidence_of
from a64triage.console.formats import FORMATS, PREFILTER, Format
from a64triage.console.kinds import RANK, Kind
from a64triage.console.lines import (
    MAX_LINE,
    CleanState,
    Line,
    Skip,
    clean,
    elision,
    plain_stamped,
)
from a64triage.console.records import Frame, KvmInfo, Report
from a64triage.console.titles import ENTRY, READS_EVERYTHING, build_title, guilty_file, syz_title

MAX_REPORT_LINES: Final = 3000
MAX_FRAMES: Final = 512
IDLE_LIMIT: Final = 40  # unrecognised lines after which an open report is closed
JOIN_WINDOW: Final = 30  # lines after "end trace" in which a panic still belongs to the report
MIN_HEADER: Final = 5  # the shortest header line ("INFO:"): shorter lines are never matched against the table
EXPECTED_XREGS: Final = 30  # x0..x29 are always printed by arm64 __show_regs

_TAIL: Final = {"smp_stop", "kernel_offset", "phys_offset", "cpu_features", "memory_limit", "end_panic", "end_trace"}
_IN_TRACE_OK: Final = {"cpu", "cpu_old", "hardware", "trace_start", "exception_stack", "hexdump", "irq_marker",
                       "taint_line", "workqueue", "arm32_cpu", "x86_rip", "x86_regs", "code"}
_IMPLICIT_TRACE: Final = frozenset((Kind.KFENCE, Kind.KMSAN))  # their frames follow the header without "Call Trace:"
_MARKER_THEN_FRAME: Final = re.compile(r"^<(IRQ|/IRQ|EOI|NMI|/NMI|TASK|/TASK|SOFTIRQ|/SOFTIRQ)>\s{1,8}(?=\S)")
_NOTE: Final = re.compile(r"^(?:note: |Rebooting in |---\[ end |Press any key|Sending NMI|NMI backtrace)")


_Groups = dict[str, Any]  # a body line's named groups (re.Match.groupdict)


def _hex(s: str) -> int:
    return int(s, 16)


def _new_frame(function: str | None, offset: int | None, size: int | None, module: str | None,
               address: int | None, marker: str | None, inline: bool, source: str | None, stack: str,
               line_no: int) -> Frame:
    """``Frame(...)`` for the hot loop: a frozen dataclass's ``__init__`` pays one
    ``object.__setattr__`` per field; filling its ``__dict__`` gives the same object (one store
    per field: cheaper compiled than ``update`` with keywords, which builds a second dict)."""
    f = object.__new__(Frame)
    d = f.__dict__
    d["function"] = function
    d["offset"] = offset
    d["size"] = size
    d["module"] = module
    d["address"] = address
    d["marker"] = marker
    d["inline"] = inline
    d["source"] = source
    d["stack"] = stack
    d["line_no"] = line_no
    return f


_R = TypeVar("_R", Report, KvmInfo)
# Each record's fields that have a default, with it (Report and KvmInfo have no default_factory).
_DEFAULTS: Final[dict[type, dict[str, Any]]] = {
    cls: {f.name: f.default for f in fields(cls) if f.default is not MISSING} for cls in (Report, KvmInfo)}


def _new_record(cls: type[_R], values: dict[str, Any]) -> _R:
    """``cls(**values)`` once per report: as ``_new_frame``, the object filled at once instead
    of one ``object.__setattr__`` per field (Report has 42); ``Report.__post_init__``'s
    headline rule applied here (tests/console/test_finish_fastpaths.py holds it to ``cls``)."""
    r = object.__new__(cls)
    d = r.__dict__
    d.update(_DEFAULTS[cls])
    d.update(values)
    if cls is Report and not d["headline"]:
        d["headline"] = d["title"]
    return r


def _is_frame(text: str) -> bool:
    """Would ``_frame_from`` return a frame?  (It does exactly when one format matches;
    each format needs a substring, checked first because most failures are cheap then.)"""
    if "+0x" in text and P.FRAME_MODERN.match(text) is not None:
        return True
    if text.startswith("[<") and (P.FRAME_ARM32.match(text) is not None or P.FRAME_ADDR_ONLY.match(text) is not None):
        return True
    if "[inline]" in text and P.FRAME_INLINE.match(text) is not None:
        return True
    return " from " in text and P.FRAME_ARM32_NEW.match(text) is not None


def _is_arm32_frame(text: str) -> bool:
    """A 32-bit ARM call-trace entry (``[<c0100000>] (f) from [<...>]`` or ``f from g+0x1/0x2``)."""
    return (text.startswith("[<") and P.FRAME_ARM32.match(text) is not None) or (
        " from " in text and P.FRAME_ARM32_NEW.match(text) is not None)


def _frame_from(text: str, stack: str, line_no: int) -> Frame | None:
    """Parse a pc/lr value or a call-trace entry (every format we know).

    Each format needs a substring ("+0x", "[inline]", a leading "[<", " from "):
    checking it first skips the regexes that cannot match."""
    bracket = text.startswith("[<")
    m = P.FRAME_MODERN.match(text) if "+0x" in text else None
    if m:
        unrel, addr, unrel2, func, off, size, mod, marker, src, inline, unrel3 = m.groups()  # one call, not ten
        return _new_frame(
            func, int(off, 16), int(size, 16), mod, int(addr, 16) if addr else None,
            "?" if unrel or unrel2 or unrel3 else marker, inline is not None, src, stack, line_no,
        )
    m = P.FRAME_INLINE.match(text) if "[inline]" in text else None
    if m:
        return Frame(function=m["func"], source=m["src"], inline=True, stack=stack, line_no=line_no)
    m = P.FRAME_ARM32.match(text) if bracket else None
    if m:
        return Frame(
            function=m["func"], offset=_hex(m["off"]) if m["off"] else None,
            size=_hex(m["size"]) if m["size"] else None, module=m["mod"], address=_hex(m["addr"]),
            stack=stack, line_no=line_no, caller=m["caller"],
        )
    m = P.FRAME_ARM32_NEW.match(text) if " from " in text else None
    if m:
        return Frame(function=m["func"], module=m["mod"], stack=stack, line_no=line_no)
    m = P.FRAME_ADDR_ONLY.match(text) if bracket else None
    if m:
        addr = m["addr"].strip()
        func = m["func"]
        if addr == "(null)":
            return Frame(function="(null)", stack=stack, line_no=line_no)
        if func:
            sm = P.SYMBOL.match(func)
            if sm:
                return Frame(function=sm["func"], offset=_hex(sm["off"]), size=_hex(sm["size"]),
                             module=sm["mod"], address=_hex(addr), stack=stack, line_no=line_no)
        return Frame(function=func if func and func != "(null)" else None, address=_hex(addr),
                     stack=stack, line_no=line_no)
    return None


def _symbol_or_address(value: str, stack: str, line_no: int) -> Frame | None:
    """A pc/lr value as a frame (every report has two: ``_new_frame``, not ``Frame(...)``)."""
    value = value.strip()
    m = P.SYMBOL.match(value)
    if m:
        func, off, size, mod = m.group("func", "off", "size", "mod")
        return _new_frame(func, int(off, 16), int(size, 16), mod, None, None, False, None, stack, line_no)
    m = P.HEX_ONLY.match(value)
    if m:
        return _new_frame(None, None, None, None, int(m["v"], 16), None, False, None, stack, line_no)
    if value and " " not in value and len(value) < 200:
        return _new_frame(value, None, None, None, None, None, False, None, stack, line_no)
    return None


@dataclass
class _Context:
    """Per-log facts printed outside any report (boot lines), attached to every report."""

    kernel_version: str | None = None
    build: str | None = None
    hardware: str | None = None
    hyp_va_start: int | None = None
    hyp_va_end: int | None = None
    idmap_page: int | None = None
    initialized: bool = False
    mode: str | None = None
    ipa_limit: int | None = None
    vmid_bits: int | None = None
    arch: str | None = None  # the arch of the last report of this log that had evidence of one

    def feed(self, text: str) -> None:
        if not (text.startswith(("Linux version", "kvm [", "Machine model", "OF: fdt: Machine"))):
            return
        for name, rx in P.CONTEXT:
            m = rx.match(text)
            if m is None:
                continue
            if name == "linux_version":
                self.kernel_version = m["ver"]
                b = re.search(r"#\d.{0,200}$", m["rest"])
                self.build = b.group(0) if b else None
            elif name == "machine":
                self.hardware = m["v"]
            elif name == "kvm_vmid":
                self.vmid_bits = int(m["v"])
            elif name == "kvm_idmap":
                self.idmap_page = _hex(m["v"])
            elif name == "kvm_va":
                self.hyp_va_start, self.hyp_va_end = _hex(m["lo"]), _hex(m["hi"])
            elif name == "kvm_ipa":
                self.ipa_limit = int(m["v"])
            elif name == "kvm_init":
                self.initialized = True
                mode = (m["mode"] or "").lower()
                self.mode = "vhe" if mode == "vhe" else "protected" if "protected" in mode else "nvhe"
            return

    def has_kvm(self) -> bool:
        return self.initialized or self.hyp_va_start is not None or self.vmid_bits is not None \
            or self.ipa_limit is not None or self.idmap_page is not None


@dataclass(slots=True)
class _Builder:
    first: int
    kind: Kind | None = None
    last: int = 0
    slots: set[str] = field(default_factory=set)
    fmts: set[str] = field(default_factory=set)  # the formats of the headers taken
    phase: str = "head"  # head -> body -> after -> stopping
    trace: str | None = None  # None, "task", "hyp", "aux", "secondary"
    ended: bool = False
    sealed: bool = False
    idle: int = 0
    lines: list[Line] = field(default_factory=list)
    header_arch: str | None = None  # formats.Format.arch of a header only one architecture prints
    message: str | None = None
    internal: str | None = None
    header_func: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)
    cpu: int | None = None
    pid: int | None = None
    comm: str | None = None
    tainted: str | None = None
    kernel_version: str | None = None
    build: str | None = None
    hardware: str | None = None
    modules: tuple[str, ...] | None = None
    esr: int | None = None
    far: int | None = None
    pc: Frame | None = None
    lr: Frame | None = None
    sp: int | None = None
    pstate: int | None = None
    registers: list[tuple[str, int]] = field(default_factory=list)
    reg_names: set[str] = field(default_factory=set)
    code: tuple[str, ...] = ()
    faulting_code: int | None = None
    frames: list[Frame] = field(default_factory=list)
    hyp_frames: list[Frame] = field(default_factory=list)
    hyp_panic: list[tuple[str, int]] = field(default_factory=list)
    panic_at: Frame | None = None
    bug_file: str | None = None
    bug_line: int | None = None
    hyp_offset: int | None = None
    kernel_offset: int | None = None
    phys_offset: int | None = None
    cpu_features: str | None = None
    elided: int = 0
    dropped: int = 0
    panic_msg_open: bool = False
    cur_stack: str = "task"  # "irq" between <IRQ> markers (x86) or below call_on_irq_stack (arm64)
    opener: Format | None = None  # the format of the header that opened the report
    stamped: bool = False  # the opening header carried a kernel timestamp (or syslog prefix)
    stamped_body: bool = False  # ... and so did a body line (a glued mail wrap alone counts as stamped)
    has_caller: bool = False  # the opening header carried a caller id (CONFIG_PRINTK_CALLER)
    cut: bool = False  # a message with a stack of its own (formats' ``ends``) ended the report's text
    between_frames: bool = False  # only unrecognised lines since the trace's last frame
    syz_fmt: Format | None = None  # the format of the header that titles the report
    syz_header: str = ""  # that header line (from where the header starts)
    syz_end: int = 1 << 62  # line of a later header syzkaller knows: the titled text ends before it
    lock_at: list[Frame] = field(default_factory=list)  # lockdep's "at:" functions, in order
    later: list[Frame] = field(default_factory=list)  # frames of later call traces (other tasks, NMI dumps)
    # The last frames of a call trace longer than MAX_FRAMES: a recursion that hit the stack guard
    # is named by the caller below it (syzkaller reads the whole trace; memory stays bounded).
    tail: deque[Frame] = field(default_factory=lambda: deque(maxlen=MAX_FRAMES))
    rips: list[Frame] = field(default_factory=list)  # every x86 "RIP:" line, in order

    # ---------------------------------------------------------------- helpers
    def _set_kind(self, kind: Kind | None) -> None:
        if kind is not None and (self.kind is None or RANK[kind] > RANK[self.kind]):
            self.kind = kind

    def _keep(self, line: Line, recognised: bool = True) -> None:
        if len(self.lines) < MAX_REPORT_LINES:
            self.lines.append(line)
        if recognised:
            self.last = line.no
            self.idle = 0

    def _fact(self, key: str, value: str) -> None:
        self.facts.setdefault(key, value)

    def _extra(self, key: str, value: str) -> None:
        if len(self.extra) < 200:
            self.extra.append((key, value))

    def idling(self) -> bool:
        """Would an ordinary line (stamped, no header, context, body, note or frame shape, not
        elided, not starting with "<") only add one to ``idle``?  True after the report's text is
        over (``feed``'s "ended or after" branch) while no trace, stop dump or HYP panic message
        is open: ``parser._with_skips`` then counts runs of such lines instead of feeding them."""
        return (not self.sealed and self.trace is None and self.phase != "stopping" and not self.panic_msg_open
                and (self.ended or self.phase == "after"))

    def joinable(self) -> bool:
        return not self.sealed and (not self.ended or self.idle <= JOIN_WINDOW)

    def can_take(self, header: P.Header) -> bool:
        if self.sealed or self.ended:
            return False
        if header.slot in self.slots:
            if header.fmt.inside and self.phase == "head" and header.fmt.name not in self.fmts:
                return True  # printed inside another report (a double fault during a page fault's)
            # A symbolized header names the inlined function first ("BUG: KASAN: ... in f
            # include/x.h:12 [inline]") and repeats itself for the caller on the next line.
            return (self.phase == "head" and bool(self.lines) and self.lines[-1].text.endswith("[inline]")
                    and header.fmt is self.syz_fmt)
        if self.phase == "head":
            return True
        # 4.x "Bad mode"/SError print registers before "Internal error: Oops - bad mode".
        return header.slot == "internal" and not self.frames

    # ---------------------------------------------------------------- headers
    def _title_from(self, header: P.Header, m: re.Match[str], line: Line) -> None:
        """The first header syzkaller knows titles the report (else the first one titled at all)."""
        f = header.fmt
        if (f.syz and not f.inside and self.syz_fmt is not None and self.syz_fmt.syz and not self.has_caller
                and self.syz_end > line.no):
            self.syz_end = line.no  # syzkaller's title reads the text before another report's header
        if f.titles and (self.syz_fmt is None or (f.syz and not self.syz_fmt.syz)):
            self.syz_fmt, self.syz_header = f, m.string

    def take_header(self, header: P.Header, m: re.Match[str], line: Line) -> None:
        self._title_from(header, m, line)
        if header.fmt.arch is not None and self.header_arch is None:
            self.header_arch = header.fmt.arch
        self.slots.add(header.slot)
        self.fmts.add(header.fmt.name)
        self._set_kind(header.kind)
        g = m.groupdict()
        slot = header.slot
        if slot == "fault":
            self.message = self.message or line.text
            if g.get("addr"):
                self._fact("fault", g["msg"])
                if self.far is None:
                    self.far = _hex(g["addr"])
                if len(g["addr"]) == 8:
                    self._extra("address_width", "32")
            else:
                self._fact("fault", ("unhandled fault: " + g["msg"]).strip())
        elif slot == "internal":
            self.internal = g["what"]
            what = g["what"]
            if what.startswith("Oops - BUG"):
                self._set_kind(Kind.BUG)
            elif "alignment" in what:
                self._set_kind(Kind.ALIGNMENT)
            elif "bad mode" in what:
                self._set_kind(Kind.BAD_MODE)
            err = _hex(g["err"])
            if P.ARM32_HINT.search(g["flags"] or ""):
                self._fact("fsr", g["err"])  # 32-bit ARM prints the FSR here, not an ESR
            elif self.esr is None and err != 0 and self.kind not in (Kind.BAD_MODE,):
                self.esr = err
            self._fact("die", what)
        elif slot == "bug":
            self._fact("bug_file", g["file"])
        elif slot == "warning":
            func = g.get("func") or ""
            fm = P.SYMBOL.match(func)
            self.header_func = fm["func"] if fm else func.rstrip("()") or None
            self._fact("warn_loc", g["loc"])
            if g.get("cpu") and self.cpu is None:
                self.cpu = int(g["cpu"])
            if g.get("pid") and self.pid is None:
                self.pid = int(g["pid"])
            if g.get("comm") and self.comm is None:
                self.comm = g["comm"]
        elif slot == "kasan":
            self._fact("type", g.get("type") or g.get("what") or "")
            if g.get("loc"):
                self._fact("ubsan_loc", g["loc"])
            if g.get("func"):
                fm = P.SYMBOL.match(g["func"])
                self.header_func = fm["func"] if fm else g["func"]
        elif slot == "lockup":
            if g.get("cpu") is not None and self.cpu is None:
                self.cpu = int(g["cpu"])
            if g.get("comm") and self.comm is None:
                self.comm, self.pid = g["comm"], int(g["pid"])
            if g.get("secs"):
                self._fact("stuck_seconds", g["secs"])
        elif slot == "stall":
            self._fact("rcu_flavor", g["flavor"])
        elif slot == "hung":
            self.comm, self.pid = g["comm"], int(g["pid"])
            self._fact("blocked_seconds", g["secs"])
        elif slot == "lockdep":
            self._fact("lockdep", g.get("what") or line.text)
        elif slot == "cause":
            self.message = self.message or line.text
            fn = g.get("fn") or g.get("fn2")
            if fn:
                self._fact("fortify_func", fn)
                if header.kind is Kind.FORTIFY and self.header_func is None:
                    self.header_func = fn  # the checked function (memcpy...): blamed only if no caller is known
        elif slot == "serror" or slot == "badmode":
            if self.esr is None:
                self.esr = _hex(g["esr"])
            if g.get("cpu") and self.cpu is None:
                self.cpu = int(g["cpu"])
            if slot == "badmode":
                self._fact("handler", g["handler"])
            self.message = self.message or line.text
        elif slot == "stackovf":
            self.message = self.message or line.text
        elif slot == "slub":
            self._fact("slab_cache", g["cache"])
            self._fact("other", "slab " + g["what"].strip())
            self.message = self.message or line.text
        elif slot == "other":
            self._fact("other", g.get("what") or line.text)
            self.message = self.message or line.text
        elif slot in ("trap", "leak", "reboot", "syz", "warnx"):
            self.message = self.message or line.text
        elif slot == "hyp":
            self._take_hyp(g, line)
        self._keep(line)

    def _take_hyp(self, g: _Groups, line: Line) -> None:
        if "what" not in g or g.get("what") is None:
            self._fact("hyp_invalid", "1")
            self.message = self.message or P.KVM_PREFIX.sub("", line.text)
            return
        what = g["what"] or "panic"
        where = g.get("where") or ""
        self._fact("hyp_what", what)
        self.message = self.message or P.KVM_PREFIX.sub("", line.text)
        raw_addr = g.get("addr")
        addr = _hex(raw_addr) if raw_addr else None
        sm = P.SYMBOL.match(where)
        if sm:
            self.panic_at = Frame(function=sm["func"], offset=_hex(sm["off"]), size=_hex(sm["size"]),
                                  module=sm["mod"], address=addr, stack="hyp", line_no=line.no)
            self._fact("hyp_func", sm["func"])
        elif what == "BUG" and addr is None and ":" in where:
            file, _, num = where.rpartition(":")
            self.bug_file, self.bug_line = file, int(num) if num.isdigit() else None
            self._fact("hyp_file", file)
        else:
            hm = P.HEX_ONLY.match(where)
            self.panic_at = Frame(address=addr if addr is not None else (_hex(hm["v"]) if hm else None),
                                  stack="hyp", line_no=line.no)

    def take_panic(self, header: P.Header, m: re.Match[str], line: Line) -> None:
        self._title_from(header, m, line)
        msg = m["msg"].strip()
        self.slots.add("panic")
        self.sealed = False
        self.ended = self.cut  # after a message with its own stack, the panic's dump is not ours
        self._set_kind(Kind.PANIC)
        self._fact("panic", msg)
        if msg.startswith("HYP panic"):
            self._set_kind(Kind.HYP_PANIC)
            self._fact("hyp_what", "panic")
            self.panic_msg_open = True
        elif "stack overflow" in msg:
            self._set_kind(Kind.STACK_OVERFLOW)
        elif msg.startswith("Asynchronous SError Interrupt"):
            self._set_kind(Kind.SERROR)
        if self.kind in (Kind.PANIC, Kind.HYP_PANIC):
            self.message = self.message or msg
        if self.frames:
            self.phase = "after"
        self._keep(line)

    # ---------------------------------------------------------------- body
    def feed(self, line: Line) -> bool:
        """Consume a non-header line; False when the report is over."""
        text = line.text
        if line.elided:
            self.elided += 1
            self._keep(line)
            return True
        if self.sealed:
            return False
        if line.stamped:
            self.stamped_body = self.stamped
        elif self.stamped_body:
            # In a timestamped report a line without the prefix is another program writing to the
            # console (syz-fuzzer's "executing program", a shell): no part of the report, and no
            # reason to end it (syzkaller keeps only the lines of the header's console context).
            return True
        if text[:1] == "<":
            mm = _MARKER_THEN_FRAME.match(text)
            if mm is not None:  # x86 "<EOI>  [<ffffffff8111a2a9>] f+0x59/0x60": the marker, then a frame
                marker = mm.group(1)
                self.cur_stack = "task" if marker.startswith("/") or marker in ("TASK", "EOI") else marker.lower()
                text = text[mm.end():]
        trace = self.trace
        tried = False  # _frame_from already said "no frame"
        if (trace == "task" or trace == "secondary" or trace == "aux") and self.phase != "stopping" and text:
            # Fast path: inside a call trace most lines are frames.
            tried = True
            if trace == "task" and len(self.frames) < MAX_FRAMES:
                fr = _frame_from(text, self.cur_stack, line.no)
                if fr is not None:
                    self.take_trace_frame(fr, line)
                    return True
            elif _is_frame(text):
                if trace == "task":  # past MAX_FRAMES: the trace's last frames (a deep recursion's callers)
                    fr = _frame_from(text, self.cur_stack, line.no)
                    if fr is not None:
                        self.tail.append(fr)
                elif len(self.later) < MAX_FRAMES:
                    fr = _frame_from(text, self.cur_stack, line.no)
                    if fr is not None:
                        self.later.append(fr)  # titles look for the interrupted task's frames here
                self._keep(line)
                return True
        name, m = self._match_body(text)
        if self.phase == "stopping":
            if name in _TAIL:
                self._body(name, m, line)
            else:
                self._keep(line, recognised=name is not None or bool(_NOTE.match(text)))
            return True
        # Frames
        if name is None and self.trace is None and self.frames and text[:2] == "[<" and _is_arm32_frame(text):
            # 32-bit ARM's dump_stack() prints no "Backtrace:" line: another stack begins (the
            # stalled CPU's NMI backtrace after a task dump), read by titles like a later trace.
            self.trace = "secondary"
            fr = _frame_from(text, self.cur_stack, line.no)
            if fr is not None and len(self.later) < MAX_FRAMES:
                self.later.append(fr)
            self._keep(line)
            return True
        implicit = name is None and not self.frames and self.trace is None and (
            self.kind in _IMPLICIT_TRACE or _is_arm32_frame(text)
        )
        if self.trace is not None or implicit:
            stack = "hyp" if self.trace == "hyp" else "task"
            fr = None
            if self.trace == "hyp":
                hm = P.FRAME_HYP.match(text)
                if hm:
                    fr = _symbol_or_address(hm["sym"], "hyp", line.no)
                    if fr is not None:
                        fr = Frame(function=fr.function, offset=fr.offset, size=fr.size, module=fr.module,
                                   address=_hex(hm["addr"]), stack="hyp", line_no=line.no)
            elif name is None and not tried:
                fr = _frame_from(text, stack, line.no)
            if fr is not None:
                if self.trace == "hyp":
                    if len(self.hyp_frames) < MAX_FRAMES:
                        self.hyp_frames.append(fr)
                elif self.trace in (None, "task") and len(self.frames) < MAX_FRAMES:
                    self.trace = "task"
                    self._add_frame(fr)
                self._keep(line)
                return True
            if name is None and self.trace == "task" and self.frames and text and self.between_frames \
                    and not text.startswith("---["):
                pass  # other CPUs' lines printed between two frames: the trace goes on
            elif self.trace == "task" and name not in _IN_TRACE_OK and self.frames and text:
                self.trace = None
                if self.phase in ("head", "body"):
                    self.phase = "after"
            elif name is not None:
                self.between_frames = False
        if self.panic_msg_open and name not in ("hyp_ps", "hyp_far", "hyp_vcpu") and text:
            self.panic_msg_open = False
        if name is None:
            if text and _NOTE.match(text):
                self._keep(line)
                return True
            if not self.ended and self.trace is None and not tried and text and _is_frame(text):
                # A stack printed without a "Call Trace:" line (lockdep's "... at:" traces,
                # stack_trace_print()): report content, kept for the titles that read it.
                fr = _frame_from(text, self.cur_stack, line.no)
                if fr is not None and len(self.later) < MAX_FRAMES:
                    self.later.append(fr)
                self._keep(line)
                return True
            if self.ended or self.phase == "after":
                self.idle += 1
                return self.idle <= IDLE_LIMIT
            self.idle += 1
            self._keep(line, recognised=False)
            return self.idle <= IDLE_LIMIT
        if self.ended and name not in _TAIL:
            self.idle += 1
            return self.idle <= JOIN_WINDOW
        self._body(name, m, line)
        return True

    def takes_trace_frames(self) -> bool:
        """Would a frame line go to ``take_trace_frame`` (``feed``'s fast path)?  Then
        ``parser._with_skips`` may read a run of plain frame lines itself."""
        return (self.trace == "task" and self.phase != "stopping" and not self.sealed
                and len(self.frames) < MAX_FRAMES)

    def takes_body(self) -> bool:
        """Would a body line (not a frame, not a _TAIL row) go to ``take_body`` (``feed``
        with no trace open, the text not over, not stopping)?"""
        return self.trace is None and not self.ended and not self.sealed and self.phase != "stopping"

    def take_body(self, name: str, line: Line) -> None:
        """A body line of row ``name`` whose handler reads no groups, while ``takes_body``
        (what ``feed`` does with it)."""
        self.panic_msg_open = False
        self._body(name, None, line)

    def take_registers(self, pairs: list[tuple[str, str]], line: Line) -> None:
        """An "xregs" body line whose (name, hex value) pairs are ``pairs``, while ``takes_body``:
        ``take_body("xregs", line)`` with the pairs read by the caller (``_RegisterRun``)."""
        self.panic_msg_open = False
        self._body("xregs", None, line, pairs)

    def take_trace_frame(self, fr: Frame, line: Line) -> None:
        """A frame of the task's call trace (the fast path of ``feed``, and ``_with_skips``'
        body runs): the one place a call trace's frame is taken."""
        self._add_frame(fr)
        if len(self.lines) < MAX_REPORT_LINES:  # _keep(line), inlined
            self.lines.append(line)
        self.last = line.no
        self.idle = 0

    def _match_body(self, text: str) -> tuple[str | None, re.Match[str] | None]:
        if not text:
            return None, None
        return P.match_body(text)

    def _body(self, name: str | None, m: re.Match[str] | None, line: Line,
              pairs: list[tuple[str, str]] | None = None) -> None:
        """Row ``name``'s line (``m`` None: its handler reads no groups, see take_body; ``pairs``:
        an "xregs" line's registers when the caller read them, see take_registers)."""
        if name is None:
            return
        if name in _ENTER_BODY and self.phase == "head":
            self.phase = "body"
        if name == "xregs":  # the most common body line by far: no groups needed
            self._regs(P.XREG.findall(line.text) if pairs is None else pairs)
            self._keep(line)
            return
        handler = _BODY_HANDLERS.get(name)
        if handler is not None:
            handler(self, m.groupdict() if m is not None else {}, line)
        self._keep(line)

    def _on_trace_start(self, g: _Groups, line: Line) -> None:
        if self.phase == "stopping" or self.frames:
            self.trace = "secondary"
        else:
            self.trace = "task"
        if self.phase == "head":
            self.phase = "body"

    def _on_hyp_trace_start(self, g: _Groups, line: Line) -> None:
        self.trace = "hyp"

    def _on_hyp_trace_end(self, g: _Groups, line: Line) -> None:
        self.trace = None

    def _on_hyp_offset(self, g: _Groups, line: Line) -> None:
        self.hyp_offset = _hex(g["v"])

    def _on_hyp_cfi(self, g: _Groups, line: Line) -> None:
        self._fact("cfi_target", g["sym"])
        self._fact("cfi_type", "0x" + g["type"])

    def _on_end_trace(self, g: _Groups, line: Line) -> None:
        self.ended = True
        self.trace = None

    def _on_end_panic(self, g: _Groups, line: Line) -> None:
        self.sealed = True

    def _on_cpu(self, g: _Groups, line: Line) -> None:
        if self.cpu is None:
            self.cpu = int(g["cpu"])
        if self.pid is None:
            self.pid = int(g["pid"])
        if self.comm is None:
            self.comm = g["comm"]
        if self.tainted is None:
            self.tainted = " ".join((g.get("taint") or "").split())
        if self.kernel_version is None and g.get("ver"):
            self.kernel_version = g["ver"]
            self.build = (g.get("build") or "").strip() or None

    def _on_taint_ver(self, g: _Groups, line: Line) -> None:
        if self.kernel_version is None:
            self.kernel_version = g["ver"]
            self.build = (g.get("build") or "").strip() or None

    def _on_taint_line(self, g: _Groups, line: Line) -> None:
        self._fact("taint_flags", g["flags"])

    def _on_hardware(self, g: _Groups, line: Line) -> None:
        self.hardware = self.hardware or g["v"].strip()

    def _on_modules(self, g: _Groups, line: Line) -> None:
        if self.modules is None:
            # print_modules() (kernel/module/main.c) ends the list with " [last unloaded: name]":
            # that module is no longer loaded.
            self.modules = tuple(g["v"].split("[last unloaded:", 1)[0].split())[:500]

    def _on_workqueue(self, g: _Groups, line: Line) -> None:
        self._fact("workqueue", g["v"])

    def _on_process(self, g: _Groups, line: Line) -> None:
        if self.comm is None:
            self.comm, self.pid = g["comm"], int(g["pid"])

    def _on_pstate(self, g: _Groups, line: Line) -> None:
        if self.pstate is None:
            self.pstate = _hex(g["v"])

    def _on_pc(self, g: _Groups, line: Line) -> None:  # "pc : f+0x1/0x2" and 4.x "PC is at f+0x1/0x2"
        if self.pc is None:
            self.pc = _symbol_or_address(g["v"], "task", line.no)

    def _on_lr(self, g: _Groups, line: Line) -> None:  # "lr : ..." and "LR is at ..."
        if self.lr is None:
            self.lr = _symbol_or_address(g["v"], "task", line.no)

    def _on_sp(self, g: _Groups, line: Line) -> None:
        if self.sp is None:
            self.sp = _hex(g["v"])
            if g.get("ps") and self.pstate is None:
                self.pstate = _hex(g["ps"])

    def _on_old_sp32(self, g: _Groups, line: Line) -> None:
        if self.sp is None:
            self.sp = _hex(g["sp"])

    def _on_xregs(self, g: _Groups, line: Line) -> None:
        self._regs(P.XREG.findall(line.text))

    def _on_rregs(self, g: _Groups, line: Line) -> None:
        self._regs(P.RREG.findall(line.text))

    def _on_pmr(self, g: _Groups, line: Line) -> None:
        self._fact("pmr_save", g["v"])

    def _on_code(self, g: _Groups, line: Line) -> None:
        self._code(g["v"])

    def _on_esr_eq(self, g: _Groups, line: Line) -> None:
        if self.esr is None:
            self.esr = _hex(g["v"])

    def _on_far_colon(self, g: _Groups, line: Line) -> None:
        if self.far is None:
            self.far = _hex(g["v"])

    def _on_mem_abort(self, g: _Groups, line: Line) -> None:
        self._extra("abort", line.text)

    def _on_pgtable(self, g: _Groups, line: Line) -> None:
        self._extra("pgtable", line.text)

    def _on_pgd32(self, g: _Groups, line: Line) -> None:
        self._extra("pgtable", line.text)

    def _on_walk(self, g: _Groups, line: Line) -> None:
        self._extra("walk", g["v"])

    def _on_stack_range(self, g: _Groups, line: Line) -> None:
        self._extra("stack", line.text)

    def _on_hyp_ps(self, g: _Groups, line: Line) -> None:
        self.hyp_panic += [("PS", _hex(g["ps"])), ("PC", _hex(g["pc"])), ("ESR", _hex(g["esr"]))]
        if self.esr is None:
            self.esr = _hex(g["esr"])
        if self.pc is None and self.panic_at is None:
            self.pc = Frame(address=_hex(g["pc"]), stack="hyp", line_no=line.no)
        self._set_kind(Kind.HYP_PANIC)

    def _on_hyp_far(self, g: _Groups, line: Line) -> None:
        self.hyp_panic += [("FAR", _hex(g["far"])), ("HPFAR", _hex(g["hpfar"])), ("PAR", _hex(g["par"]))]
        if self.far is None:
            self.far = _hex(g["far"])

    def _on_hyp_vcpu(self, g: _Groups, line: Line) -> None:
        v = g["vcpu"]
        if re.fullmatch(r"[0-9a-fA-F]{1,16}", v):
            self.hyp_panic.append(("VCPU", _hex(v)))
        else:
            self._fact("vcpu", v)

    def _on_kasan_access(self, g: _Groups, line: Line) -> None:
        self._fact("access", g["acc"])
        if g.get("size"):
            self._fact("access_size", g["size"])
        if self.far is None:
            self.far = _hex(g["addr"])
        if self.comm is None:
            self.comm, self.pid = g["comm"], int(g["pid"])

    def _on_kfence_access(self, g: _Groups, line: Line) -> None:
        self._fact("access", g["acc"].capitalize())
        if self.far is None:
            self.far = _hex(g["addr"])

    def _on_slub_site(self, g: _Groups, line: Line) -> None:
        self._fact("slab_" + g["which"].lower() + "_in", g["func"])
        self.trace = "aux"

    def _on_slub_dump(self, g: _Groups, line: Line) -> None:
        self.trace = None

    def _on_slub_fix(self, g: _Groups, line: Line) -> None:
        self.ended = True
        self.trace = None

    def _on_aux_stack(self, g: _Groups, line: Line) -> None:
        # page_owner's stacks come before the report's own call trace
        if self.frames or self.kind in (Kind.LOCKDEP,) or line.text.startswith("page last "):
            self.trace = "aux"

    def _on_stack_trace_kasan_end(self, g: _Groups, line: Line) -> None:
        if self.kind in (Kind.KASAN, Kind.KFENCE, Kind.UBSAN, Kind.LOCKDEP) and self.phase != "head":
            self.ended = True
            self.trace = None

    def _on_smp_stop(self, g: _Groups, line: Line) -> None:
        self.phase = "stopping"
        self.trace = None

    def _on_kernel_offset(self, g: _Groups, line: Line) -> None:
        if self.kernel_offset is None:
            self.kernel_offset = 0 if g["v"] == "disabled" else _hex(g["v"][2:])

    def _on_phys_offset(self, g: _Groups, line: Line) -> None:
        self.phys_offset = self.phys_offset if self.phys_offset is not None else _hex(g["v"])

    def _on_cpu_features(self, g: _Groups, line: Line) -> None:
        self.cpu_features = self.cpu_features or g["v"]

    def _on_lockdep_ver(self, g: _Groups, line: Line) -> None:
        if self.kind is Kind.LOCKDEP and self.kernel_version is None:
            self.kernel_version, self.build = g["ver"], g["build"]

    def _on_lockdep_task(self, g: _Groups, line: Line) -> None:
        if self.kind is Kind.LOCKDEP and self.comm is None:
            self.comm, self.pid = g["comm"], int(g["pid"])

    def _on_lockdep_at(self, g: _Groups, line: Line) -> None:
        if len(self.lock_at) < 8:
            self.lock_at.append(Frame(function=g["func"], line_no=line.no))
        if self.kind is Kind.LOCKDEP and self.header_func is None:
            self.header_func = g["func"]  # where the lock was being taken

    def _on_irq_marker(self, g: _Groups, line: Line) -> None:
        marker = g["v"]
        self.cur_stack = "task" if marker.startswith("/") or marker == "TASK" else marker.lower()

    def _on_other_pc(self, g: _Groups, line: Line) -> None:
        # powerpc's "NIP [...]"/"--- interrupt: N at" (arch/powerpc/kernel/process.c), riscv's
        # "epc : " (arch/riscv/kernel/process.c): their arch is a row of console/arches.py.
        self._on_pc(g, line)

    def _on_riscv_status(self, g: _Groups, line: Line) -> None:
        if not self.frames and self.trace is None:
            self.trace = "task"  # the stack follows the register dump directly

    def _on_x86_rip(self, g: _Groups, line: Line) -> None:
        rip = _symbol_or_address(g["v"], "task", line.no)
        if rip is not None and len(self.rips) < MAX_FRAMES:
            self.rips.append(rip)
        if self.pc is None:
            self.pc = rip

    def _on_ubsan_detail(self, g: _Groups, line: Line) -> None:
        if self.kind is not Kind.UBSAN:
            return
        self.message = self.message or line.text

    def _old_pc(self, g: dict[str, str | None], line: Line) -> None:
        pc_addr, lr_addr = _hex(g["pc"] or "0"), _hex(g["lr"] or "0")
        if self.pstate is None and g.get("ps"):
            self.pstate = _hex(g["ps"] or "0")
        for attr, addr in (("pc", pc_addr), ("lr", lr_addr)):
            cur: Frame | None = getattr(self, attr)
            if cur is None:
                setattr(self, attr, Frame(address=addr, stack="task", line_no=line.no))
            elif cur.address is None:
                setattr(self, attr, Frame(function=cur.function, offset=cur.offset, size=cur.size,
                                          module=cur.module, address=addr, stack="task", line_no=cur.line_no))

    def _add_frame(self, fr: Frame) -> None:
        self.between_frames = True
        if fr.stack != self.cur_stack:
            fr = replace(fr, stack=self.cur_stack)
        if fr.function == "call_on_irq_stack":
            # arm64 prints the IRQ stack first, then the task frame that switched to it.
            for i in range(len(self.frames) - 1, -1, -1):
                if self.frames[i].stack != "task":
                    break
                self.frames[i] = replace(self.frames[i], stack="irq")
        self.frames.append(fr)

    def _regs(self, pairs: list[tuple[str, str]]) -> None:
        for reg, val in pairs:
            if reg in self.reg_names or len(self.registers) >= 64:
                continue
            self.reg_names.add(reg)
            self.registers.append((reg, _hex(val)))

    def _code(self, value: str) -> None:
        if self.code:
            return
        words: list[str] = []
        for i, tok in enumerate(value.split()[:64]):
            w = tok.strip("()<>")
            if not re.fullmatch(r"[0-9a-fA-F?]{4,8}", w):
                self._fact("code_note", value)
                return
            if tok.startswith(("(", "<")):
                self.faulting_code = i
            words.append(w)
        self.code = tuple(words)

    def _confirmed(self) -> bool:
        """False when the report is only a header whose format's ``confirm`` line did not follow."""
        op = self.opener
        if op is None or op.confirm_rx is None or self.slots != {op.slot}:
            return True
        return len(self.lines) > 1 and op.confirm_rx.match(self.lines[1].text) is not None

    # ---------------------------------------------------------------- result
    def _arch(self, ctx: _Context, texts: tuple[str, ...]) -> tuple[str, str]:
        """The report's architecture and where it came from: its own lines (console/arches.py),
        else an earlier report of the same log (one log, one machine), else the default arm64."""
        arch = evidence_of(texts, self.header_arch).best()
        if arch is not None:
            ctx.arch = arch
            return arch, "report"
        if ctx.arch is not None:
            return ctx.arch, "log"
        return "arm64", "default"

    # ---------------------------------------------------------------- result
    def finish(self, ctx: _Context, at_eof: bool) -> Report | None:
        if self.kind is None or not self._confirmed():
            return None
        frames = tuple(self.hyp_frames) + tuple(self.frames)
        pc = self.pc
        if self.panic_at is not None and (pc is None or pc.stack == "hyp"):
            hyp_pc = next((v for k, v in self.hyp_panic if k == "PC"), None)
            pa = self.panic_at
            pc = Frame(function=pa.function, offset=pa.offset, size=pa.size, module=pa.module,
                       address=hyp_pc if hyp_pc is not None else pa.address, stack="hyp", line_no=pa.line_no)
        texts = tuple(map(_TEXT, self.lines))
        joined = "\n".join(texts)  # once for the per-report scans (syzkaller's report regexps, files)
        arch, arch_from = self._arch(ctx, texts)
        corrupted = None
        if not frames and not self.registers and not self.hyp_panic and pc is None:
            corrupted = "truncated: no register dump or call trace"
        elif arch == "arm64" and not frames:  # x registers counted only here: most reports have a trace
            xregs = sum(1 for r, _ in self.registers if r.startswith("x"))
            if 0 < xregs < EXPECTED_XREGS:
                corrupted = f"truncated: register dump incomplete ({xregs} of {EXPECTED_XREGS} x registers)"
        extra = list(self.extra)
        if arch_from != "report":
            extra.append(("arch_from", arch_from))
        if self.elided:
            extra.append(("elided_lines", str(self.elided)))
        if self.dropped:
            extra.append(("interleaved_lines_dropped", str(self.dropped)))
        for key in ("panic", "die", "workqueue", "taint_flags", "access", "access_size", "type", "bug_file",
                    "warn_loc", "ubsan_loc", "stuck_seconds", "blocked_seconds", "rcu_flavor", "lockdep",
                    "handler", "code_note", "pmr_save", "cfi_target", "cfi_type", "vcpu", "other", "fortify_func", "fsr",
                    "slab_cache", "slab_allocated_in", "slab_freed_in"):
            if key in self.facts:
                extra.append((key, self.facts[key]))
        kvm: KvmInfo | None = None
        if ctx.has_kvm() or self.hyp_panic or self.panic_at or self.hyp_offset is not None or self.bug_file:
            kvm = _new_record(KvmInfo, dict(
                hyp_va_start=ctx.hyp_va_start, hyp_va_end=ctx.hyp_va_end, idmap_page=ctx.idmap_page,
                initialized=ctx.initialized, mode=ctx.mode, ipa_limit=ctx.ipa_limit, vmid_bits=ctx.vmid_bits,
                hyp_offset=self.hyp_offset, panic=tuple(self.hyp_panic), panic_at=self.panic_at,
                bug_file=self.bug_file, bug_line=self.bug_line,
            ))
        facts = dict(self.facts)
        headline = facts.get("fault") if self.kind is Kind.OOPS else self.message if self.kind is Kind.PANIC else None
        title = build_title(self.kind, message=headline,
                            internal=self.internal, header_func=self.header_func, pc=pc, frames=frames,
                            facts=facts)
        if self.kind is Kind.OOPS and headline and headline.startswith("unhandled fault"):
            title = title.replace("BUG: unable to handle kernel unhandled fault", "Unhandled fault", 1)
        syz = None
        if self.syz_fmt is not None:
            end = self.syz_end  # frames printed before line ``end`` (comprehensions: no call per frame)
            t_frames = (*self.frames, *self.tail) if end > self.last else tuple(
                [f for f in (*self.frames, *self.tail) if f.line_no < end])
            syz = syz_title(self.syz_fmt, self.syz_header,
                            self.lines if end > self.last else [ln for ln in self.lines if ln.no < end], facts,
                            joined=joined if end > self.last else "",
                            header_func=self.header_func, lock_at=tuple([f for f in self.lock_at if f.line_no < end]),
                            pc=pc if pc is None or pc.line_no < end else None, frames=t_frames,
                            has_trace=any(f.line_no < end for f in self.frames),
                            everything=tuple(sorted([f for f in (*self.frames, *self.tail, *self.later, *self.rips)
                                                     if f.line_no < end], key=_LINE_NO))
                            if self.syz_fmt.name in _READS_EVERYTHING else ())
        entry = _exception_entry(frames)
        last = max(self.last, self.first)
        kept = self.lines
        if not kept or kept[-1].no > last:  # line numbers only grow: else all of them
            kept = [ln for ln in kept if ln.no <= last]
            lines = tuple(map(_TEXT, kept))
            kept_joined = None
        else:
            lines = texts
            kept_joined = joined
        line_nos = tuple(map(_NO, kept))
        return _new_record(Report, dict(
            kind=self.kind.value, title=syz.title if syz else title, span=(self.first, last), arch=arch,
            corrupted=(corrupted if syz is None or syz.expects_trace else None) or (syz.corrupted if syz else None),
            headline=title,
            alt_titles=syz.alt_titles if syz else (), type=syz.type if syz else "",
            panicked="panic" in self.slots, guilty=syz.guilty if syz else None,
            guilty_file=guilty_file(syz.title if syz else title, lines, kept_joined),
            kernel_version=self.kernel_version or ctx.kernel_version,
            build=self.build if self.kernel_version else ctx.build,
            hardware=self.hardware or ctx.hardware, cpu=self.cpu, pid=self.pid, comm=self.comm,
            tainted=self.tainted, modules=self.modules or (), message=self.message, esr=self.esr, far=self.far,
            pc=pc, lr=self.lr, sp=self.sp, pstate=self.pstate, registers=tuple(self.registers), code=self.code,
            faulting_code=self.faulting_code, call_trace=frames, exception_entry=entry, kvm=kvm,
            kernel_offset=self.kernel_offset, phys_offset=self.phys_offset, cpu_features=self.cpu_features,
            lines=lines, line_nos=line_nos, extra=tuple(extra),
        ))


# Body-line handlers, named by the rows of patterns.BODY they handle.
_BODY_HANDLERS: Final[dict[str, Callable[[_Builder, _Groups, Line], None]]] = {
    "trace_start": _Builder._on_trace_start,
    "hyp_trace_start": _Builder._on_hyp_trace_start,
    "hyp_trace_end": _Builder._on_hyp_trace_end,
    "hyp_offset": _Builder._on_hyp_offset,
    "hyp_cfi": _Builder._on_hyp_cfi,
    "end_trace": _Builder._on_end_trace,
    "end_panic": _Builder._on_end_panic,
    "cpu": _Builder._on_cpu,
    "cpu_old": _Builder._on_cpu,
    "taint_ver": _Builder._on_taint_ver,
    "taint_line": _Builder._on_taint_line,
    "hardware": _Builder._on_hardware,
    "modules": _Builder._on_modules,
    "workqueue": _Builder._on_workqueue,
    "process": _Builder._on_process,
    "pstate": _Builder._on_pstate,
    "pc": _Builder._on_pc,
    "lr": _Builder._on_lr,
    "pc_is_at": _Builder._on_pc,
    "lr_is_at": _Builder._on_lr,
    "old_pc": _Builder._old_pc,
    "sp": _Builder._on_sp,
    "old_sp32": _Builder._on_old_sp32,
    "xregs": _Builder._on_xregs,
    "rregs": _Builder._on_rregs,
    "pmr": _Builder._on_pmr,
    "code": _Builder._on_code,
    "esr_eq": _Builder._on_esr_eq,
    "esr_colon": _Builder._on_esr_eq,
    "far_colon": _Builder._on_far_colon,
    "mem_abort": _Builder._on_mem_abort,
    "abort_field": _Builder._on_mem_abort,
    "pgtable": _Builder._on_pgtable,
    "pgd32": _Builder._on_pgd32,
    "walk": _Builder._on_walk,
    "stack_range": _Builder._on_stack_range,
    "hyp_ps": _Builder._on_hyp_ps,
    "hyp_far": _Builder._on_hyp_far,
    "hyp_vcpu": _Builder._on_hyp_vcpu,
    "kasan_access": _Builder._on_kasan_access,
    "kfence_access": _Builder._on_kfence_access,
    "slub_site": _Builder._on_slub_site,
    "slub_dump": _Builder._on_slub_dump,
    "slub_fix": _Builder._on_slub_fix,
    "aux_stack": _Builder._on_aux_stack,
    "stack_trace_kasan_end": _Builder._on_stack_trace_kasan_end,
    "smp_stop": _Builder._on_smp_stop,
    "kernel_offset": _Builder._on_kernel_offset,
    "phys_offset": _Builder._on_phys_offset,
    "cpu_features": _Builder._on_cpu_features,
    "lockdep_ver": _Builder._on_lockdep_ver,
    "lockdep_task": _Builder._on_lockdep_task,
    "lockdep_at": _Builder._on_lockdep_at,
    "irq_marker": _Builder._on_irq_marker,
    "x86_rip": _Builder._on_x86_rip,
    "other_pc": _Builder._on_other_pc,
    "riscv_status": _Builder._on_riscv_status,
    "ubsan_detail": _Builder._on_ubsan_detail,
}


# The formats with a title variant that reads every frame in line order (titles.READS_EVERYTHING):
# the other formats' reports need not sort their frames.
_READS_EVERYTHING: Final = frozenset(f.name for f in FORMATS if any(t.frame in READS_EVERYTHING for t in f.titles))
_TEXT: Final = attrgetter("text")
_NO: Final = attrgetter("no")
_LINE_NO: Final = attrgetter("line_no")


def _exception_entry(frames: tuple[Frame, ...]) -> str | None:
    """The first EL1 exception-entry frame, else the first entry frame of any kind."""
    other = None
    for f in frames:
        fn = f.function
        if fn and fn[:1] in "e_" and _is_entry(fn):  # ENTRY names start with "el" or "__"
            if fn.startswith("el1"):
                return fn
            if other is None:
                other = fn
    return other


@functools.lru_cache(maxsize=100_000)  # a log repeats its names; bounded
def _is_entry(fn: str) -> bool:
    return ENTRY.match(fn) is not None


def _exception_entry_plain(frames: tuple[Frame, ...]) -> str | None:
    """``_exception_entry`` matching each name each time (the reference of the tests)."""
    other = None
    for f in frames:
        fn = f.function
        if fn and fn[:1] in "e_" and ENTRY.match(fn):
            if fn.startswith("el1"):
                return fn
            if other is None:
                other = fn
    return other


_NONE: Final[list[Report]] = []  # shared "no report completed" answer (never appended to)
_ENTER_BODY: Final = frozenset(("cpu", "cpu_old", "pstate", "pc", "xregs", "pc_is_at", "old_pc", "rregs"))
_CONTEXT_FIRST: Final = "LkMO"  # first characters of the lines _Context.feed looks at


MAX_UNKNOWN_ARCH: Final = 64


def _with_arch(r: Report, arch: str) -> Report:
    """A report without evidence given the arch a later report of the same log showed."""
    extra = tuple(("arch_from", "log") if kv == ("arch_from", "default") else kv for kv in r.extra)
    return replace(r, arch=arch, extra=extra)


class Parser:
    """Incremental parser: ``feed`` lines, collect reports as they complete."""

    def __init__(self) -> None:
        self.ctx = _Context()
        self.active: dict[str | None, _Builder] = {}
        self.order: list[str | None] = []  # most recently used last
        self.use_callers = False
        self.last_key: str | None = None
        # Reports without arch evidence, held until a later report of the log has some (one log,
        # one machine) or the log ends; bounded, the oldest let go as they are.
        self.unknown_arch: list[Report] = []
        # Reports closed by a line the caller skipped (parse_blocks' idle runs), given out
        # before the next line is fed: where they would have been given out line by line.
        self.closed: list[Report] = []

    def _touch(self, key: str | None) -> None:
        if key in self.order:
            self.order.remove(key)
        self.order.append(key)

    def _close(self, key: str | None, out: list[Report], at_eof: bool = False) -> None:
        b = self.active.pop(key, None)
        if key in self.order:
            self.order.remove(key)
        if b is not None:
            r = b.finish(self.ctx, at_eof)
            if r is None:
                return
            if ("arch_from", "default") in r.extra:
                self.unknown_arch.append(r)
                if len(self.unknown_arch) > MAX_UNKNOWN_ARCH:
                    out.append(self.unknown_arch.pop(0))
                return
            if self.unknown_arch and ("arch_from", "log") not in r.extra:
                out.extend(_with_arch(u, r.arch) for u in self.unknown_arch)
                self.unknown_arch.clear()
            out.append(r)

    def _start(self, key: str | None, line: Line, header: P.Header, m: re.Match[str]) -> None:
        b = _Builder(first=line.no, last=line.no, opener=header.fmt, stamped=line.stamped,
                     has_caller=line.caller is not None)
        self.active[key] = b
        self._touch(key)
        if header.slot == "panic":
            b.take_panic(header, m, line)
        else:
            b.take_header(header, m, line)

    def feed(self, line: Line) -> list[Report]:
        """Consume one line; the reports it completed (usually none)."""
        text = line.text
        if text[:1] in _CONTEXT_FIRST:
            self.ctx.feed(text)
        caller = line.caller
        if caller is not None:
            self.use_callers = True
            key: str | None = caller
            self.last_key = caller
        else:
            key = self.last_key if self.use_callers else None
        b = self.active.get(key)
        hm = None if line.elided or len(text) < MIN_HEADER else P.match_header(text, b is None)
        if hm is None and b is not None:
            # The common case: a body line of the open report.
            if b.feed(line):
                return _NONE
            out: list[Report] = []
            self._close(key, out)
            return out
        if hm is None and not self.use_callers:
            return _NONE  # no report open and no header: an ordinary line
        out = []
        if b is None and hm is not None and hm[0].slot == "panic":
            # A panic printed from another context still belongs to a fresh report (e.g. SError -> panic).
            for other in reversed(self.order):
                ob = self.active[other]
                if ob.joinable():
                    b, key = ob, other
                    break
        if hm is not None:
            header, m = hm
            if header.fmt.ends:
                if b is not None:  # the report's text is over; a panic it caused may still follow
                    b.ended = b.cut = True
                    b.trace = None
                return out
            if b is not None:
                if header.slot == "panic" and b.joinable():
                    b.take_panic(header, m, line)
                    self._touch(key)
                    return out
                if header.slot != "panic" and b.can_take(header):
                    b.take_header(header, m, line)
                    self._touch(key)
                    return out
                self._close(key, out)
            self._start(key, line, header, m)
            return out
        if b is not None:
            if not b.feed(line):
                self._close(key, out)
            return out
        if self.use_callers and self.order:
            # Another CPU's line: part of a panic's stop dump, or interleaved noise.
            top = self.active[self.order[-1]]
            if top.phase == "stopping":
                top.feed(line)
            elif line.text and not top.ended:
                top.dropped += 1
        return out

    def finish(self) -> list[Report]:
        out: list[Report] = []
        for key in list(self.order):
            self._close(key, out, at_eof=True)
        out.extend(self.unknown_arch)
        self.unknown_arch.clear()
        out.sort(key=lambda r: r.span)
        return out


def parse_clean(lines: Iterable[Line], parser: Parser | None = None) -> Iterator[Report]:
    parser = parser if parser is not None else Parser()
    active = parser.active
    closed = parser.closed
    for line in lines:
        if closed:
            yield from closed
            closed.clear()
        # Parser.feed's common case inlined: a body line of the open report of its caller.
        # (Calling feed for every line instead measured 12-17% slower on bench/parse_bench.py.)
        if not line.elided:
            text = line.text
            caller = line.caller
            key: str | None = caller
            if caller is not None:
                parser.use_callers = True
                parser.last_key = caller
            else:
                key = parser.last_key if parser.use_callers else None
            b = active.get(key)
            if b is not None and text[:1] not in _CONTEXT_FIRST and (len(text) < MIN_HEADER or P.match_header(text) is None):
                if b.feed(line):
                    continue
                done: list[Report] = []
                parser._close(key, done)
                yield from done
                continue
        done = parser.feed(line)  # (methods called by name: the compiled code's native calls)
        if done:
            yield from done
    yield from closed
    closed.clear()
    yield from parser.finish()


def parse_raw(lines: Iterable[str | bytes]) -> Iterator[Report]:
    return parse_clean(clean(lines))


# Literal text every header and context regex needs (formats.PREFILTER, derived from the
# format rows), caller ids, quoted-printable hints, ANSI escapes and carriage returns inside
# a line.  A stamped line with none of them cannot change the parser's state while no report
# is open: it is no header, no context line, sets no caller and is never glued to another.
# (The QP hints "=3D" and a soft break "=", "=20", "=09" at a line end share their "=": one
# regex with that literal first, which sre scans for quickly.)
# (printk's caller ids are ASCII digits, kernel/printk/printk.c: lines.py reads them so.)
_EXTRA_SHAPES: Final = (r"\[\s{0,12}[TC][0-9]{1,8}\]", r"@\d{1,4}\]", r"=(?:3D|(?:20|09)?\r?(?:\n|\Z))", r"\x1b", r"\r(?=[^\n])")
_INTERESTING: Final = re.compile("|".join((*(re.escape(lit) for lit in PREFILTER), *_EXTRA_SHAPES)))
_INTERESTING_QP: Final = re.compile(_INTERESTING.pattern + "|=")  # a QP log decodes every "=XX"
# The same set split for speed: sre finds a pattern that starts with one literal character
# with a fast scan, but tries a whole alternation at every offset (the alternation was most of
# the quiet log's time).  A leftmost match of ``A|B`` starts where the earlier of A's and B's
# leftmost matches starts, so the minimum over the literals (``_Hits``) and the shapes, each
# searched alone, is ``_INTERESTING``'s answer (``_PlainHits``, tests/console/test_fastpath.py).
_EXTRA_PARTS: Final = tuple(re.compile(p) for p in _EXTRA_SHAPES)
_EXTRA_PARTS_QP: Final = (*_EXTRA_PARTS, re.compile("="))


class _PlainHits:
    """The reference for ``_Hits``: one search of ``_INTERESTING`` from every line start."""

    def __init__(self, block: str) -> None:
        self.block = block

    def first(self, start: int, qp: bool) -> int:
        """The smallest offset >= ``start`` where interesting text begins (len(block): none)."""
        m = (_INTERESTING_QP if qp else _INTERESTING).search(self.block, start)
        return m.start() if m is not None else len(self.block)


class _HitsBase:
    """Offsets of the next interesting text in one block: a ``PREFILTER`` literal (found by
    the subclass's ``_literal``) or one of the few non-literal shapes (caller ids, QP, ANSI,
    CR: one small regex each, each answer kept until passed)."""

    def __init__(self, block: str) -> None:
        self.block = block
        self.extra = [-1] * len(_EXTRA_PARTS_QP)

    def _literal(self, start: int) -> int:
        raise NotImplementedError

    def first(self, start: int, qp: bool) -> int:
        """The smallest offset >= ``start`` where interesting text begins (len(block): none)."""
        best = self._literal(start)
        block = self.block
        at = self.extra
        for k, rx in enumerate(_EXTRA_PARTS_QP if qp else _EXTRA_PARTS):
            p = at[k]
            if p < start:
                m = rx.search(block, start)
                at[k] = p = m.start() if m is not None else len(block)
            if p < best:
                best = p
        return best


class _FindHits(_HitsBase):
    """Each literal's next occurrence found with ``str.find`` and kept until passed, so every
    literal scans the block once.  A second reference for ``_Hits`` (tests/console/test_fastpath.py)."""

    def __init__(self, block: str) -> None:
        super().__init__(block)
        self.at = [-1] * len(PREFILTER)

    def _literal(self, start: int) -> int:
        block = self.block
        size = len(block)
        best = size
        at = self.at
        for k, lit in enumerate(PREFILTER):
            p = at[k]
            if p < start:
                p = block.find(lit, start)
                at[k] = p = size if p < 0 else p
            if p < best:
                best = p
        return best


# All PREFILTER literals in one C pass (Aho-Corasick, SIMD-prefiltered) instead of one
# ``str.find`` pass each: the passes were most of the quiet log's time.  Leftmost-first
# matches never hide one that starts on a later line (literals hold no newline), and
# ``first`` is only asked at line starts.
_PREFILTER_AC: Final = ahocorasick_rs.AhoCorasick(list(PREFILTER), matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
# The same over an ASCII block's bytes (a log's usual case; offsets are then the same): a str
# haystack costs ahocorasick-rs a pass of its own to give character offsets (3.7x the time of
# the scan on bytes, encoding included, on the quiet benchmark log).
_PREFILTER_BAC: Final = ahocorasick_rs.BytesAhoCorasick([lit.encode() for lit in PREFILTER],
                                                        matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)


# Where the non-literal shapes can match.  Each match of a shape holds one of its anchors (a
# literal) at most ``back`` characters after the match's start, which is then the last
# ``opener`` before the anchor (the anchor itself when there is no opener: blanks hold no "[").
# One Aho-Corasick scan finds the anchors and a shape's regex is tried only there: each shape
# searched for over the whole block was half of a quiet log's time.  Rows: (anchors, shape
# index in _EXTRA_PARTS_QP, back, opener).  Leftmost-first matching may hide an anchor that
# starts inside another one: only "\r" inside "=\r\n", where it is followed by "\n" and so
# no match of its shape.  The QP hint's matches at the block's end ("=", "=20\r" before \Z)
# are tried apart (``_Hits._tail``); in a QP log every "=" is an anchor of both "=" shapes.
_AnchorRow = tuple[tuple[str, ...], tuple[int, ...], int, str]
_CALLER_ANCHOR: Final[_AnchorRow] = (tuple(c + d for c in "TC" for d in "0123456789"), (0,), 13, "[")  # "[", 12 blanks
_ANCHOR_ROWS: Final[tuple[_AnchorRow, ...]] = (
    _CALLER_ANCHOR, (("@",), (1,), 0, ""),
    (("=3D", "=\n", "=20\n", "=09\n", "=\r\n", "=20\r\n", "=09\r\n"), (2,), 0, ""),
    (("\x1b",), (3,), 0, ""), (("\r",), (4,), 0, ""),
)
_ANCHOR_ROWS_QP: Final[tuple[_AnchorRow, ...]] = (
    _CALLER_ANCHOR, (("@",), (1,), 0, ""), (("=",), (2, 5), 0, ""), (("\x1b",), (3,), 0, ""), (("\r",), (4,), 0, ""),
)
_MAX_BACK: Final = max(row[2] for row in _ANCHOR_ROWS)


class _AnchorScan(NamedTuple):
    """The rows' anchors of two characters or more as automata (for str and for an ASCII
    block's bytes, as ``_PREFILTER_AC``) with per anchor its row's (shapes, back, opener);
    the one-character anchors ("@", ESC, CR, QP's "=") apart, each found with ``str.find``:
    with them in it the automaton's prefilter gave up and the scan cost 14x as much (2.1 ms
    against 0.15 ms for the dense benchmark's 0.86 MB repetition)."""

    ac: ahocorasick_rs.AhoCorasick
    bac: ahocorasick_rs.BytesAhoCorasick
    rows: list[tuple[tuple[int, ...], int, str]]
    single: tuple[tuple[str, tuple[int, ...]], ...]  # (character, shapes); such rows have no opener


def _anchor_scan(rows: tuple[_AnchorRow, ...]) -> _AnchorScan:
    multi = [(a, row) for row in rows for a in row[0] if len(a) > 1]
    single = tuple((a, row[1]) for row in rows for a in row[0] if len(a) == 1)
    assert all(row[2] == 0 and not row[3] for row in rows if any(len(a) == 1 for a in row[0]))
    kind = ahocorasick_rs.MatchKind.LeftmostFirst
    return _AnchorScan(ahocorasick_rs.AhoCorasick([a for a, _ in multi], matchkind=kind),
                       ahocorasick_rs.BytesAhoCorasick([a.encode() for a, _ in multi], matchkind=kind),
                       [(row[1], row[2], row[3]) for _, row in multi], single)


_ANCHORS: Final = _anchor_scan(_ANCHOR_ROWS)
_ANCHORS_QP: Final = _anchor_scan(_ANCHOR_ROWS_QP)


class _Hits(_HitsBase):
    """``_FindHits``' answers, the literals' offsets found by one Aho-Corasick scan of a window
    of the block at a time (whole lines, about ``window`` characters): the match list of a
    whole crash-dense block would be a memory peak, and is often not needed at all.  The
    non-literal shapes are tried only where their anchors are (``_ANCHOR_ROWS``)."""

    def __init__(self, block: str, window: int = 1 << 16) -> None:
        super().__init__(block)
        self.window = window
        self.lo = self.hi = 0  # [lo, hi): whole lines whose literal matches are all in starts
        self.starts: list[int] = []
        self.shape_from = self.shape_at = -1  # the first shape match at or after shape_from
        self.shape_qp = False
        self.raw = memoryview(block.encode("ascii")) if block.isascii() else None  # see _PREFILTER_BAC

    def scan(self, ac: ahocorasick_rs.AhoCorasick, bac: ahocorasick_rs.BytesAhoCorasick,
             lo: int, hi: int) -> list[tuple[int, int, int]]:
        """The matches (pattern, start, end; offsets from ``lo``) of an automaton built for str
        (``ac``) and the same one for bytes (``bac``) in ``block[lo:hi]``: over its bytes when the
        block is ASCII (see _PREFILTER_BAC)."""
        raw = self.raw
        return bac.find_matches_as_indexes(raw[lo:hi]) if raw is not None else ac.find_matches_as_indexes(
            self.block[lo:hi])

    def first(self, start: int, qp: bool) -> int:
        best = self._literal(start)
        if not self.shape_from <= start <= self.shape_at or self.shape_qp != qp:
            self.shape_from, self.shape_at, self.shape_qp = start, self._shapes(start, qp), qp
        return min(best, self.shape_at)

    def _shapes(self, start: int, qp: bool) -> int:
        """The smallest offset >= ``start`` where one of the non-literal shapes matches."""
        block = self.block
        size = len(block)
        ac, bac, rows, single = _ANCHORS_QP if qp else _ANCHORS
        best = size if qp else self._tail(start)
        lo = start
        while lo < size and lo - _MAX_BACK < best:
            nl = block.find("\n", min(lo + self.window, size))
            hi = size if nl < 0 else nl + 1  # the newline too: anchors may end with it
            for char, shapes in single:  # each such anchor is where its match starts
                a = block.find(char, lo, min(hi, best))
                while a >= 0 and not any(_EXTRA_PARTS_QP[i].match(block, a) is not None for i in shapes):
                    a = block.find(char, a + 1, min(hi, best))
                if a >= 0:
                    best = a
            found = self.scan(ac, bac, lo, hi)
            for k, s, _ in found:
                a = lo + s
                if a - _MAX_BACK >= best:
                    return best
                shapes, back, opener = rows[k]
                m = block.rfind(opener, max(start, a - back), a) if opener else a
                if start <= m < best and any(_EXTRA_PARTS_QP[i].match(block, m) is not None for i in shapes):
                    best = m
            lo = hi
        return best

    def _tail(self, start: int) -> int:
        r"""Where the QP hint matches at the block's end (before ``\Z``, no anchor there)."""
        block = self.block
        size = len(block)
        for m in range(max(start, size - 4), size):
            if block[m] == "=" and _EXTRA_PARTS[2].match(block, m) is not None:
                return m
        return size

    def _literal(self, start: int) -> int:
        block = self.block
        size = len(block)
        if start < self.lo:
            # Asked behind what was scanned (a run tried again from an earlier line): only the
            # lines in between are scanned (a match ends on its own line, before self.lo).
            found = self.scan(_PREFILTER_AC, _PREFILTER_BAC, start, self.lo)
            self.starts = [start + m[1] for m in found] + self.starts
            self.lo = start
        while True:
            i = bisect.bisect_left(self.starts, start)
            if i < len(self.starts):
                return self.starts[i]
            if self.hi >= size:
                return size
            lo = max(start, self.hi)
            nl = block.find("\n", min(lo + self.window, size))
            hi = size if nl < 0 else nl
            found = self.scan(_PREFILTER_AC, _PREFILTER_BAC, lo, hi)
            self.starts = [lo + m[1] for m in found]
            self.lo, self.hi = start, hi  # [start, old hi) held none


# A printk timestamp at a line's start, within the line (clean reads a line's stamp on its own),
# as printk prints it (kernel/printk/printk.c print_time(): "[%5lu.%06lu]"): ASCII blanks and
# digits only.  Stricter than clean's stamp (``\s``, ``\d``), so a line it takes is one clean
# reads as stamped, and a rarer one goes the line-by-line way; sre's class and Unicode-digit
# tests per character were half the time of a run's scan (0.88 ms against 1.65 ms over the
# dense benchmark's 0.67 MB of boot lines).  Possessive: what follows each piece cannot extend it.
_STAMP_RX: Final = r"\[ {0,12}+[0-9]{1,10}+\.[0-9]{1,9}+\]"
_STAMP: Final = re.compile(_STAMP_RX)
# Lines starting with "[ 12.345]".  Possessive (each piece is followed by a character it cannot
# match, so nothing is given back either way): sre then keeps no backtracking state per line.
_STAMPED_RUN: Final = re.compile(r"(?:" + _STAMP_RX + r"[^\n]*+\n)*+")
MIN_SKIP: Final = 4  # fewer skippable lines are not worth the bookkeeping


def _unanchor(pattern: str) -> str:
    """``pattern`` without its ``^`` and ``$`` anchors (outside character classes): it then
    matches wherever the anchored one matches, and maybe more, inside a longer text."""
    return "".join(atom for _, atom in P.regex_atoms(pattern) if atom not in ("^", "$"))


def _stamped_upto(n: int) -> re.Pattern[str]:
    """``_STAMPED_RUN`` taking at most ``n`` lines (cached: ``n`` <= IDLE_LIMIT + MIN_SKIP)."""
    rx = _STAMPED_UPTO.get(n)
    if rx is None:
        rx = _STAMPED_UPTO[n] = re.compile(r"(?:" + _STAMP_RX + r"[^\n]*+\n){0," + str(n) + "}+")
    return rx


_STAMPED_UPTO: Final[dict[int, re.Pattern[str]]] = {}

# A stamped line that may be more than one more ``idle`` to a report whose text is over
# (``_Builder.idling``), found at the newline before it: after the stamp and blanks, the
# text (``clean`` strips it) starts with a prefix clean would strip, a digit, an x86 marker,
# an elision or a note, or is empty, or matches a body pattern (patterns.BODY's rows, anchors
# dropped: a superset); or the line is too long for clean's short path.  Each quantifier is
# possessive where what follows it cannot start with what it takes, and every alternative
# starts with a literal or a class, so a line costs little more than finding its newline.
# The body rows that may start with any character are left to ``_NOT_IDLE_TEXT``: the
# substrings ``patterns.match_body`` needs before it tries them (``_guard_bits``; lockdep's
# ", at: "), looked for in one Aho-Corasick pass over the run, as are a frame's shape, a
# syslog "kernel:", stack words glued to "Call Trace:" and a syslog banner.  Another
# record's stamp inside a line (clean would split it there) is ``_MID_STAMP``'s: every run
# line starts with a stamp, so such a stamp follows a "]" on its line.  Lines with caller
# ids, header or context literals, QP, ANSI or CR are ``_INTERESTING`` and end the run
# before any of this is asked.
_ANY_FIRST_BODY: Final = frozenset(("pgtable", "kfence_access", "ubsan_detail", "lockdep_task", "lockdep_at"))


def _group_end(pattern: str) -> int:
    """Where the group opening ``pattern`` (``(?:...``) closes: the index after its ``)``."""
    depth = 0
    for i, atom in P.regex_atoms(pattern):
        depth += (atom == "(") - (atom == ")")
        if atom == ")" and depth == 0:
            return i + 1
    return -1


def _top_alternatives(group: str) -> list[str]:
    """The alternatives of a group's body (``a|b(c|d)`` -> ``a``, ``b(c|d)``)."""
    out, depth, last = [], 0, 0
    for i, atom in P.regex_atoms(group):
        depth += (atom == "(") - (atom == ")")
        if atom == "|" and depth == 0:
            out.append(group[last:i])
            last = i + 1
    return [*out, group[last:]]


def _expanded(alt: str) -> list[str]:
    """``alt`` as alternatives of the same language that start with a literal where it can:
    a leading optional group ``(?:g)?r`` is ``gr|r``, a leading group of alternatives
    ``(?:a|b)r`` is ``ar|br`` (so ``_by_first_literal`` can join them by first character)."""
    if not alt.startswith("(?:"):
        return [alt]
    end = _group_end(alt)
    if end < 0:
        return [alt]
    body, rest = alt[3 : end - 1], alt[end:]
    if rest[:1] == "?" and rest[1:2] not in ("?", "+"):
        return [*(g + r for g in _expanded("(?:" + body + ")") for r in _expanded(rest[1:])), *_expanded(rest[1:])]
    if rest[:1] in ("*", "+", "?", "{"):
        return [alt]
    return [a + rest for a in _top_alternatives(body)]


def _by_first_literal(alternatives: Iterable[str]) -> str:
    """``a1|a2|...`` with the alternatives that start with the same literal character joined
    under it (``Cx|Cy`` -> ``C(?:x|y)``): the same language, but sre rejects a line's text at
    one test per first character instead of one per alternative."""
    groups: dict[str, list[str]] = {}
    others: list[str] = []
    for alt in (e for a in alternatives for e in _expanded(a)):
        # A plain character first, not repeated, and no top-level "|" after it.
        if (alt[:1] and alt[0] not in "\\.^$*+?{}[]()|" and alt[1:2] not in ("*", "+", "?", "{")
                and len(_top_alternatives(alt)) == 1):
            groups.setdefault(alt[0], []).append(alt[1:])
        else:
            others.append(alt)
    return "|".join([re.escape(c) + "(?:" + "|".join(rests) + ")" for c, rests in groups.items()]
                    + ["(?:" + alt + ")" for alt in others])


_NOT_IDLE: Final = re.compile(
    r"\n(?:[^\n]{" + str(MAX_LINE + 1) + r"}|\[\s{0,12}+\d{1,10}+\.\d{1,9}+\][^\S\n]*+(?:"
    + r"[\[<>|.\u2026(\-]|\d|(?i:snip)|(?=\n|\Z)|"
    + _by_first_literal([
        "note: ", "Rebooting in ", "Press any key", "Sending NMI", "NMI backtrace",
        *(re.escape(start) for start in P._UBSAN_STARTS),
        *(_unanchor(P.ungroup(rx.pattern)) for name, rx in P.BODY if name not in _ANY_FIRST_BODY)])
    + "))"
)
_NOT_IDLE_TEXT: Final = ("+0x", "[inline]", "kernel:", "Call Trace:", "Message from syslogd@", " pgtable: ", " at 0x",
                         " is out of range for type", " is trying to acquire lock:", " takes:", ", at: ")
# Looked for in one Aho-Corasick pass (``_Hits.scan``: the first match found starts where the
# earliest of the literals' ``str.find`` would, leftmost-first) instead of one ``str.find`` pass
# per literal over the run.
_NOT_IDLE_AC: Final = ahocorasick_rs.AhoCorasick(list(_NOT_IDLE_TEXT), matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
_NOT_IDLE_BAC: Final = ahocorasick_rs.BytesAhoCorasick([lit.encode() for lit in _NOT_IDLE_TEXT],
                                                       matchkind=ahocorasick_rs.MatchKind.LeftmostFirst)
# A "[" after the first character of a line: in a run every line starts with a stamp, which
# holds no other "[", so this "[" follows its "]" (tests/console/test_block_runs.py holds it to
# the plain "a ']', later on the line a stamp").  Searched for by its literal "[": 7x faster.
_MID_STAMP: Final = re.compile(r"\[(?<=[^\n]\[)\s{0,12}\d{1,10}\.\d{6}\]")


def _held_back(block: str, end: int) -> int:
    """1 when the run of lines ending at ``end`` must give its last line to clean (the line
    after the run has no stamp: it may be glued to it), else 0 (a stamped line is never glued
    to the one before it; clean gives that one out as it comes)."""
    return 0 if end < len(block) and _STAMP.match(block, end) is not None else 1


def _inert(raw: str, qp: bool) -> str | None:
    """The text of a raw line that, while no report is open, changes nothing but the parser's
    context (``Parser.feed``): clean's short path takes it with no caller id, it is no first
    piece of a split header, and no header (an elided line never is one); else None."""
    text = plain_stamped(raw, qp)
    if text is None or text.startswith(P.SPLIT_LITERALS):
        return None
    if len(text) >= MIN_HEADER and not elision(text) and P.match_header(text, True) is not None:
        return None
    return text


class _Runs:
    """Runs of ordinary lines in one block (``_with_skips``): where the run of stamped lines
    at a line start without interesting text ends, going on over ``_inert`` lines.  A run
    that was not skipped is asked for again from its next line: the answer of the last
    one that ended by itself (not by a line limit) is kept, as are ``_inert``'s answers."""

    def __init__(self, block: str) -> None:
        self.block = block
        self.hits = _Hits(block)
        self.inert: dict[int, str | None] = {}  # by 2 * offset + QP state
        self.last: tuple[int, int, bool, list[tuple[int, str]]] = (-1, -1, False, [])  # from, end, QP, context

    def run(self, start: int, qp: bool, limit: int) -> tuple[int, int, list[tuple[int, str]]]:
        """(the end of the run at ``start``, at most ``limit`` lines; its number of lines (the
        newlines before the end: the caller need not count them again); the context lines
        among its lines after the first, (offset, text) in order, for the parser's context)."""
        block = self.block
        was_from, was_end, was_qp, was_context = self.last
        if was_from <= start < was_end and was_qp == qp:
            lines = block.count("\n", start, was_end)
            if lines < limit:
                return was_end, lines, [c for c in was_context if c[0] > start]
        size = len(block)
        lo = end = start
        taken = 0
        context: list[tuple[int, str]] = []
        while taken < limit:
            hit = self.hits.first(lo, qp)
            cut = max(lo, block.rfind("\n", lo, hit) + 1) if hit < size else size  # the hit's line
            run = (_STAMPED_RUN if limit - taken > IDLE_LIMIT + MIN_SKIP else _stamped_upto(limit - taken)).match(
                block, lo, cut)
            end = run.end() if run is not None else lo
            taken += block.count("\n", lo, end)
            nl = block.find("\n", cut)
            if end != cut or taken >= limit or nl < 0:
                break
            key = 2 * cut + qp
            if key in self.inert:
                text = self.inert[key]
            else:
                text = self.inert[key] = _inert(block[cut:nl], qp)
            if text is None:
                break
            if cut > start and text[:1] in _CONTEXT_FIRST:
                context.append((cut, text))
            taken += 1
            lo = end = nl + 1
        if taken < limit:  # it ended by itself: the same end from any of its later lines
            self.last = (start, end, qp, context)
        return end, taken, context  # taken: the newlines of [start, end), counted piece by piece


# The plain lines of _BODY_RUNS' kinds (module constants: a compiled class's attribute is
# its instances' only): a stamp as printk prints it, blanks, the text (group 1), the newline.
_PLAIN_STAMP: Final = _STAMP_RX + r"[ \t]{0,64}+"  # printk's ASCII form (see _STAMP_RX), then blanks
_PLAIN_FRAME: Final = (r"(([A-Za-z_][A-Za-z0-9_.]{0,255}+)\+0x([0-9a-f]{1,16}+)/0x([0-9a-f]{1,16}+)"
                       r"(?: \[([A-Za-z0-9_-]{1,64}+)\])?)\n")
_PLAIN_REGISTER: Final = r"(x[0-9]{1,2} ?: [0-9a-f]{16}(?: x[0-9]{1,2} ?: [0-9a-f]{16}){0,7})\n"
# Its pairs: in such a text each "xN : value" starts the text or follows a blank, and no value
# holds an "x", so these are patterns.XREG's pairs (test_block_runs.py), found without its
# "(?:^|\s)" tried at every character.
_REGISTER_PAIR: Final = re.compile(r"(x[0-9]{1,2}) ?: ([0-9a-f]{16})")
_PLAIN_SLAB_DUMP: Final = (  # ASCII column: SLUB's poison bytes print as "k", "." and "Z"
    r"((?:Redzone|Object|Padding) {1,4}[0-9a-f]{8,16}: [0-9a-f]{2}(?: [0-9a-f]{2}){0,31}"
    r"(?: {1,4}[A-Za-z0-9.]{1,32})?)\n"
)
_PLAIN_FRAME_LINE: Final = re.compile(_PLAIN_STAMP + _PLAIN_FRAME)
_PLAIN_REGISTER_LINE: Final = re.compile(_PLAIN_STAMP + _PLAIN_REGISTER)
_PLAIN_SLAB_DUMP_LINE: Final = re.compile(_PLAIN_STAMP + _PLAIN_SLAB_DUMP)
# A run takes a line only when the next one is stamped (nothing can be glued to it): the same
# patterns with that stamp as a lookahead, one regex call per line.
_NEXT_STAMPED: Final = "(?=" + _STAMP_RX + ")"
_FRAME_RUN_LINE: Final = re.compile(_PLAIN_STAMP + _PLAIN_FRAME + _NEXT_STAMPED)
_REGISTER_RUN_LINE: Final = re.compile(_PLAIN_STAMP + _PLAIN_REGISTER + _NEXT_STAMPED)
_SLAB_DUMP_RUN_LINE: Final = re.compile(_PLAIN_STAMP + _PLAIN_SLAB_DUMP + _NEXT_STAMPED)


class _BodyRun:
    """A kind of body line that ``_with_skips`` reads runs of itself: the plain line
    (``line``: stamp, blanks, then the text clean's short path gives as group 1, then the
    newline; ``run``: the same, followed by a stamped line), the report's state in which
    ``_Builder.feed`` takes such a line one way (``ready``), and that way (``take``).
    tests/console/test_block_runs.py holds each to the line-by-line path."""

    line: re.Pattern[str] = re.compile("(?!)")
    run: re.Pattern[str] = re.compile("(?!)")

    def ready(self, b: _Builder) -> bool:
        return False

    def take(self, b: _Builder, m: re.Match[str], line: Line) -> None:
        raise NotImplementedError


class _FrameRun(_BodyRun):
    """A call trace's frames ("[   4.37] do_el0_svc+0x2c/0x9c [mod]"): a subset of
    FRAME_MODERN, the frame built from the groups ``_frame_from`` reads."""

    line = _PLAIN_FRAME_LINE
    run = _FRAME_RUN_LINE

    def ready(self, b: _Builder) -> bool:
        return b.takes_trace_frames()

    def take(self, b: _Builder, m: re.Match[str], line: Line) -> None:
        _, func, off, size, mod = m.groups()
        b.take_trace_frame(_new_frame(func, int(off, 16), int(size, 16), mod, None, None, False, None, b.cur_stack,
                                      line.no), line)


class _RegisterRun(_BodyRun):
    """arm64's general-purpose registers ("x29: ffff8000085b3990 x28: ..."), arch/arm64/kernel/
    process.c __show_regs(): a subset of BODY's "xregs" row."""

    line = _PLAIN_REGISTER_LINE
    run = _REGISTER_RUN_LINE

    def ready(self, b: _Builder) -> bool:
        return b.takes_body()

    def take(self, b: _Builder, m: re.Match[str], line: Line) -> None:
        b.take_registers(_REGISTER_PAIR.findall(line.text), line)


class _SlabDumpRun(_BodyRun):
    """The object and redzone bytes of a SLUB report ("Object ffff0256838a04c0: 6b 6b ...
    kkkk"), mm/slub.c print_section(): a subset of BODY's "slub_dump" row (whose handler
    reads no groups)."""

    line = _PLAIN_SLAB_DUMP_LINE
    run = _SLAB_DUMP_RUN_LINE

    def ready(self, b: _Builder) -> bool:
        return b.takes_body()

    def take(self, b: _Builder, m: re.Match[str], line: Line) -> None:
        b.take_body("slub_dump", line)


# Each kind's texts are its row's in match_body and no header's (tests/console/test_block_runs.py).
_BODY_RUNS: Final[tuple[_BodyRun, ...]] = (_FrameRun(), _RegisterRun(), _SlabDumpRun())
# Which kind's run starts at a line, in one match: the kinds' texts are disjoint (a frame's
# has "+0x" and no blank before it), so the one alternative that matches (``lastindex``) is
# the kind.  tests/console/test_block_runs.py holds it to trying each kind's ``run``.
_BODY_RUN_AT: Final = re.compile(_PLAIN_STAMP + "(?:" + "|".join(
    "(" + P.ungroup(rx) + ")" for rx in (_PLAIN_FRAME, _PLAIN_REGISTER, _PLAIN_SLAB_DUMP)) + ")" + _NEXT_STAMPED)


def _body_run_at(block: str, pos: int, b: _Builder) -> _BodyRun | None:
    """The kind of the run at ``pos`` (a line of it, a stamped line after it) when ``b`` is
    ready for it (else None)."""
    if not (b.takes_trace_frames() or b.takes_body()):  # every kind's ``ready`` is one of them
        return None
    m = _BODY_RUN_AT.match(block, pos)
    if m is None:
        return None
    kind = _BODY_RUNS[(m.lastindex or 1) - 1]
    return kind if kind.ready(b) else None


def _body_run(kind: _BodyRun, block: str, pos: int, no: int, parser: Parser) -> tuple[int, int]:
    """Feed the run of ``kind``'s lines at ``pos`` to the one open report; (offset after the
    run, lines taken).

    Called when every earlier line has reached the parser and ``clean`` holds none: each
    line is what clean's short path, ``parse_clean`` and ``_Builder.feed`` would make of it,
    taken only while they would (no elision, the report still ``ready``, a stamped line
    after it so that nothing is glued to it; the kinds' texts match no header and start no
    split header, which tests/console/test_block_runs.py checks against the rows)."""
    b = parser.active.get(None)
    if b is None or len(parser.active) != 1 or parser.use_callers or parser.closed or not kind.ready(b):
        return pos, 0
    b.stamped_body = b.stamped  # every line of the run is stamped
    match = kind.run.match
    taken = 0
    while kind.ready(b):
        m = match(block, pos)
        if m is None:
            break
        text = m.group(1)
        if elision(text):  # ("snip+0x1/0x2"); no such text is a header or a split header's first piece
            break
        no += 1
        taken += 1
        kind.take(b, m, Line(no, text, None, True, False))
        pos = m.end()
    return pos, taken


def _with_skips(blocks: Iterable[str], parser: Parser, state: CleanState) -> Iterator[str | Skip]:
    """The lines of decoded blocks, with runs of ordinary lines replaced by ``Skip``.

    When the consumer asks for the next line, the line just given is held by
    ``clean`` and every earlier one has reached the parser.  If then no report is
    open and ``clean`` is quiet, the run of stamped lines without any
    ``_INTERESTING`` text (or with only ``_inert`` such text) starting at the held
    line is found with C-level scans (``_Runs``); all but its first and
    last line are skipped (the first is held, the last is cleaned normally so the
    next line is glued or not exactly as before; when the next line is stamped, it
    is never glued, and the last is skipped too).  The scans' answers are kept
    until passed (``_Hits``, ``_Runs``): linear time.  While one report is open whose text is
    over, runs of lines that only count its ``idle`` up are skipped the same way,
    and while it reads its call trace or registers, runs of plain frame or
    register lines are read by ``_body_run`` (see the loop).  Lines are cut out of the block one at a time
    (no ``split``): most of a quiet block is never looked at line by line.
    """
    active = parser.active
    no = 0  # clean's number of the last line sent (a Skip(n) stands for n)
    for block in blocks:
        size = len(block)
        pos = 0  # offset of the next line in block
        runs = _Runs(block)
        not_idle = -1  # start of a line _NOT_IDLE (or _NOT_IDLE_TEXT) found, every line before it
        # back to where that search began being idle ones (-1: none known)
        while pos <= size:
            nl = block.find("\n", pos)
            if nl < 0:
                nl = size
            line = block[pos:nl]
            yield line
            no += 1
            start = pos
            pos = nl + 1
            if not state.quiet:
                continue
            if not active:
                # (Caller ids in use do not matter: with no report open a line without
                # one changes nothing; lines with one are _INTERESTING.)
                # The run goes on over a line with interesting text that changes nothing but the
                # context (_inert: "kvm [1]: IPA Size Limit: 44 bits", "VFS: Disk quotas ..."); the context lines
                # among the skipped ones are given to the parser's context after the Skip, in order.
                end, lines, context = runs.run(start, state.qp, 1 << 62)
                keep = _held_back(block, end)
                count = lines - keep
                if count - 1 >= MIN_SKIP:
                    yield Skip(count - 1)
                    no += count - 1
                    pos = block.rfind("\n", start, end - 1) + 1 if keep else end  # the run's last line, or after it
                    for at, text in context:
                        if at < pos:  # skipped (the run's last line, when kept, is cleaned and fed)
                            parser.ctx.feed(text)
            elif state.fast_raw is line and len(active) == 1 and not parser.use_callers and (
                    b := active.get(None)) is not None and (kind := _body_run_at(block, pos, b)) is not None:
                # A report reading its call trace or registers: when the next line is one of a
                # _BODY_RUNS kind, this one is given to the parser (Skip(0)) and the run after it
                # read by _body_run.
                yield Skip(0)
                pos, taken = _body_run(kind, block, pos, no, parser)
                if taken:
                    yield Skip(taken)
                    no += taken
            elif state.fast_raw is line and start and len(active) == 1 and not parser.use_callers:
                # One report open, its text over: a run of ordinary lines only counts ``idle``
                # up (_Builder.idling, _NOT_IDLE), so all but its first and last line are
                # counted here.  The run is cut one line after the one that would close the
                # report (``room`` lines after this one keep it open): the report is closed
                # here when that line is skipped, on the same line as when fed line by line
                # (the lines after it change nothing with no report open).  clean took this
                # line by its short path, so the parser's state is the one just before it.
                b = active.get(None)
                room = IDLE_LIMIT - 1 - b.idle if b is not None and b.idling() else -1
                if room < 0:
                    continue
                # As with no report open, the run goes on over _inert lines (a header or context
                # literal, harmless): the searches below then ask of them what they ask of any.
                end, lines, context = runs.run(start, state.qp, max(room + 3, MIN_SKIP + 2))
                run_end = end
                if start < not_idle <= end:
                    end = not_idle  # the lines before it passed the search below already
                elif lines - 1 < MIN_SKIP:
                    continue  # too short to skip however it ends: not worth the searches
                else:
                    found = runs.hits.scan(_NOT_IDLE_AC, _NOT_IDLE_BAC, start, end)
                    if found:
                        at = start + found[0][1]
                        end = max(start, block.rfind("\n", start, at) + 1)  # that line's start
                    bad = _MID_STAMP.search(block, start, end)
                    if bad is not None:
                        end = max(start, block.rfind("\n", start, bad.start()) + 1)
                    bad = _NOT_IDLE.search(block, start - 1, end)
                    if bad is not None:
                        end = bad.start() + 1
                    not_idle = end if end < run_end else -1  # a line found not idle starts at end
                keep = _held_back(block, end)
                count = block.count("\n", start, end) - keep
                if count - 1 >= MIN_SKIP:
                    yield Skip(count - 1)
                    no += count - 1
                    # The run's first line reached the parser as the Skip passed through clean.
                    assert active.get(None) is b and b is not None
                    pos = block.rfind("\n", start, end - 1) + 1 if keep else end  # the run's last line, or after it
                    closes = count - 1 > room  # the run's line room + 1 closes the report
                    for at, text in context:  # in line order, each context line before or after that
                        if at >= pos:
                            break
                        if closes and block.count("\n", start, at) > room + 1:
                            parser._close(None, parser.closed)
                            closes = False
                        parser.ctx.feed(text)
                    if closes:
                        parser._close(None, parser.closed)
                    elif count - 1 <= room:
                        b.idle += count - 1


def parse_blocks(blocks: Iterable[str]) -> Iterator[Report]:
    """Reports in a log given as decoded blocks of whole lines (``"a\nb"``): the fast
    path of ``parse_file``, which skips ordinary lines while no report is open."""
    parser = Parser()
    state = CleanState()
    return parse_clean(clean(_with_skips(blocks, parser, state), state), parser)
