"""One stable line per report, in syzkaller's style (rules: docs/TITLES.md).

The title names the *guilty* function: the first frame that is not a generic
helper (printing, panic/BUG plumbing, exception entry, sanitiser runtime,
string/copy helpers, locking/scheduling primitives).  The helpers are a
declarative skip list; compiler suffixes (.isra.0, .constprop.0, .cold,
.cfi_jt...) are dropped so titles survive rebuilds, and addresses and numbers
never appear.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

from a64triage.console.demangle import demangle
from a64triage.console.formats import (
    GUILTY_FILE_IGNORE,
    HANG_ANCHORS,
    HANG_SKIP,
    SKIP_FRAMES,
    STALL_ANCHORS,
    STRIP_PREFIXES,
    Format,
    crash_type,
)
from a64triage.console.kinds import Kind
from a64triage.console.lines import Line
from a64triage.console.patterns import (
    BODY_RX,
    FRAME_ADDR_ONLY,
    FRAME_ARM32,
    FRAME_ARM32_NEW,
    FRAME_INLINE,
    FRAME_MODERN,
)
from a64triage.console.records import Frame

# Functions never blamed.  Exact names, then prefixes.
SKIP_EXACT: Final[frozenset[str]] = frozenset(  # one whitespace-separated table, easier to review than a list
    """
    dump_backtrace show_stack dump_stack dump_stack_lvl __dump_stack show_regs __show_regs
    panic vpanic nmi_panic abort add_taint __warn __warn_printk warn_slowpath_fmt warn_slowpath_null
    report_bug bug_handler call_break_hook brk_handler do_debug_exception die __die arm64_notify_die
    die_kernel_fault __do_kernel_fault do_bad_area do_translation_fault do_page_fault do_mem_abort
    do_sea do_tag_check_fault do_alignment_fault do_bad do_sp_pc_abort do_undefinstr do_el1_undef
    do_el1_bti do_el1_fpac bad_mode bad_el0_sync arm64_serror_panic arm64_is_fatal_ras_serror
    do_serror el1_abort el1_da el1_ia el1_pc el1_sp_pc el1_undef el1_dbg el1_inv el1_bti el1_fpac
    el1_interrupt el1_irq el1_sync el1_error el1_fiq el0_irq el0_sync el0_error
    handle_bad_stack handle_bad_stack_overflow panic_bad_stack overflow_stack
    kasan_report __kasan_report kasan_report_invalid_free print_address_description print_report
    report_tag_fault do_tag_recovery check_memory_region kasan_check_range
    memcpy memmove memset __memcpy __memmove __memset memcmp __memcpy_fromio __memcpy_toio
    strcpy strncpy strcmp strncmp strlen strnlen strscpy strlcpy strcat strncat strchr strrchr strsep
    __arch_copy_from_user __arch_copy_to_user __arch_clear_user copy_from_user copy_to_user
    _copy_from_user _copy_to_user raw_copy_from_user raw_copy_to_user __copy_from_user __copy_to_user
    refcount_warn_saturate refcount_dec_and_test refcount_inc refcount_dec refcount_add
    __list_add_valid __list_del_entry_valid __list_add_valid_or_report __list_del_entry_valid_or_report
    list_add list_del list_add_tail __list_add __list_del_entry
    fortify_panic __fortify_panic __fortify_report __write_overflow_field __read_overflow2_field
    usercopy_abort __check_object_size check_object_size __check_heap_object check_heap_object
    lock_acquire lock_release __lock_acquire lock_acquired lock_contended check_noncircular
    print_circular_bug check_prev_add check_prevs_add validate_chain mark_lock lockdep_rcu_suspicious
    _raw_spin_lock _raw_spin_lock_irq _raw_spin_lock_irqsave _raw_spin_lock_bh _raw_spin_unlock
    _raw_spin_unlock_irqrestore _raw_read_lock _raw_write_lock _raw_read_lock_bh _raw_write_lock_bh
    do_raw_spin_lock queued_spin_lock_slowpath queued_read_lock_slowpath queued_write_lock_slowpath
    mutex_lock mutex_lock_nested __mutex_lock mutex_lock_interruptible mutex_lock_killable
    __mutex_lock_slowpath __mutex_lock_common down down_read down_write down_interruptible
    rwsem_down_read_slowpath rwsem_down_write_slowpath __down __down_common
    __switch_to cpu_switch_to __schedule schedule schedule_timeout schedule_preempt_disabled
    io_schedule io_schedule_timeout schedule_hrtimeout_range preempt_schedule_irq
    wait_for_completion wait_for_completion_timeout wait_for_completion_killable
    wait_for_completion_interruptible __wait_for_common do_wait_for_common wait_for_common
    bit_wait bit_wait_io __wait_on_bit out_of_line_wait_on_bit folio_wait_bit_common
    watchdog_timer_fn watchdog_overflow_callback watchdog_hardlockup_check __perf_event_overflow
    perf_event_overflow __hrtimer_run_queues hrtimer_interrupt hrtimer_run_queues arch_timer_handler_phys
    arch_timer_handler_virt handle_percpu_devid_irq handle_percpu_devid_fasteoi_ipi
    generic_handle_domain_irq handle_domain_irq __handle_domain_irq generic_handle_irq
    gic_handle_irq call_on_irq_stack do_interrupt_handler irq_exit irq_exit_rcu __do_softirq
    handle_softirqs update_process_times tick_sched_handle tick_sched_timer tick_nohz_handler
    rcu_sched_clock_irq rcu_dump_cpu_stacks print_cpu_stall check_cpu_stall rcu_pending
    dump_cpu_task sched_show_task show_stack_regs nmi_cpu_backtrace do_handle_IPI ipi_handler
    hyp_panic __hyp_panic hyp_panic_bad_stack __hyp_do_panic __hyp_call_panic __hyp_call_panic_nvhe
    __hyp_call_panic_vhe nvhe_hyp_panic_handler kvm_nvhe_dump_backtrace handle_exit_early
    __kvm_nvhe_hyp_panic __kvm_nvhe___hyp_do_panic __kvm_nvhe_hyp_panic_bad_stack __kvm_nvhe___host_exit
    dbg_snapshot_save_context dbg_snapshot_ipi_stop
    unwind_backtrace warn_slowpath_common dump_backtrace.cfi_jt __und_svc_finish __dabt_svc __pabt_svc
    __irq_svc __und_svc do_DataAbort do_PrefetchAbort __do_user_fault do_undefinstr
    kthread ret_from_fork ret_from_fork_asm rcu_gp_kthread rcu_gp_fqs_loop rcu_gp_fqs
    """.split()  # noqa: SIM905
)
SKIP_PREFIX: Final[tuple[str, ...]] = (
    "kasan_", "__kasan_", "__asan_", "asan_", "__hwasan_", "kfence_", "__kfence_", "__ubsan_handle_",
    "ubsan_", "report_ubsan", "lockdep_", "__lockdep_", "print_lock", "debug_lockdep",
    "el1h_64_", "el1t_64_", "el0t_64_", "el0t_32_", "el1_", "__sanitizer_", "__warn", "warn_",
    "dump_stack", "__refcount_", "__might_", "__kcsan_", "kcsan_",
)
# Exception-vector entries: the frame the unwinder prints where an exception interrupted code.
ENTRY: Final = re.compile(r"^(?:el[01](?:[th]_(?:64|32))?_(?:sync|irq|fiq|error)|__(?:und|dabt|pabt|irq)_svc(?:_finish)?)$")
# A compiler suffix: the first of these in the name's tail of word characters and dots.  Found in
# two linear steps (the tail on the reversed name, then the marker in it): one searching regex
# anchored at "$" would rescan the tail from every dot (issue #16: no super-linear pattern).
_SUFFIX: Final = re.compile(r"\.(?:isra|constprop|part|cold|lto_priv|llvm|cfi|cfi_jt|localalias|\d)")
_TAIL_REVERSED: Final = re.compile(r"[\w.]*+")
_SYMBOL_IN_TEXT: Final = re.compile(r"(?<![\w.$])([\w.$]{1,256})\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16}(?: \[[\w\-]{1,64}\])?")
_NUMBERS: Final = re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-fA-F]{8,16}\b|\b\d+\b")




@functools.lru_cache(maxsize=100_000)  # a log repeats the same few hundred names; bounded
def clean_symbol(name: str) -> str:
    """``foo.isra.0`` -> ``foo``: the stable part of a symbol name (remembered per name,
    as ``clean_symbol_plain`` finds it)."""
    return clean_symbol_plain(name)


def clean_symbol_plain(name: str) -> str:
    """``clean_symbol`` computed, never remembered (the reference of the tests)."""
    t = _TAIL_REVERSED.match(name[::-1])
    m = _SUFFIX.search(name, len(name) - (t.end() if t is not None else 0))
    return name[: m.start()] if m is not None and m.start() > 0 else name


@functools.lru_cache(maxsize=100_000)
def is_skipped(name: str) -> bool:
    """A generic helper never blamed (remembered per name, as ``is_skipped_plain`` says)."""
    return is_skipped_plain(name)


def is_skipped_plain(name: str) -> bool:
    base = clean_symbol_plain(name)
    return base in SKIP_EXACT or base.startswith(SKIP_PREFIX)


def outside_function(frame: Frame) -> bool:
    """``func+off/size`` with ``off > size``: kallsyms printed the nearest symbol below
    an address that is in no function (module data executed, EXEC_DATA), so the name
    is an accident of layout and must not become the title's function."""
    return frame.offset is not None and bool(frame.size) and frame.offset > (frame.size or 0)


def first_guilty(frames: Iterable[Frame], after_entry: bool = False) -> str | None:
    """First non-helper function; with ``after_entry`` start past the exception entry."""
    seq = [f for f in frames if f.function and f.marker != "?"  # "?": x86 guess
           and not outside_function(f)]
    if after_entry:
        for i in range(len(seq) - 1, -1, -1):
            fn = seq[i].function or ""
            if fn.startswith(("el1", "__")) and ENTRY.match(fn):
                seq = seq[i + 1 :]
                break
    for f in seq:
        if f.function and not is_skipped(f.function) and f.function != "(null)":
            return clean_symbol(f.function)
    return None


def normalize(text: str) -> str:
    """Replace numbers and addresses so titles do not vary between runs."""
    text = _NUMBERS.sub("NUM", text.strip())
    return re.sub(r"\s{2,}", " ", text)[:200]


_INTERNAL_TITLES: Final[dict[str, str]] = {
    "Oops - BUG": "kernel BUG",
    "Oops - BTI": "BTI failure",
    "Oops - GCS": "GCS failure",
    "Oops - FPAC": "pointer authentication failure",
    "Oops - undefined instruction": "undefined instruction",
    "Oops - bad mode": "bad mode",
    "Oops - CFI": "CFI failure",
    "SP/PC alignment exception": "SP/PC alignment exception",
    "Oops - KASAN": "KASAN: invalid-access",
}


def build_title(
    kind: Kind,
    *,
    message: str | None,
    internal: str | None,
    header_func: str | None,
    pc: Frame | None,
    frames: tuple[Frame, ...],
    facts: dict[str, str],
) -> str:
    """Assemble the title from the kind, the printed message and the guilty frame."""
    pc_func = pc.function if pc is not None and pc.function and pc.stack != "hyp" else None
    hyp = [f for f in frames if f.stack == "hyp"]
    task = [f for f in frames if f.stack != "hyp"] if hyp else list(frames)  # most reports: no hyp frame

    def guilty(prefer: str | None, after_entry: bool = True) -> str | None:
        if prefer and not is_skipped(prefer):
            return clean_symbol(prefer)
        found = first_guilty(task, after_entry=after_entry) or first_guilty(task)
        if found is None and prefer:
            return clean_symbol(prefer)  # every frame is a helper: blame the printed one
        return found

    def with_func(base: str, func: str | None) -> str:
        return f"{base} in {func}" if func else base

    if kind is Kind.HYP_PANIC:
        what = facts.get("hyp_what", "panic")
        func = facts.get("hyp_func") or first_guilty(hyp)
        label = {"panic": "HYP panic", "BUG": "HYP BUG", "CFI failure": "HYP CFI failure"}.get(what, "HYP panic")
        if func is None and facts.get("hyp_file"):
            func = facts["hyp_file"].rsplit("/", 1)[-1]
        if facts.get("hyp_invalid"):
            label = "invalid host exception to nVHE hyp"
        return with_func(f"kernel panic: {label}", func and clean_symbol(func))
    if kind is Kind.OOPS:
        func = guilty(pc_func)
        if message:
            return with_func(f"BUG: unable to handle kernel {normalize(message)}", func)
        if internal:
            base = _INTERNAL_TITLES.get(internal, f"Internal error: {normalize(internal)}")
            return with_func(base, func)
        return with_func("Oops", func)
    if kind is Kind.BUG:
        return with_func("kernel BUG", guilty(pc_func))
    if kind is Kind.WARNING:
        return with_func("WARNING", guilty(header_func))
    if kind is Kind.KASAN:
        acc = facts.get("access")
        base = f"KASAN: {normalize(facts.get('type', 'bad-access'))}" + (f" {acc}" if acc else "")
        return with_func(base, guilty(header_func, after_entry=False))
    if kind is Kind.KFENCE:
        return with_func(f"KFENCE: {normalize(facts.get('type', 'bad-access'))}", guilty(header_func, False))
    if kind is Kind.UBSAN:
        return with_func(f"UBSAN: {facts.get('type', 'undefined-behaviour')}", guilty(None, False))
    if kind is Kind.SERROR:
        return with_func("SError interrupt", guilty(pc_func))
    if kind is Kind.BAD_MODE:
        return with_func(f"bad mode in {facts.get('handler', 'unknown')} handler", guilty(pc_func))
    if kind is Kind.ALIGNMENT:
        return with_func("SP/PC alignment exception", guilty(pc_func))
    if kind is Kind.SOFT_LOCKUP:
        return with_func("BUG: soft lockup", guilty(pc_func))
    if kind is Kind.HARD_LOCKUP:
        return with_func("BUG: hard lockup", guilty(pc_func))
    if kind is Kind.RCU_STALL:
        return with_func("INFO: rcu detected stall", guilty(pc_func))
    if kind is Kind.HUNG_TASK:
        return with_func("INFO: task hung", guilty(None, False))
    if kind is Kind.LOCKDEP:
        what = facts.get("lockdep", "lockdep report")
        base = {
            "possible circular locking dependency detected": "possible deadlock",
            "possible recursive locking detected": "possible deadlock",
            "possible irq lock inversion dependency detected": "possible deadlock",
            "inconsistent lock state": "inconsistent lock state",
            "suspicious RCU usage": "suspicious RCU usage",
        }.get(what, f"lockdep: {what}")
        # The "at:" of the lock being taken, unless it is a locking primitive; then the
        # call trace; never a helper (a truncated splat keeps just "possible deadlock").
        if header_func and not is_skipped(header_func):
            return with_func(base, clean_symbol(header_func))
        return with_func(base, first_guilty(task))
    if kind is Kind.LIST_CORRUPTION:
        return with_func("BUG: corrupted list", guilty(header_func))
    if kind is Kind.USERCOPY:
        return with_func("BUG: bad usercopy", guilty(header_func))
    if kind is Kind.FORTIFY:
        return with_func("fortify: detected buffer overflow", guilty(header_func))
    if kind is Kind.REFCOUNT:
        return with_func("refcount bug", guilty(header_func))
    if kind is Kind.STACK_OVERFLOW:
        return with_func("kernel stack overflow", guilty(pc_func))
    if kind is Kind.OTHER_BUG:
        if "slab_cache" in facts:  # SLUB debug: blame the object's last free (or allocation) site
            site = facts.get("slab_freed_in") or facts.get("slab_allocated_in")
            return with_func(f"BUG: {normalize(facts.get('other', 'slab corruption'))}", site and clean_symbol(site))
        return with_func(f"BUG: {facts.get('other', 'kernel bug')}", guilty(pc_func, False))
    # Plain panic: the message says it all (syzkaller: "kernel panic: Attempted to kill init!").
    msg = normalize(_SYMBOL_IN_TEXT.sub(r"\1", message or ""))
    return f"kernel panic: {msg}" if msg else "kernel panic"


# ---------------------------------------------------------------- syzkaller-compatible titles
# The rules are the rows of formats.FORMATS; docs/TITLES.md lists where we differ.

# The guilty-frame rules that read every frame of the report in line order (``everything``);
# the others read the first call trace only.
READS_EVERYTHING: Final = frozenset(("rcu", "locks", "after"))

_SKIP_RX: Final = re.compile("|".join(f"(?:{p})" for p in SKIP_FRAMES))
_STALL_RX: Final = re.compile("|".join(f"(?:{p})" for p in STALL_ANCHORS))
_FUNC_NAME: Final = re.compile(r"^[A-Za-z0-9_]{1,256}")  # syzkaller's function: up to the first "." suffix
# Title normalisation (addresses, numbers, file:line, executor names), applied last.
_NORMALISE: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"syz-executor\.?[0-9]+(?:[/:][0-9]+)?"), "syz-executor"),
    (re.compile(r"syzkaller[0-9]+(?:[/:][0-9]+)?"), "syzkaller"),
    (re.compile(r"([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}"), r"\1ADDR"),
    (re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"), "IP"),
    (re.compile(r"(\.\w+)(?::[0-9]+)+"), r"\1:LINE"),
    (re.compile(r"([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+"), r"\1"),
    (re.compile(r"CPU#[0-9]+"), "CPU"),
    (re.compile(r"(\W)(\d+)(\W|$)"), r"\1NUM\3"),
    (re.compile(r"\d{7,}"), "NUM"),
)
_ADDRESS: Final = re.compile(r"^(?:0x)?[0-9a-f]{8,16}$")  # an unsymbolized frame: no function to blame
_DROPPED: Final = re.compile(r"\s{0,4}\*\* \d{1,10} printk messages dropped \*\*.{0,4000}$")
_FAULT_INJECTION: Final = re.compile(r"^should_fail(?:slab)?$")
_IRQ_ENTRIES: Final = frozenset(("el1h_64_irq", "__irq_svc"))
_TIMESTAMP_IN_TITLE: Final = re.compile(r"\[ *[0-9]+\.[0-9]+\]")
# A line naming the interrupted pc (x86 "RIP: 0010:f+0x1/0x2" or "RIP: 0033:0x7f...", powerpc "NIP",
# arm64 "pc : ", arm "PC is at"), as syzkaller finds it anywhere in a line.
_PC_LINE: Final = re.compile(r"(?:IP|NIP|pc |PC is at):? (?:[0-9]{1,4}:)?(?:\[<?(?:0x)?[0-9a-f]{1,16}>?\] {1,8}){0,2}"
                             r"(?:\w{1,256}[.+]|0x[0-9a-f]|\(null\))")




@functools.lru_cache(maxsize=10_000)  # a log's titles repeat; bounded
def normalise_title(title: str) -> str:
    """Numbers, addresses and per-run names out; control characters and repeated spaces
    out; at most 120 characters (syzkaller's title rules)."""
    return _normalise(title)


def _normalise(title: str) -> str:
    for rx, repl in _NORMALISE:
        while True:
            new = rx.sub(repl, title)
            if new == title:
                break
            title = new
    out: list[str] = []
    prev = " "
    for ch in title[:120]:
        if ch == "\t":
            ch = " "
        elif ch < " " or ch >= "\x7f":
            continue
        if ch == " " and prev == " ":
            continue
        out.append(ch)
        prev = ch
    return "".join(out).strip()


@functools.cache  # one entry per title row's extras: a fixed set
def _skip_rx(extra: tuple[str, ...]) -> re.Pattern[str] | None:
    """A title's own skip patterns, without the shared SKIP_FRAMES (``_SKIP_RX``, compiled
    once at import): compiling the whole list again for each title's few extras cost ~20 ms
    a title.  None: the title has none.  ``_skipped`` searches both, which finds what one
    search of their alternation (``_skip_rx_plain``) finds."""
    return re.compile("|".join(f"(?:{p})" for p in extra)) if extra else None


def _skip_rx_plain(extra: tuple[str, ...]) -> re.Pattern[str]:
    """SKIP_FRAMES and a title's extras as one alternation (the reference of the tests)."""
    return re.compile("|".join(f"(?:{p})" for p in (*SKIP_FRAMES, *extra)))


@functools.lru_cache(maxsize=100_000)  # names repeat across reports; bounded
def _skipped(extra: re.Pattern[str] | None, name: str) -> bool:
    """Is ``name`` a helper by SKIP_FRAMES or a title's extras?  Remembered per extras and name."""
    return _SKIP_RX.search(name) is not None or (extra is not None and extra.search(name) is not None)


class _Bare(NamedTuple):
    """What the title rules read in a frame's name once its syscall-wrapper prefix is off."""

    bare: str  # _strip_plain(name)
    variants: tuple[str, ...]  # _variants_plain(name)
    stall: bool  # a stall dispatch anchor (_STALL_RX) is in the bare name
    hang: str | None  # a hang anchor is: what the title names then (_pick_plain's "hang" rule)
    hang_skip: bool  # a wait/lock primitive (HANG_SKIP) is


@functools.lru_cache(maxsize=100_000)  # names repeat in every report; bounded
def _stripped(name: str) -> _Bare:
    """The rules' reading of ``name``, remembered per name (15 prefixes, a regex and ~20
    substrings to try)."""
    bare = _strip_plain(name)
    hang = next(((repl or bare) for anchor, repl in HANG_ANCHORS if anchor in bare), None)
    return _Bare(bare, _variants_plain(name), _STALL_RX.search(bare) is not None, hang,
                 any(s in bare for s in HANG_SKIP))


def _strip(name: str) -> str:
    return _stripped(name).bare


def _strip_plain(name: str) -> str:
    best = name
    for p in STRIP_PREFIXES:
        if name.startswith(p) and len(name) - len(p) < len(best):
            best = name[len(p):]
    return best


def _variants_plain(name: str) -> tuple[str, ...]:
    """``name`` with each syscall-wrapper prefix it has taken off (title alternatives)."""
    return tuple(name[len(p):] for p in STRIP_PREFIXES if name.startswith(p))


def _names(frames: Iterable[Frame | None]) -> list[str]:
    return list(_iter_names(frames))


def _iter_names(frames: Iterable[Frame | None]) -> Iterator[str]:
    """The names of ``frames`` a title may blame, in trace order, made as they are read
    (``_pick`` of most modes stops at the first name not skipped)."""
    for f in frames:
        if (f is None or not f.function or f.marker == "?" or f.stack == "hyp" or (f.inline and f.offset is None)
                or outside_function(f)):
            continue  # unreliable guesses, hyp frames, inlined callees (no return address of their own)
        for printed in (f.function, f.caller):  # 32-bit ARM: the frame, then the caller it names
            if printed:
                name = _title_name(printed)
                if name is not None:
                    yield name


@functools.lru_cache(maxsize=100_000)  # a log repeats its names; bounded
def _title_name(printed: str) -> str | None:
    """``_title_name_plain``, remembered per printed function."""
    return _title_name_plain(printed)


def _title_name_plain(printed: str) -> str | None:
    """The name a printed function is titled by (None: an address, no function)."""
    m = _FUNC_NAME.match(printed)
    if m and not _ADDRESS.match(printed):
        name = m.group(0)
        if name.startswith(("_R", "_Z")):  # Rust / C++ mangling: titled by the readable path
            name = demangle(name) or name
        return name
    return None


@dataclass(frozen=True)
class SyzTitle:
    """A report's syzkaller-compatible identity."""

    title: str
    alt_titles: tuple[str, ...]
    type: str
    corrupted: str | None  # the reason, when syzkaller's rules call the report corrupted
    guilty: str | None  # the guilty function (the title's frame)
    expects_trace: bool = True  # the format prints a call trace (its absence is damage)


def _guilty(mode: str, skip: re.Pattern[str] | None, header_func: str | None, lock_at: tuple[Frame, ...],
            pc: Frame | None, frames: tuple[Frame, ...], everything: tuple[Frame, ...],
            after: int, after_func: str | None = None, pc_lines: tuple[int, ...] = (),
            context: bool = False) -> tuple[str, str] | None:
    """The guilty function as titled (canonical) and as printed (raw).

    ``pc_lines``: the report's pc lines (``RIP:``, ``pc :``...); ``context``: the log has
    printk caller ids, with which syzkaller drops ``? `` lines from the report altogether."""
    if mode == "lock":
        names = _names(lock_at[:1])
        return (names[0], names[0]) if names else None
    if mode == "rcu":
        # The stalled CPU's backtrace: what follows its timer interrupt (x86: the first
        # "apic_timer_interrupt" frame, then the next pc line, the interrupted RIP, and its callers;
        # failing that, every frame after that interrupt frame).
        at = next((i for i, f in enumerate(everything) if f.function and "apic_timer_interrupt" in f.function
                   and not (context and f.marker == "?")), None)
        if at is not None:
            rip = next((n for n in pc_lines if n > everything[at].line_no), None)
            if rip is not None:
                found = _pick("stall", skip, _names(f for f in everything if f.line_no >= rip))
                if found is not None:
                    return found
        else:  # arm64 and arm: the frames below the IRQ exception entry
            at = next((i for i, f in enumerate(everything) if f.function in _IRQ_ENTRIES), None)
        if at is not None:
            names = _names(everything[at + 1:])
        else:  # arm: the interrupted frames follow the "Exception stack(...)" dump of the IRQ entry
            names = _names(f for f in everything if f.line_no > after)
        mode = "stall"
    elif mode == "locks":  # the two "at:" lines (lock taken, lock held), then the frames after them
        start = lock_at[1].line_no if len(lock_at) > 1 else 1 << 62
        names = _names(lock_at[:2]) + _names(f for f in everything if f.line_no > start)
    elif mode == "after":  # the frames printed after the title's ``after`` line (and the one it names)
        names = _names([Frame(function=after_func)] if after_func else []) + _names(
            f for f in everything if f.line_no > after)
    elif mode in ("pc", "stall"):
        return _pick(mode, skip, _iter_names((pc, *frames)))
    elif mode == "ip":
        names = _names([pc])
    elif mode == "header":
        return _pick(mode, skip, _iter_names((Frame(function=header_func), *frames) if header_func else frames))
    else:
        return _pick(mode, skip, _iter_names(frames))
    return _pick(mode, skip, names)


def _pick(mode: str, skip: re.Pattern[str] | None, names: Iterable[str]) -> tuple[str, str] | None:
    """``_pick_plain``, reading ``names`` only up to the first one not skipped where the
    mode's rule (every rule but "stall" and "hang") looks no further: the rest of a trace
    is neither named nor searched in the skip patterns."""
    if mode not in ("stall", "hang"):
        for n in names:
            if n.startswith("should_fail") and _FAULT_INJECTION.match(n):
                return None  # fault injection at or before the first kept name (see _pick_plain)
            if not _skipped(skip, n):
                return _strip(n), n
        return None
    # _pick_plain's stall and hang rules, with each name's reading remembered (_stripped).
    names = list(names)
    kept = [n for n in names if not _skipped(skip, n)]
    injected = next((i for i, n in enumerate(names) if n.startswith("should_fail") and _FAULT_INJECTION.match(n)),
                    None)
    if injected is not None and (not kept or names.index(kept[0]) >= injected):
        return None
    if mode == "stall":
        prev = kept[0] if kept else None
        for n in kept:
            b = _stripped(n)
            if b.stall:
                if "smp_call_function" in b.bare:
                    return "smp_call_function", n
                return (_strip(prev), prev) if prev else None
            prev = n
        return None
    for n in kept:
        hang = _stripped(n).hang
        if hang is not None:
            return hang, n
    return next(((_strip(n), n) for n in kept if not _stripped(n).hang_skip), None)


def _pick_plain(mode: str, skip: re.Pattern[str] | None, names: list[str]) -> tuple[str, str] | None:
    """The guilty one of ``names`` (in trace order) by the mode's rule."""
    kept = [n for n in names if not _skipped(skip, n)]
    injected = next((i for i, n in enumerate(names) if n.startswith("should_fail") and _FAULT_INJECTION.match(n)),
                    None)  # the startswith: a name that cannot match costs no regex call
    if injected is not None and (not kept or names.index(kept[0]) >= injected):
        return None  # a fault-injection stack is mixed into the report: which frame is guilty is unknown
    # The stall and hang rules read the names with syscall-wrapper prefixes taken off, as syzkaller
    # does ("compat_SyS_ioctl" is the "ioctl" dispatch point).
    if mode == "stall":
        prev = kept[0] if kept else None
        for n in kept:
            bare = _strip_plain(n)
            if _STALL_RX.search(bare):
                if "smp_call_function" in bare:
                    return "smp_call_function", n
                return (_strip_plain(prev), prev) if prev else None
            prev = n
        return None
    if mode == "hang":
        for n in kept:
            bare = _strip_plain(n)
            for anchor, repl in HANG_ANCHORS:
                if anchor in bare:
                    return repl or bare, n
        kept = [n for n in kept if not any(s in _strip_plain(n) for s in HANG_SKIP)]
    return (_strip_plain(kept[0]), kept[0]) if kept else None


def syz_title(fmt: Format, header: str, lines: Sequence[Line], facts: dict[str, str], *,
              header_func: str | None, lock_at: tuple[Frame, ...], pc: Frame | None, frames: tuple[Frame, ...],
              has_trace: bool, everything: tuple[Frame, ...] = (), joined: str = "") -> SyzTitle | None:
    """The title syzkaller gives a report opened by ``header`` (a line of format ``fmt``);
    ``lines`` are the report's lines, ``joined`` their texts joined by newlines if the caller
    has them (else they are joined here, when a title variant reads the whole report)."""
    if "printk messages dropped" in header:  # _DROPPED's literal: most headers need no sub
        header = _DROPPED.sub("", header)  # printk's "** N printk messages dropped **" glued to the line
    report_text = joined
    unmatched = False  # a variant's header matched, its report text did not
    m = fmt.rx.search(header)
    groups: dict[str, str] = {k: v for k, v in (m.groupdict() if m else {}).items() if v is not None}
    for t in fmt.titles:
        wm = t.when_rx.search(header) if t.when_rx is not None else None
        if wm is None and t.when_rx is not None:
            continue  # before the values are built: most variants do not apply
        values = dict(facts)
        values.update(groups)
        if wm is not None:
            values.update({k: v for k, v in wm.groupdict().items() if v is not None})
            if "what" not in groups and wm.lastindex is None:
                values.setdefault("what", wm.group(0))
        corrupted: str | None = "report format is marked as corrupted" if t.corrupted else None
        if unmatched and t.when_rx is None:  # the catch-all stands for syzkaller's bare header line
            corrupted = "matched title but not report regexp"
        if t.report_rx is not None:
            report_text = report_text or "\n".join(ln.text for ln in lines)
            rm = t.report_rx.search(report_text)
            if rm is None:  # the header matched, the report does not: try the next variant
                unmatched = True
                continue
            values.update({k: v for k, v in rm.groupdict().items() if v is not None})
        after = 1 << 62
        after_func: str | None = None
        pc_lines: tuple[int, ...] = ()
        if t.after_rx is not None:
            for ln in lines:
                am = t.after_rx.search(ln.text)
                if am is not None:
                    after, after_func = ln.no, am.groupdict().get("func")
                    break
        elif t.frame == "rcu":
            after = next((ln.no for ln in lines if ln.text.startswith("Exception stack(")), after)
            pc_lines = tuple(ln.no for ln in lines if _PC_LINE.search(ln.text))
        frame = raw = None
        if t.frame != "none":
            found = _guilty(t.frame, _skip_rx(t.skip), header_func, lock_at, pc, frames, everything, after,
                            after_func, pc_lines, bool(lines) and lines[0].caller is not None)
            if found is None:
                corrupted = corrupted or "no frames in a stack trace"
            else:
                frame, raw = found
        values["frame"] = frame or "corrupted"
        values.setdefault("access", "")
        try:
            title = t.template.format_map(values)
        except (KeyError, IndexError):
            continue
        title = normalise_title(title.replace("  ", " "))
        alt_list = [a.format_map(values) for a in t.alt]
        # The frame as printed, and with each syscall-wrapper prefix taken off, are alternatives.
        for variant in (raw, *_stripped(raw).variants) if raw else ():
            other = {**values, "frame": variant}
            alt_list += [t.template.format_map(other), *(a.format_map(other) for a in t.alt)]
        alts = tuple(a for a in dict.fromkeys(normalise_title(a) for a in alt_list) if a != normalise_title(title))
        if corrupted is None and _TIMESTAMP_IN_TITLE.search(title):
            corrupted = "title matches corrupted regexp"
        if corrupted is None and t.stack and not has_trace:
            corrupted = "no stack trace in report"
        if corrupted is None and _frameless_trace(lines, report_text or None):
            corrupted = "a call trace without frames"
        return SyzTitle(title, alts, crash_type(title), corrupted, frame, t.stack)
    if not fmt.titles:
        return None
    # The header matched but no variant's report did: the header line itself, corrupted.
    title = normalise_title(header)
    return SyzTitle(title, (), crash_type(title), "matched title but not report regexp", None)


_TRACE_START: Final = BODY_RX["trace_start"]
_FRAME_FORMS: Final = (FRAME_MODERN, FRAME_INLINE, FRAME_ARM32, FRAME_ARM32_NEW, FRAME_ADDR_ONLY)
# Any of _FRAME_FORMS, one match call: their alternation without the group names (which
# repeat between forms).  An alternation matches at 0 exactly when one of its forms does.
_ANY_FRAME: Final = re.compile("|".join(f"(?:{re.sub(r'[(][?]P<[a-z0-9_]+>', '(?:', rx.pattern)})" for rx in _FRAME_FORMS))


def _frameless_trace(lines: Sequence[Line], joined: str | None = None) -> bool:
    """A "Call Trace:" (or KASAN's "Allocated by task N:"/"Freed by task N:") with no frame
    before the next one: the trace was lost (a double fault's first dump, a console cut),
    so is the report's evidence (syzkaller's isCorrupted: each such keyword is followed by
    at least one frame or "(stack is not available)"; in a prefixed report it has dropped
    the "? " guesses, so they are no frame then).

    ``joined``: the lines' texts joined by newlines, when the caller has them.  The answer
    needs two trace openers, and each opener line holds one of _OPENER_WORDS: with fewer
    than two of those in the whole text (most reports: one "Call trace:") it is no, without a
    look at each line (``_frameless_trace_plain`` looks)."""
    if joined is not None and sum(map(joined.count, _OPENER_WORDS)) < 2:
        return False
    return _trace_without_frames(lines, lambda text: _ANY_FRAME.match(text) is not None)


def _frameless_trace_plain(lines: Sequence[Line]) -> bool:
    """``_frameless_trace`` trying each frame form in turn (the reference of the tests)."""
    return _trace_without_frames(lines, lambda text: any(rx.match(text) for rx in _FRAME_FORMS))


def _trace_without_frames(lines: Sequence[Line], is_frame: Callable[[str], bool]) -> bool:
    """A trace opener followed, among the lines the report kept in a row, by another opener
    before any frame."""
    open_ = False
    prev = -1
    unreliable_dropped = bool(lines) and lines[0].stamped  # syzkaller drops "? " frames of a prefixed report
    for ln in lines:
        text = ln.text.lstrip()
        if ln.no != prev + 1:
            open_ = False  # a line the report did not keep followed: it may have been a frame
        prev = ln.no
        if (text.startswith(("Call ", "Backtrace")) and _TRACE_START.match(text)) or _ALLOC_FREE.match(text):
            if open_:
                return True
            open_ = True
        elif open_ and (text.startswith(("<Same stack as pid", "(stack is not available)")) or is_frame(text)):
            open_ = unreliable_dropped and text.startswith("?")
    return False


_ALLOC_FREE: Final = re.compile(r"^(?:Allocated|Freed)(?: by task \d{1,10})?:$")  # KASAN's object stacks
# What every trace opener line holds: "Call "/"Backtrace" (trace_start, as _frameless_trace
# requires) or the start of an _ALLOC_FREE line.
_OPENER_WORDS: Final = ("Call ", "Backtrace", "Allocated", "Freed")


_SOURCE_END: Final = re.compile(r"(?<=[a-zA-Z0-9_\-])\.[ch]:[0-9]")  # the end of "path/file.c:123"
_PATH_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")


def _source_file(line: str) -> str | None:
    """The first ``path/file.c`` followed by ``:line`` in ``line``.  Found from its end
    backwards, so a long run of path characters is read once (linear time)."""
    if ".c:" not in line and ".h:" not in line:
        return None
    m = _SOURCE_END.search(line)
    if m is None:
        return None
    start = m.start()
    while start > 0 and line[start - 1] in _PATH_CHARS:
        start -= 1
    return line[start : m.start() + 2]


_FILE_IGNORE: Final = re.compile("|".join(f"(?:{p})" for p in GUILTY_FILE_IGNORE))
# Lines whose file names are not where the report happened (lockdep's "at:" and irq-state
# lines, held-lock lists, register descriptions).
_LINE_IGNORE: Final = re.compile(r"(?:hardirqs|softirqs)\s+last\s+(?:enabled|disabled)|,\s+at:\s+|^\s*#\d+:"
                                 r"|^Register r\d+ information")
_DEEPER: Final = re.compile(r"^/[a-zA-Z0-9_\-./]+/[a-zA-Z0-9_\-]+\.[ch]$")
# RCU stalls: the stalled code follows the interrupt that caught it.
_INTERRUPT_ENDS: Final = ("apic_timer_interrupt+0x", "el1h_64_irq+0x", "Exception stack")


def _clean_path(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        else:
            parts.append(part)
    return ("/" if path.startswith("/") else "") + "/".join(parts) or "."


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _guilty_file_in(lines: list[str]) -> str:
    guilty = ""
    rest = iter(lines)
    for line in rest:
        found = _source_file(line)
        if found is None:
            continue
        if not guilty:
            guilty = found  # better the first file than none
        if _FILE_IGNORE.search(found) or _LINE_IGNORE.search(line):
            continue
        guilty = _clean_path(found)
        break
    deepest = _dirname(guilty)
    for line in rest:  # a deeper path under the guilty file's directory is more specific
        found = _source_file(line)
        if found is None or _FILE_IGNORE.search(found) or _LINE_IGNORE.search(line):
            continue
        path = _clean_path(found)
        if path.startswith(deepest) and _DEEPER.match(path[len(deepest):]):
            guilty, deepest = path, _dirname(path)
    return guilty


def guilty_file(title: str, lines: Iterable[str], joined: str | None = None) -> str | None:
    """The source file a (symbolized) report blames: the first ``file.c:line`` outside the
    generic core files (else the first one), refined by deeper paths in the same directory.

    ``joined``: the lines joined by newlines, when the caller has them: a report with no
    ".c:" nor ".h:" in it (not symbolized) names no file, found without a look at each line."""
    if joined is not None and ".c:" not in joined and ".h:" not in joined:
        return None
    # Only lines holding ".c:" or ".h:" can name a file (_source_file): the others are passed
    # over here, one substring test each, rather than one call each in _guilty_file_in.
    return _guilty_file(title, list(lines), lambda text: [ln for ln in text if ".c:" in ln or ".h:" in ln])


def guilty_file_plain(title: str, lines: Iterable[str]) -> str | None:
    """``guilty_file`` reading every line (the reference of the tests)."""
    return _guilty_file(title, list(lines), lambda text: text)


def _guilty_file(title: str, text: list[str], named: Callable[[list[str]], list[str]]) -> str | None:
    """An RCU stall's file after its interrupt entry, else the first of ``named(text)``."""
    if title.startswith("INFO: rcu detected stall"):
        joined = "\n".join(text)
        for end in _INTERRUPT_ENDS:
            at = joined.find(end)
            if at >= 0:
                found = _guilty_file_in(joined[at:].split("\n"))
                if found:
                    return found
    return _guilty_file_in(named(text)) or None
