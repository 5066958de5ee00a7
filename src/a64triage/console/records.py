"""Structured crash records: the one result type of the parse stage.

Field names mirror the JSON keys of issue 3 (a contract other tools read; see
``schemas/report.schema.json``).  Integers stay integers here; the JSON
renderer turns addresses and register values into ``"0x..."`` strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Frame:
    """One call-trace entry, or the pc/lr symbol of a register dump.

    arm64 traces print ``func+off/size [module]`` without addresses since v4.16;
    older ones ``[<addr>] func+off/size``; 6.x adds ``file:line [inline]`` frames
    and unwinder markers ``(P)/(L)/(F)/(C)``.
    """

    function: str | None = None
    offset: int | None = None
    size: int | None = None
    module: str | None = None
    address: int | None = None
    marker: str | None = None  # "P", "L", "F", "C", "T" from the 6.x unwinder ("?" unreliable, x86)
    inline: bool = False
    source: str | None = None  # "file:line" when the log printed it
    stack: str = "task"  # "task", "irq", "hyp", "overflow", "sdei"...
    line_no: int = 0  # line in the input where the frame was printed
    # 32-bit ARM's "[<pc>] (f) from [<lr>] (caller+0x1/0x2)": the caller as printed.  Titles read it
    # (the last caller, often the exception entry, has no line of its own); not in the JSON.
    caller: str | None = None


@dataclass(frozen=True)
class KvmInfo:
    """The kvm boot lines and hyp-panic context later stages need."""

    hyp_va_start: int | None = None
    hyp_va_end: int | None = None
    idmap_page: int | None = None
    initialized: bool = False
    mode: str | None = None  # "vhe", "nvhe", "protected"
    ipa_limit: int | None = None
    vmid_bits: int | None = None
    hyp_offset: int | None = None
    # 4.x / modern `HYP panic:` block: PS, PC, ESR, FAR, HPFAR, PAR, VCPU
    panic: tuple[tuple[str, int], ...] = ()
    panic_at: Frame | None = None  # `nVHE hyp panic at:` / `BUG at:` / `CFI failure at:`
    bug_file: str | None = None
    bug_line: int | None = None


@dataclass(frozen=True)
class Report:
    """One crash report found in a log."""

    kind: str  # "oops", "panic", "hyp-panic", "bug", "warning", "kasan", ...
    title: str  # the title syzkaller would give (docs/TITLES.md): the dedup signature
    span: tuple[int, int]  # first/last line numbers (1-based, inclusive)
    arch: str = "arm64"  # who printed it (console/arches.py); only "arm64" is decoded as arm64
    corrupted: str | None = None  # reason, when truncated or interleaved beyond repair
    kernel_version: str | None = None
    build: str | None = None  # the "#3 SMP PREEMPT ..." part
    hardware: str | None = None
    cpu: int | None = None
    pid: int | None = None
    comm: str | None = None
    tainted: str | None = None
    modules: tuple[str, ...] = ()  # as printed, with taint markers e.g. "lkdtm(OE)"
    message: str | None = None  # e.g. "Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000"
    esr: int | None = None
    far: int | None = None
    pc: Frame | None = None
    lr: Frame | None = None
    sp: int | None = None
    pstate: int | None = None
    registers: tuple[tuple[str, int], ...] = ()  # ("x0", value) ... in printed order
    code: tuple[str, ...] = ()  # the Code: words as printed, "(d65f03c0)" marked in faulting_code
    faulting_code: int | None = None  # index into code of the word in parentheses
    call_trace: tuple[Frame, ...] = ()
    exception_entry: str | None = None  # e.g. "el1h_64_sync"
    kvm: KvmInfo | None = None
    kernel_offset: int | None = None  # None when absent, 0 for "disabled"
    phys_offset: int | None = None
    cpu_features: str | None = None
    lines: tuple[str, ...] = ()  # the cleaned lines of the report (for quoting evidence)
    extra: tuple[tuple[str, str], ...] = field(default=())  # kind-specific facts (e.g. KASAN access)
    headline: str = ""  # the project's richer one-line title (names the fault, the hyp, the handler...)
    alt_titles: tuple[str, ...] = ()  # further titles syzkaller matches duplicates by
    type: str = ""  # syzkaller's crash type ("" = unknown): KASAN-READ, WARNING, HANG, LOCKDEP...
    panicked: bool = False  # the kernel panicked in this report ("Kernel panic - not syncing")
    guilty: str | None = None  # the function the title blames
    guilty_file: str | None = None  # the source file the report blames (when it prints file:line)
    # The input line number of each of ``lines``: a repaired report (a wrapped line joined, an
    # interleaved one left out) no longer has one line per number of its span.  Empty: one per.
    line_nos: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not self.headline:  # a report built by hand (tests, other tools) reads its title as headline
            object.__setattr__(self, "headline", self.title)

    def numbered_lines(self) -> Iterator[tuple[int, str]]:
        """(input line number, cleaned text) of each kept line."""
        return zip(self.line_nos, self.lines, strict=True) if self.line_nos else enumerate(self.lines, self.span[0])

    def line(self, line_no: int | None) -> str | None:
        """The cleaned text of input line ``line_no``, if this report kept it."""
        return None if line_no is None else next((text for no, text in self.numbered_lines() if no == line_no), None)
