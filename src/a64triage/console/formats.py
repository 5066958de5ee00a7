"""Every report format the parser knows: one declarative row each.

A row says how a report opens (the header line, the literal text it needs, the
kernel file printing it), what it is (``Kind``), how it is titled (syzkaller-
compatible title variants: template, where the guilty function comes from and
which frames that search skips, alternative titles, "corrupted" conditions) and
which slot of a report it fills.  Everything else is derived from these rows:

- ``patterns.HEADERS`` (the parser's header table) and ``match_header``;
- ``PREFILTER``: the literal strings a line must contain to matter while no
  report is open (the fast path of ``parse_file`` skips all other lines);
- titles (``titles.syz_title``) and crash types (``CRASH_TYPES``);
- ``diagnose.patterns``' report-kind patterns (``REPORT_PATTERNS``).

Adding a format: docs/ARCHITECTURE.md, "How to add a report format".

Title rules follow syzkaller's documented behaviour (its pkg/report test data,
tests/data/syzkaller/, is the conformance suite); the deliberate differences are
listed in docs/TITLES.md.  Header regexes are written from the kernel's format
strings (the ``source`` of each row) and use bounded repetition so that a long
line costs linear time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from a64triage.console.kinds import Kind

_HEX = r"[0-9a-fA-F]"


@dataclass(frozen=True)
class Title:
    """One way a report of a format is titled; a format's first applicable one wins.

    ``template`` is ``str.format`` text over the header match's named groups, the
    report facts (``access``...) and ``frame`` (the guilty function).  ``frame``
    says where that function comes from:

    - ``pc``: the faulting pc line (``RIP:``/``pc :``/``PC is at``), then the call trace;
    - ``ip``: the faulting pc line alone (a double fault's trace is the handler's own);
    - ``trace``: the first call trace;
    - ``header``: the function printed in the header line, then the call trace;
    - ``stall``: the frame just above the first dispatch "anchor" (syscall entry,
      workqueue, timer...): loops stall anywhere, their caller names the bug;
    - ``rcu``: ``stall`` over the stalled CPU's backtrace (after its timer interrupt's entry,
      or arm's "Exception stack(...)" dump); no interrupted backtrace in the report: no frame;
    - ``hang``: the first frame that is not a wait/lock primitive (rtnl_lock and the
      synchronize_* family are kept: they name the bucket);
    - ``lock``: the function of lockdep's ``at:`` line for the lock being taken;
    - ``locks``: the two ``at:`` functions (lock taken, lock held), then the frames after them;
    - ``after``: the frames printed after the first report line matching ``after`` (preceded by
      that line's ``func`` group, if it has one);
    - ``leak``: kmemleak's allocation ``backtrace:``;
    - ``none``: the template has no function.
    """

    template: str
    when: str | None = None  # regex searched in the header line (its groups fill the template); None = always
    frame: str = "none"
    skip: tuple[str, ...] = ()  # extra frame-skip patterns (regex, searched in the name)
    alt: tuple[str, ...] = ()
    corrupted: bool = False  # the format itself means a truncated report
    stack: bool = True  # a call trace is expected (missing: corrupted)
    report: str | None = None  # regex searched in the whole report (groups fill the template; no match: next variant)
    after: str | None = None  # frame "after": the frames printed after the first line matching this
    when_rx: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    # ``report`` and ``after`` compiled once here, not looked up in re's cache per report.
    report_rx: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    after_rx: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Format:
    """A report format: the header that opens it and how it is titled."""

    name: str
    slot: str  # the piece of a report it fills (a second header for a filled slot starts a new report)
    kind: Kind | None
    header: str  # regex matched at the start of the cleaned line (or at ``literal`` inside it)
    literal: str  # text every header line of the format contains (PREFILTER)
    first: str  # characters the cleaned line can start with ("" = any)
    source: str  # kernel file printing the header
    titles: tuple[Title, ...] = ()
    syz: bool = True  # syzkaller's Linux reporter knows this header (it may open a report anywhere in a line)
    arch: str | None = None  # only this architecture prints it (a report it opens is never decoded as arm64)
    # The line that always follows the header when the kernel prints the whole report (regex):
    # a header opening a report alone, without it, is a fragment of some other message.
    confirm: str | None = None
    # Lines holding the header that are no report (regex searched in the whole line; syzkaller's
    # per-header ignores: "XFS (sda): WARNING ...", "ALSA ... fatal error: ...").
    ignore: str | None = None
    # The first of two lines the header was printed as, when a name in it (a task's comm)
    # held a newline: printk gives each piece of the record its own prefix (regex).
    split: str | None = None
    # A message that prints a stack of its own and is no report (syzkaller's "info messages
    # with stack"): it ends the report open in its stream, and opens none.
    ends: bool = False
    # Printed inside another report, never ending its text (syzkaller's reportStartIgnores);
    # any other header syzkaller knows ends the text that titles a report (logs without caller ids).
    inside: bool = False
    rx: re.Pattern[str] = field(init=False, compare=False, repr=False)
    confirm_rx: re.Pattern[str] | None = field(init=False, compare=False, repr=False)
    ignore_rx: re.Pattern[str] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rx", re.compile(self.header))
        object.__setattr__(self, "confirm_rx", re.compile(self.confirm) if self.confirm else None)
        object.__setattr__(self, "ignore_rx", re.compile(self.ignore) if self.ignore else None)


def _t(template: str, when: str | None = None, frame: str = "none", skip: tuple[str, ...] = (),
       alt: tuple[str, ...] = (), corrupted: bool = False, stack: bool = True, report: str | None = None,
       after: str | None = None) -> Title:
    return Title(template, when, frame, skip, alt, corrupted, stack, report, after,
                 re.compile(when) if when is not None else None,
                 re.compile(report) if report is not None else None,
                 re.compile(after) if after is not None else None)


# A "[<address>] func+0x1/0x2" entry anywhere in a line (print_ip_sym(), old "at:" lines).
_IP_FUNC = r"\[<?(?:0x)?[0-9a-f]{1,16}>?\] {1,8}(?P<func>\w{1,256})[.+]"
_LOCKDEP_WHAT = (
    r"possible circular locking dependency detected|possible recursive locking detected"
    r"|inconsistent lock state|suspicious RCU usage|bad unlock balance detected|held lock freed"
    r"|lock held when returning to user space|possible irq lock inversion dependency detected"
    r"|lock held at task exit time|bad contention detected|nested lock was not taken|Nested lock was not taken"
    r"|bad unlock balance|MAX_LOCKDEP_\w{1,30} too low|\w{1,20}-safe -> \w{1,20}-unsafe lock order detected"
    r"|.{0,80}still has locks held!|Invalid wait context"
)
_DEADLOCK = "possible deadlock in {frame}"
_LOCKDEP_TITLES = (
    # Before v4.11 syzkaller reads the "at:" of the lock being taken as is (no skip list).
    _t(_DEADLOCK, r"^\[ INFO: (?:possible circular locking|possible recursive locking|possible irq lock inversion"
       r"|.{0,30}-safe -> )", "lock"),
    _t(_DEADLOCK, r"circular locking", "locks",
       skip=("process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"),
       report=r"is trying to acquire lock"),
    _t(_DEADLOCK, r"recursive locking|irq lock inversion", "lock"),
    _t(_DEADLOCK, r"-safe -> ", "after", after=r"which became .{0,200} at:"),
    _t("inconsistent lock state in {frame}", r"^\[ INFO: inconsistent lock state", "lock"),
    _t("inconsistent lock state in {frame}", r"inconsistent lock state", "trace", report=r"takes"),
    # lockdep_rcu_suspicious() names the source line ("include/linux/rcupdate.h:NNN ...") first
    _t("{sev}: suspicious RCU usage in {frame}", r"suspicious RCU usage", "trace",
       skip=("rcu", "kmem", "slab"), report=r"suspicious RCU usage.{0,200}\n(?:.{0,300}\n){0,50}?.{0,300}?[\w/.\-]\.[a-z]{1,3}:\d"),
    # The "[<ip>] func" line lockdep prints for the unlock (print_ip_sym()), then the call trace.
    _t("{sev}: bad unlock balance in {frame}", r"bad unlock balance", "after", after=_IP_FUNC),
    _t("{sev}: held lock freed in {frame}", r"held lock freed", "lock"),
    _t("{sev}: still has locks held in {frame}", r"still has locks held", "lock"),
    _t("{sev}: lock held when returning to user space in {frame}", r"returning to user space", "lock", stack=False),
    _t("{sev}: nested lock was not taken in {frame}", r"[Nn]ested lock", "pc"),
    _t("WARNING: locking bug in {frame}", r"Invalid wait context", "trace", skip=("lock_sock", "release_sock")),
    _t("{sev}: {what}", None, "none", stack=False),
)
# WARNING titles by the file that warned (syzkaller's names for debugobjects, usercopy, kobject,
# proc, refcount, lockdep, vmalloc, kmalloc and usb_submit_urb warnings), whatever the header's era.
_WARNING_TITLES = (
    _t("WARNING: ODEBUG bug in {frame}", r" lib/debugobjects\.c", "pc",
       skip=("debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "kmem_", "slab_", "kfree",
             "vunmap", "vfree", "__free_", "debug_check", "kobject_")),
    _t("WARNING: bad usercopy in {frame}", r" mm/usercopy\.c", "pc", skip=("usercopy", "__check")),
    _t("WARNING: kobject bug in {frame}", r" lib/kobject\.c", "pc", skip=("kobject_",)),
    _t("WARNING: proc registration bug in {frame}", r" fs/proc/generic\.c", "pc", skip=("proc_",)),
    _t("WARNING: refcount bug in {frame}", r" lib/refcount\.c", "pc", skip=("refcount", "kobject_")),
    _t("WARNING: locking bug in {frame}", r" kernel/locking/lockdep\.c.{0,80}lock_", "pc",
       skip=("lock_sock", "release_sock")),
    _t("WARNING: zero-size vmalloc in {frame}", r" mm/vmalloc\.c.{0,80}__vmalloc_node", "pc"),
    _t("WARNING: kmalloc bug in {frame}", r" mm/\S{1,80}\.c\S{0,20} k?.?malloc", "pc",
       skip=("kmalloc", "krealloc", "slab", "kmem")),
    _t("WARNING in {frame}/usb_submit_urb", r" usb_submit_urb", "pc",
       skip=("usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg",
             "usb_control_msg")),
    _t("WARNING in {frame}", None, "pc"),
)

# "trusty: panic (caller 0x...)", the caller possibly on the next "trusty: " chunk.
_TRUSTY_PANIC = r"trusty: panic \([^\n]{0,200}?(?:\ntrusty: [^\n]{0,200}?)?"
_BAD_ACCESS = ("bad-access in {frame}",)
_STALL_ALT = ("stall in {frame}",)

# Order matters: the first match wins (lockdep's "WARNING: possible ..." before WARNING:).
FORMATS: tuple[Format, ...] = (
    Format("cut", "cut", None, r"^(?:-{4,40}\[ cut here \]-{4,40}|8<-{2,10} cut here -{2,10})$", "cut here", "-8",
           "include/asm-generic/bug.h (CUT_HERE)", syz=False),
    # Messages with a stack of their own inside a report end it (syzkaller's infoMessagesWithStack):
    # lib/fault-inject.c fail_dump(), mm/page_alloc.c warn_alloc() ("comm: vmalloc: ..."),
    # mm/memory.c / mm/filemap.c (FAULT_FLAG_ALLOW_RETRY).
    Format("fault-injection", "info", None, r"^FAULT_INJECTION: forcing a failure", "FAULT_INJECTION: forcing", "F",
           "lib/fault-inject.c fail_dump()", syz=False, ends=True),
    Format("alloc-failure", "info", None, r"^(?:.{1,80}?: )?vmalloc: allocation failure:", "vmalloc: allocation failure:",
           "", "mm/page_alloc.c warn_alloc()", syz=False, ends=True),
    Format("fault-retry", "info", None, r"^FAULT_FLAG_ALLOW_RETRY missing", "FAULT_FLAG_ALLOW_RETRY missing", "F",
           "mm/filemap.c, mm/memory.c", syz=False, ends=True),
    Format("nvhe-hyp", "hyp", Kind.HYP_PANIC,
           r"^(?:kvm \[\d{1,10}\]: )?nVHE hyp (?P<what>panic|BUG|CFI failure) at: "
           r"(?:\[<(?P<addr>" + _HEX + r"{1,16})>\] )?(?P<where>\S{1,300}?)!?$", "nVHE", "kn",
           "arch/arm64/kvm/handle_exit.c nvhe_hyp_panic_handler()", syz=False, arch="arm64"),
    Format("nvhe-invalid", "hyp", Kind.HYP_PANIC, r"^(?:kvm \[\d{1,10}\]: )?Invalid host exception to nVHE hyp!",
           "nVHE", "kI", "arch/arm64/kvm/hyp/nvhe/host.S", syz=False, arch="arm64"),
    Format("unable-to-handle", "fault", Kind.OOPS,
           r"^Unable to handle kernel (?P<msg>.{1,120}?) at virtual address (?P<addr>" + _HEX + r"{1,16})\b",
           "Unable to handle kernel", "U", "arch/arm64/mm/fault.c die_kernel_fault(), arch/arm/mm/fault.c",
           (_t("BUG: unable to handle kernel {what} in {frame}",
               r"paging request|NULL pointer dereference|access to user memory", "pc", alt=_BAD_ACCESS),
            # arm64's other die_kernel_fault() messages (execute from non-executable memory,
            # write to read-only memory, ...): syzkaller has no variant for them; titled the
            # same way so that different faults stay different buckets (docs/TITLES.md).
            _t("BUG: unable to handle kernel {msg} in {frame}", None, "pc", alt=_BAD_ACCESS))),
    Format("unhandled-fault", "fault", Kind.OOPS, r"^Unhandled fault(?::| at) (?P<msg>.{0,200})$", "Unhandled fault",
           "U", "arch/arm/mm/fault.c do_DataAbort()",
           (_t("Unhandled fault in {frame}", "^Unhandled fault:", "pc", alt=_BAD_ACCESS),)),
    Format("abort", "abort", Kind.OOPS, r"^Mem abort info:$", "Mem abort info", "M",
           "arch/arm64/mm/fault.c mem_abort_decode()", syz=False, arch="arm64"),
    Format("stackovf", "stackovf", Kind.STACK_OVERFLOW, r"^Insufficient stack space to handle exception!",
           "Insufficient stack", "I", "arch/arm64/kernel/traps.c panic_bad_stack()", syz=False),
    Format("internal", "internal", Kind.OOPS,
           r"^Internal error: (?P<what>.{1,80}?): (?P<err>" + _HEX + r"{1,16}) \[#(?P<n>\d{1,6})\](?P<flags>.{0,80})$",
           "Internal error", "I", "arch/arm64/kernel/traps.c die(), arch/arm/kernel/traps.c",
           (_t("Internal error in {frame}", None, "pc", alt=_BAD_ACCESS),), inside=True),
    Format("kernel-bug", "bug", Kind.BUG, r"^kernel BUG at (?P<file>[^\s:]{1,200}):(?P<line>\d{1,7})!", "kernel BUG", "k",
           "include/asm-generic/bug.h BUG(), lib/bug.c",
           (_t("BUG: bad usercopy in {frame}", r"at mm/usercopy\.c", "trace", skip=("usercopy", "__check")),
            _t("BUG: corrupted list in {frame}", r"at lib/list_debug\.c", "trace", alt=_BAD_ACCESS),
            _t("kernel BUG in {frame}", None, "pc", skip=("^skb_",)))),
    Format("kernel-bug-ppc", "bug", Kind.BUG, r"^Kernel BUG (?P<rest>.{1,200})$", "Kernel BUG", "K",
           "arch/powerpc/kernel/traps.c", (_t("kernel BUG {rest}", stack=False),)),
    Format("lockdep", "lockdep", Kind.LOCKDEP, r"^(?P<sev>WARNING|BUG): (?P<what>" + _LOCKDEP_WHAT + ")", "", "WB",
           "kernel/locking/lockdep.c print_*_bug()", _LOCKDEP_TITLES),
    # Before v4.11 lockdep's banner was "[ INFO: inconsistent lock state ]" (kernel/locking/lockdep.c).
    Format("lockdep-old", "lockdep", Kind.LOCKDEP, r"^\[ (?P<sev>INFO|BUG): (?P<what>" + _LOCKDEP_WHAT + r") \]$", "",
           "[", "kernel/locking/lockdep.c (before v4.11)", _LOCKDEP_TITLES),
    Format("rcu-suspicious-old", "lockdep", Kind.LOCKDEP, r"^(?P<sev>INFO): (?P<what>suspicious RCU usage)", "INFO: ",
           "I", "kernel/locking/lockdep.c lockdep_rcu_suspicious() (before v4.11)", _LOCKDEP_TITLES),
    Format("non-static-key", "lockdep", Kind.LOCKDEP, r"^INFO: trying to register non-static key", "INFO: ", "I",
           "kernel/locking/lockdep.c assign_lock_key()",
           (_t("INFO: trying to register non-static key in {frame}", None, "trace", skip=("stack", "lock", "IRQ")),)),
    Format("warning", "warning", Kind.WARNING,
           r"^WARNING: CPU: (?P<cpu>\d{1,5}) PID: (?P<pid>-?\d{1,10}) at (?P<loc>\S{1,300}) (?P<func>\S{1,300})", "WARNING: ",
           "W", "kernel/panic.c __warn()", _WARNING_TITLES),
    # 2.6/3.x, and again since v6.19 ("WARNING: lib/refcount.c:19 at 0x0, CPU#1: syz.3.20/6051")
    Format("warning-old", "warning", Kind.WARNING,
           r"^WARNING: (?:\[[^\]]{0,200}\] )?(?P<loc>\S{1,300}:\d{1,7}) at (?P<func>[^,\s]{1,300}), CPU#(?P<cpu>\d{1,5}): (?P<comm>.{1,64})/(?P<pid>-?\d{1,10})$",
           "WARNING: ", "W", "kernel/panic.c __warn() (2.6/3.x; v6.19+)", _WARNING_TITLES),
    Format("warning-at", "warning", Kind.WARNING, r"^WARNING: at (?P<loc>\S{1,300}) (?P<func>\S{1,300})", "WARNING: ",
           "W", "kernel/panic.c (2.6/3.x)", (_t("WARNING in {frame}", None, "pc"),)),
    Format("warning-stack", "other", Kind.WARNING,
           r"^WARNING: kernel stack (?P<what>regs|frame pointer) at {0,16}\S{1,20} in \S{1,100} has bad (?P<v>'[^']{1,20}' )?value",
           "WARNING: ", "W", "arch/x86/kernel/unwind_frame.c",
           (_t("WARNING: kernel stack regs has bad '{bad}' value",
               r"regs at [0-9a-f]{1,16} in \S{0,100} has bad '(?P<bad>[^']{1,20})' value", stack=False),
            _t("WARNING: kernel stack frame pointer has bad value",
               r"frame pointer at [0-9a-f]{1,16} in \S{0,100} has bad value", stack=False),
            _t("WARNING: kernel stack regs has bad value", None, stack=False)), syz=True),
    Format("kasan", "kasan", Kind.KASAN, r"^BUG: KASAN: (?P<type>[\w-]{1,60}(?: or [\w-]{1,60})?) (?:in|on address) {1,20}(?P<func>\S{1,300})",
           "BUG: KASAN: ", "B", "mm/kasan/report.c print_error_description()", (
               _t("KASAN: {type} {access} in {frame}", r"^BUG: KASAN: [a-z-]{1,60} in ", "header",
                  skip=("kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"), alt=_BAD_ACCESS,
                  report=r"(?P<access>Read|Write) (?:of size|at addr) [0-9a-f]"),
               _t("KASAN: invalid-free in {frame}", r"KASAN: (?:double-free or invalid-free|double-free|invalid-free) in ",
                  "header", skip=("slab_", "kfree", "vunmap", "vfree"), alt=("invalid-free in {frame}",)),
               # Before 4.x: "BUG: KASAN: <type> on address <addr>", no function: syzkaller calls it corrupted.
               _t("KASAN: {type} {access}", r" on address", stack=False, corrupted=True,
                  report=r"(?P<access>Read|Write) of size \d"),
               _t("KASAN: {rest}", r"^BUG: KASAN: (?P<rest>.{1,300})", corrupted=True, stack=False))),
    Format("kmsan", "kasan", Kind.KMSAN, r"^BUG: KMSAN: (?P<type>[\w-]{1,60}) in (?P<func>\S{1,300})", "BUG: KMSAN: ",
           "B", "mm/kmsan/report.c kmsan_report()",
           # alloc_skb and netlink plumbing, and generic crypto code (where an uninit key or
           # buffer is first used) name no bug: the caller does.
           (_t("KMSAN: {type} in {frame}", None, "trace",
               skip=("kmsan", "__msan", r"^memcpy", r"^copy_", "alloc_skb", "netlink_ack", "netlink_rcv_skb",
                     "_encrypt$", "^(?:crypto|cipher|drbg|rng)_")),)),
    Format("kcsan", "kasan", Kind.KCSAN, r"^BUG: KCSAN: (?P<what>.{1,300})$", "BUG: KCSAN: ", "B",
           "kernel/kcsan/report.c print_report()", (_t("KCSAN: {what}", stack=False),)),
    Format("kfence", "kasan", Kind.KFENCE, r"^BUG: KFENCE: (?P<type>[\w -]{1,60}?) in (?P<func>\S{1,300})",
           "BUG: KFENCE: ", "B", "mm/kfence/report.c kfence_report_error()", (
               _t("KFENCE: {type} in {frame}", r"invalid free|memory corruption", "header", stack=False,
                  alt=("invalid-free in {frame}",)),
               _t("KFENCE: {type} in {frame}", None, "header", alt=_BAD_ACCESS))),
    Format("ubsan", "kasan", Kind.UBSAN,
           r"^UBSAN: (?P<type>[\w-]{1,60}|Undefined behaviour) in (?P<loc>\S{1,300})", "UBSAN: ", "U", "lib/ubsan.c ubsan_prologue()", (
               _t("UBSAN: undefined-behaviour in {frame}", r"Undefined behaviour", "trace", skip=("ubsan", "overflow")),
               _t("UBSAN: {type} in {frame}", r"array-index-out-of-bounds", "trace", skip=("ubsan", "overflow"),
                  alt=_BAD_ACCESS),
               _t("UBSAN: {type} in {frame}", None, "trace", skip=("ubsan", "overflow")))),
    Format("soft-lockup", "lockup", Kind.SOFT_LOCKUP,
           r"^(?:watchdog: |NMI watchdog: )?BUG: soft lockup - CPU#(?P<cpu>\d{1,5}) stuck for (?P<secs>\d{1,10})s! "
           r"\[(?P<comm>.{1,64}):(?P<pid>\d{1,10})\]", "BUG: soft lockup", "wNB", "kernel/watchdog.c watchdog_timer_fn()",
           (_t("BUG: soft lockup in {frame}", None, "stall", alt=_STALL_ALT),)),
    Format("hard-lockup", "lockup", Kind.HARD_LOCKUP,
           r"^(?:watchdog: |NMI watchdog: )?(?:BUG: )?Watchdog detected hard LOCKUP on cpu (?P<cpu>\d{1,5})", "LOCKUP",
           "wNBW", "kernel/watchdog.c watchdog_hardlockup_check()", syz=False),
    Format("rcu-stall", "stall", Kind.RCU_STALL,
           r"^(?:rcu: )?INFO: (?P<flavor>rcu_\w{1,20}|rcu) (?:self-)?detected (?:expedited )?stalls? on (?:CPUs?|tasks)", "INFO: ",
           "rI", "kernel/rcu/tree_stall.h print_other_cpu_stall(), kernel/rcu/tasks.h (\"on tasks\")",
           (_t("INFO: rcu detected stall in {frame}", None, "rcu", skip=("apic_timer_interrupt", "rcu"),
               alt=_STALL_ALT),)),
    Format("hung-task", "hung", Kind.HUNG_TASK,
           r"^INFO: task (?P<comm>.{1,64}?(?:\n.{0,64}?)?):(?P<pid>\d{1,10}) (?P<what>blocked (?:in I/O wait )?for more than|can't die for more than) (?P<secs>\d{1,10}) seconds\.",
           "INFO: ", "I", "kernel/hung_task.c check_hung_task()",
           (_t("INFO: task can't die in {frame}", r"can't die", "trace", skip=("schedule",), alt=("hang in {frame}",)),
            _t("INFO: task hung in {frame}", None, "hang", alt=("hang in {frame}",))), split=r"^INFO: task .{0,64}$"),
    Format("kasan-old-info", "kasan", Kind.KASAN, r"^INFO: (?P<what>Freed|Allocated) in (?P<rest>[^*]{1,200}?) {0,4}(?:\*\*.{0,200})?$", "INFO: ", "I",
           "mm/slub.c print_track() (old KASAN)", (_t("INFO: {what} in {rest}", corrupted=True, stack=False),)),
    Format("list-corruption", "cause", Kind.LIST_CORRUPTION, r"^(?P<what>list_(?:add|del|add_tail)) corruption", " corruption",
           "l", "lib/list_debug.c", syz=False),
    Format("usercopy", "cause", Kind.USERCOPY, r"^usercopy: Kernel memory (?P<what>exposure|overwrite) attempt detected",
           "usercopy", "u", "mm/usercopy.c usercopy_abort()", syz=False),
    Format("fortify", "cause", Kind.FORTIFY,
           r"^(?:(?P<fn>\w{1,40}): )?detected (?:buffer overflow|field-spanning write)(?: in (?P<fn2>\w{1,40}))?",
           "detected ", "", "lib/string_helpers.c fortify_panic()", syz=False),
    Format("refcount", "cause", Kind.REFCOUNT, r"^refcount_t: (?P<what>[^.;]{1,60})[.;]", "refcount_t", "r",
           "lib/refcount.c refcount_warn_saturate()", syz=False),
    Format("serror", "serror", Kind.SERROR,
           r"^SError Interrupt on CPU(?P<cpu>\d{1,5}), code (?:0x)?(?P<esr>" + _HEX + r"{1,16})", "SError", "S",
           "arch/arm64/kernel/traps.c arm64_serror_panic()", syz=False, arch="arm64"),
    Format("bad-mode", "badmode", Kind.BAD_MODE,
           r"^Bad mode in (?P<handler>.{1,40}?) handler detected(?: on CPU(?P<cpu>\d{1,5}))?, code (?:0x)?(?P<esr>"
           + _HEX + r"{1,16})", "Bad mode", "B", "arch/arm64/kernel/traps.c bad_mode() (4.x)", syz=False, arch="arm64"),
    # syzkaller knows SLUB's banner for kmalloc caches only (a double free there has a title
    # of its own; any other message is titled as the line, "corrupted").
    Format("slub-kmalloc", "slub", Kind.OTHER_BUG,
           r"^BUG (?P<cache>kmalloc-[^\s()]{1,56}) \((?:Not tainted|Tainted: [A-Z ]{0,40})\): (?P<what>.{1,160})$",
           "BUG kmalloc-", "B", "mm/slub.c slab_bug()", (_t("BUG: Object already free", r"Object already free"),)),
    # slab_bug() prints the banner between a row of "=" and a row of "-": without that row
    # the line is a fragment (4.x KASAN's object_err(..., "kasan: bad access detected")
    # repeated the banner inside its own report).
    Format("slub", "slub", Kind.OTHER_BUG,
           r"^BUG (?P<cache>[^\s()]{1,64}) \((?:Not tainted|Tainted: [A-Z ]{0,40})\): (?P<what>.{1,160})$", "BUG ", "B",
           "mm/slub.c slab_bug()", syz=False, confirm=r"^-{20,}$"),
    Format("memory-leak", "leak", Kind.MEMORY_LEAK, r"^BUG: memory leak", "BUG: memory leak", "B",
           "syzkaller's kmemleak scan (mm/kmemleak.c prints the objects)",
           (_t("memory leak in {frame}", None, "leak",
               skip=("kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get", "list_lru_init",
                     "kasprintf", "kvasprintf", "pcpu_create", "strdup", "strndup", "memdup")),)),
    Format("bad-page", "other", Kind.OTHER_BUG, r"^BUG: Bad page (?P<what>state|cache|map)", "BUG: Bad page", "B",
           "mm/page_alloc.c bad_page(), mm/memory.c print_bad_pte()",
           (_t("BUG: Bad page map", r"map"),  # mm/memory.c print_bad_pte() ends with dump_stack()
            # With page_owner, mm/page_owner.c prints the page's allocation stack: its caller is the bug
            # (the freeing trace is generic page-freeing code); without it syzkaller's title has no frame.
            _t("BUG: Bad page {what} in {frame}", r"state", "after", after=r"^page last allocated via",
               skip=("post_alloc_hook", "get_page_from_freelist", "set_page_owner", "prep_new_page",
                     "page_pool_alloc")),
            _t("BUG: Bad page {what} in {frame}", None, "trace",
               skip=(r"(?:free|put|get|update|release)_page", "^bad_page$", "free_unref", "unmap", r"^free_", r"_free_pages",
                     "release_pages", "pagevec", "lru_add", "page_frag")))),
    Format("stack-guard", "other", Kind.STACK_OVERFLOW, r"^BUG: .{0,40}stack guard page was hit at", "stack guard page",
           "B", "arch/x86/kernel/traps.c handle_stack_overflow()",
           (_t("BUG: stack guard page was hit in {frame}", None, "stall", alt=("stack-overflow in {frame}",)),)),
    Format("spinlock", "other", Kind.OTHER_BUG,
           r"^BUG: (?P<lock>spinlock|rwlock) (?P<what>lockup suspected|already unlocked|recursion|bad magic|wrong owner|wrong CPU|cpu recursion)",
           "BUG: ", "B", "kernel/locking/spinlock_debug.c spin_dump()",
           (_t("BUG: {lock} {what} in {frame}", None, "trace", skip=("spin_", "_lock", "_unlock")),)),
    Format("atomic-sleep", "other", Kind.OTHER_BUG,
           r"^BUG: (?P<what>sleeping function called from invalid context|scheduling while atomic)", "BUG: ", "B",
           "kernel/sched/core.c __might_resched(), __schedule_bug()",
           (_t("BUG: {what} in {frame}", None, "trace", skip=("schedule",)),)),
    Format("preemptible", "other", Kind.OTHER_BUG, r"^BUG: using (?P<fn>\w{1,40})\(\) in preemptible", "BUG: ", "B",
           "lib/smp_processor_id.c check_preemption_disabled()",
           (_t("BUG: using {fn}() in preemptible code in {frame}", None, "trace",
               skip=("dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu")),)),
    Format("workqueue-leak", "other", Kind.OTHER_BUG, r"^BUG: workqueue leaked lock or atomic", "BUG: ", "B",
           "kernel/workqueue.c process_one_work()",
           (_t("BUG: workqueue leaked lock or atomic in {last_function}", stack=False,
               report=r"last function: (?P<last_function>\w{1,200})"),)),
    Format("dentry", "other", Kind.OTHER_BUG,
           r"^BUG: Dentry \S{1,80}\s{1,4}still in use \(-?\d{1,10}\) \[(?P<op>unmount) of (?P<fs>[^\]]{1,60})\]", "BUG: ", "B",
           "fs/dcache.c umount_check()",
           (_t("BUG: Dentry still in use in {op}", alt=("BUG: Dentry still in use [{op} of {fs}]",)),)),
    Format("other-bug", "other", Kind.OTHER_BUG,
           r"^BUG: (?P<what>Bad rss-counter state|workqueue lockup|non-zero pgtables_bytes on freeing mm"
           r"|non-zero nr_p[mt]ds on freeing mm|looking up invalid subclass|key \w{1,20} has not been registered"
           r"|MAX_STACK_TRACE_ENTRIES too low!?|Unable to handle kernel data access)", "BUG: ", "B",
           "mm/, kernel/workqueue.c, kernel/locking/lockdep.c, arch/powerpc/mm/fault.c", (
               _t("BUG: unable to handle kernel paging request in {frame}", r"data access", "pc", alt=_BAD_ACCESS),
               _t("BUG: MAX_STACK_TRACE_ENTRIES too low!", r"MAX_STACK", stack=False),
               _t("BUG: {what}", None, stack=False))),
    Format("x86-page-fault", "trap", Kind.OOPS,
           r"^BUG: (?P<what>unable to handle page fault|unable to handle kernel paging request"
           r"|unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|unable to handle kernel)",
           "BUG: ", "B", "arch/x86/mm/fault.c show_fault_oops()", (
               _t("BUG: unable to handle kernel paging request in {frame}", r"paging request|page fault for address",
                  "pc", alt=_BAD_ACCESS),
               _t("BUG: unable to handle kernel NULL pointer dereference in {frame}", r"NULL pointer", "pc",
                  alt=_BAD_ACCESS),
               _t("BUG: unable to handle kernel", corrupted=True, stack=False)), arch="x86"),
    Format("gpf", "trap", Kind.GPF, r"^general protection fault(?:[, ][^:]{1,160})?: " + _HEX + r"{4} \[#",
           "general protection fault", "g",
           "arch/x86/kernel/traps.c exc_general_protection() (5.5+: \"for non-canonical address\")",
           (_t("general protection fault in {frame}", None, "pc", alt=_BAD_ACCESS),), arch="x86"),
    Format("stack-segment", "trap", Kind.GPF, r"^stack segment: ", "stack segment: ", "s",
           "arch/x86/kernel/traps.c (do_stack_segment)", (_t("stack segment fault in {frame}", None, "pc"),), arch="x86"),
    Format("double-fault", "trap", Kind.TRAP, r"^PANIC: double fault", "PANIC: double fault", "P",
           "arch/x86/kernel/traps.c exc_double_fault()", (_t("PANIC: double fault in {frame}", None, "ip"),), arch="x86",
           inside=True),
    Format("divide-error", "trap", Kind.TRAP, r"^(?:Oops: )?divide(?: |_)error: ", "divide", "dO",
           "arch/x86/kernel/traps.c exc_divide_error()", (_t("divide error in {frame}", None, "pc"),), arch="x86"),
    Format("invalid-opcode", "trap", Kind.TRAP, r"^(?:Oops: )?invalid opcode: ", "invalid opcode", "iO",
           "arch/x86/kernel/traps.c exc_invalid_op()", (_t("invalid opcode in {frame}", None, "pc"),), arch="x86",
           inside=True),
    Format("int3", "trap", Kind.TRAP, r"^(?:Oops: )?int3: ", "int3: ", "iO", "arch/x86/kernel/traps.c exc_int3()",
           (_t("int3 in {frame}", None, "pc"),), arch="x86"),
    Format("alignment-trap", "trap", Kind.ALIGNMENT, r"^Alignment trap: ", "Alignment trap", "A",
           "arch/arm/mm/alignment.c do_alignment()", (_t("Alignment trap in {frame}", None, "pc"),)),
    Format("unregister-netdevice", "other", Kind.OTHER_BUG, r"^unregister_netdevice: waiting for \S{1,40} to become free",
           "unregister_netdevice", "u", "net/core/dev.c netdev_wait_allrefs_any()",
           (_t("unregister_netdevice: waiting for DEV to become free", stack=False),), inside=True),
    Format("vfs-busy", "other", Kind.OTHER_BUG, r"^VFS: (?P<what>Busy inodes after unmount|Close: file count is 0)",
           "VFS: ", "V", "fs/super.c generic_shutdown_super(), fs/file_table.c (old)",
           (_t("VFS: Busy inodes after unmount (use-after-free)", r"Busy", stack=False),
            _t("VFS: Close: file count is zero (use-after-free)", None, stack=False))),
    Format("reboot", "reboot", Kind.REBOOT, r"^Booting the kernel\.", "Booting the kernel", "B",
           "arch/x86/boot/compressed/misc.c (a new boot in the middle of a log)",
           (_t("unexpected kernel reboot", stack=False),), syz=False),
    Format("syzfail", "syz", Kind.SYZ_FAILURE, r"^(?P<which>SYZFAIL|SYZFATAL):(?P<what>.{0,300})$", "SYZF", "S",
           "syzkaller executor fail() / log.Fatal (not a kernel message)",
           (_t("{which}:{what}", stack=False, alt=("{which}",)),)),
    # A Go program's fatal runtime error (syzkaller's fuzzer and executor tools are Go programs
    # printing to the same console): syzkaller's go runtime error, no stack expected.
    Format("go-runtime", "syz", Kind.SYZ_FAILURE, r"^fatal error:", "fatal error:", "f",
           "Go runtime (runtime.throw / runtime.fatal), syzkaller's groupGoRuntimeErrors",
           (_t("go runtime error", stack=False),), ignore=r"ALSA|fatal error: cannot create timer"),
    # rust/kernel/lib.rs's panic handler prints core's PanicInfo ("panicked at file:line:col:" and the
    # message on the next line), then calls BUG(): the "kernel BUG at rust/helpers/bug.c" that follows
    # joins this report.  Titled "<message> in <function>" (demangled Rust path).
    Format("rust-panic", "cause", Kind.BUG, r"^rust_kernel: panicked at (?P<loc>.{1,300}?):?$", "rust_kernel: panicked",
           "r", "rust/kernel/lib.rs panic handler",
           (_t("{msg} in {frame}", None, "trace", skip=(r"__rustc::rust_begin_unwind",),
               report=r"rust_kernel: panicked at [^\n]{0,300}\n(?P<msg>[^\n]{1,300})\n"),)),
    # Trusty's log reaches the console through drivers/trusty in chunks, each prefixed "trusty: ";
    # a chunk boundary (seen as a timestamp inside the line) continues the panic line on the next.
    Format("trusty", "other", Kind.OTHER_BUG, r"^trusty: panic", "trusty: panic", "t",
           "Trusty TEE panic forwarded to the Linux console", (
               _t("trusty: ASSERT FAILED: {assert_msg}", stack=False,
                  report=_TRUSTY_PANIC + r"\):(?: DEBUG)? ASSERT FAILED at \([^\n]{0,200}?\): (?P<assert_msg>[^\n]{1,200})"),
               _t("trusty: ASSERT FAILED: {assert_msg}", corrupted=True, stack=False,
                  report=_TRUSTY_PANIC + r" ASSERT FAILED[^\n]{0,200}: *(?P<assert_msg>[^\n]{0,200})"),
               _t("trusty: panic: {panic_msg}", stack=False, report=_TRUSTY_PANIC + r"\): (?P<panic_msg>[^\n]{1,200})"))),
    # Catch-alls: a "BUG:"/"WARNING:" line no row above knows titles as itself (syzkaller does the same).
    Format("bug-other", "other", Kind.OTHER_BUG, r"^BUG: ?(?P<what>.{0,300})$", "BUG: ", "B", "(any)",
           (_t("BUG: corrupted", r"^BUG:\s*$", corrupted=True, stack=False),
            _t("BUG: {what}", None, stack=False)), syz=False),
    # syzkaller titles any other "WARNING:" (anywhere in a line: "usb 5-1: WARNING: ath10k USB
    # support is incomplete") as the line, except its per-header ignores.
    Format("warning-other", "warnx", Kind.WARNING, r"^WARNING: ?(?P<what>.{0,300})$", "WARNING: ", "W", "(any)",
           (_t("WARNING: corrupted", r"^WARNING:\s*$", corrupted=True, stack=False),
            _t("WARNING: {what}", None, stack=False)),
           ignore=r"XFS \(\w{1,40}\): WARNING|EXT4-[Ff][Ss](?: \([^)]{0,60}\))?:"),
    Format("info-corrupted", "other", Kind.OTHER_BUG, r"^INFO:\s*$", "INFO:", "I", "(any)",
           (_t("INFO: corrupted", corrupted=True, stack=False),), syz=False),
    Format("panic", "panic", Kind.PANIC, r"^Kernel panic - not syncing: ?(?P<msg>.{0,400})$", "Kernel panic", "K",
           "kernel/panic.c panic()", (
               # __stack_chk_fail prints "%pB": a name, or a bare address when unsymbolized (then the trace)
               _t("kernel panic: stack is corrupted in {func}",
                  r"stack-protector: Kernel stack is corrupted in: (?![0-9a-f]{8,16}\b)(?P<func>[A-Za-z_]\w{0,200})",
                  stack=False),
               _t("kernel panic: stack is corrupted in {frame}", r"stack-protector:", "trace", skip=("stack_chk",)),
               _t("kernel panic: corrupted stack end in {frame}", r"corrupted stack end", "stall",
                  skip=("schedule", "retint_kernel"), alt=("stack-overflow in {frame}",)),
               _t("kernel stack overflow in {frame}", r"kernel stack overflow", "stall", skip=("bad_stack",),
                  alt=("stack-overflow in {frame}",)),
               _t("kernel panic: Attempted to kill init!", r"Attempted to kill init!", stack=False),
               _t("kernel panic: Couldn't open N_TTY ldisc", r"Couldn't open N_TTY ldisc"),  # panic() dumps the stack
               _t("kernel panic: Fatal exception", r"Fatal exception", corrupted=True, stack=False),
               _t("kernel panic: panic_on_warn set", r"panic_on_warn set", corrupted=True, stack=False),
               _t("kernel panic: hung_task: blocked tasks", r"hung_task: blocked tasks", corrupted=True, stack=False),
               _t("kernel panic: {msg}", None, stack=False)), inside=True),
)

# Lines that are no report although they share a format's literal text (syzkaller's
# "suppressions" of the same headers): looked for before the header table.
NOT_REPORTS = re.compile(
    r"^(?:INFO: lockdep is turned off|INFO: Stall ended before state dump start|INFO: NMI handler"
    r"|BUG: no syscalls can create resource|WARNING: /etc/ssh/moduli does not exist"
    # informational "WARNING:" lines: fs/namespace.c (mand), ld.so, fbcon, net/wireless/wext-core.c,
    # kernel/capability.c
    r"|WARNING: [Tt]he mand mount option|WARNING: Unsupported flag value|WARNING: fbcon: Driver"
    # kernel/workqueue.c (boot-time cpumask check), arch/x86/kernel/cpu/bugs.c (mitigation notes)
    r"|WARNING: workqueue cpumask: online intersect > possible intersect|WARNING: Unprivileged eBPF is enabled"
    r"|WARNING: See https\S{0,200} for mitigation options|WARNING: kernel not compiled with CPU_SRSO"
    r"|(?i:WARNING: .{0,80}uses (?:deprecated v2 capabilities|wireless extensions)))"
)

@dataclass(frozen=True)
class ContextLine:
    """A line printed outside any report whose fact every later report of the log carries
    (the kernel, the machine, how KVM set up hyp mode): parser._Context reads it."""

    name: str
    literal: str  # text every such line contains (PREFILTER): as specific as the line allows, rare first bytes
    rx: str  # matched at the start of the cleaned line
    source: str  # the kernel code printing it


_KVM = r"^kvm \[\d{1,10}\]: "  # kvm_info()/kvm_debug()'s prefix (arch/arm64/include/asm/kvm_host.h)
CONTEXT_LINES: tuple[ContextLine, ...] = (
    ContextLine("linux_version", "Linux version", r"^Linux version (?P<ver>\S{1,120}) (?P<rest>.{0,400})$",
                "init/version.c linux_banner"),
    ContextLine("machine", "Machine model", r"^(?:OF: fdt: )?Machine model: (?P<v>.{1,200})$",
                "drivers/of/fdt.c early_init_dt_scan_nodes() (\"OF: fdt: \" since 4.x)"),
    # The kvm lines' own text, not their "kvm [1]: " prefix: a KVM host prints many kvm lines
    # at boot (vgic, errata, erratum workarounds), and each literal hit ends a skipped run.
    ContextLine("kvm_vmid", "-bit VMID", _KVM + r"(?P<v>\d{1,2})-bit VMID",
                "arch/arm64/kvm/arm.c init_common_resources(), init_vhe_mode() (virt/kvm/arm/arm.c before the move)"),
    ContextLine("kvm_idmap", "IDMAP page: ", _KVM + r"IDMAP page: (?P<v>" + _HEX + r"{1,16})",
                "arch/arm64/kvm/mmu.c kvm_mmu_init()"),
    ContextLine("kvm_va", "HYP VA range: ", _KVM + r"HYP VA range: (?P<lo>" + _HEX + r"{1,16}):(?P<hi>" + _HEX + r"{1,16})",
                "arch/arm64/kvm/mmu.c kvm_mmu_init()"),
    ContextLine("kvm_ipa", "IPA Size Limit: ", _KVM + r"IPA Size Limit: (?P<v>\d{1,3}) ?bits",
                "arch/arm64/kvm/reset.c kvm_set_ipa_limit()"),
    # (Not "mode ...": the literals' first bytes are what the block scan's SIMD prefilter looks
    # for, and "mod" starts every "module" of a boot log: 2% more instructions on a quiet log.)
    ContextLine("kvm_init", "lized successfully",
                _KVM + r"(?P<mode>VHE|Hyp nVHE|Protected nVHE|Hyp|nVHE|hyp)? ?mode initialized successfully",
                "arch/arm64/kvm/arm.c kvm_arm_init()"),
)
"""The context lines (patterns.CONTEXT compiles them)."""

CONTEXT_LITERALS: tuple[str, ...] = tuple(dict.fromkeys(c.literal for c in CONTEXT_LINES))

_LITERALS = list(dict.fromkeys([f.literal for f in FORMATS if f.literal] + ["WARNING", "BUG", "INFO"]
                                + list(CONTEXT_LITERALS)))
PREFILTER: tuple[str, ...] = tuple(a for a in _LITERALS if not any(b != a and b in a for b in _LITERALS))
"""Literal strings one of which every header and context line contains.  A line with
none of them cannot open a report or change the per-log context."""


# syzkaller's crash TYPE of a title: the first row whose prefix starts the title.
CRASH_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("KFENCE-USE-AFTER-FREE-WRITE", ("KFENCE: use-after-free write",)),
    ("KFENCE-USE-AFTER-FREE-READ", ("KFENCE: use-after-free",)),
    ("KFENCE-WRITE", ("KFENCE: invalid write", "KFENCE: out-of-bounds write")),
    ("KFENCE-READ", ("KFENCE: invalid read", "KFENCE: out-of-bounds")),
    ("KFENCE-MEMORY-CORRUPTION", ("KFENCE: memory corruption",)),
    ("KFENCE-INVALID-FREE", ("KFENCE: invalid free",)),
    ("KMSAN-UNINIT-VALUE", ("KMSAN: uninit-value",)),
    ("KMSAN-USE-AFTER-FREE-READ", ("KMSAN: kernel-infoleak-after-free", "KMSAN: kernel-usb-infoleak-after-free",
                                   "KMSAN: use-after-free")),
    ("KMSAN-INFO-LEAK", ("KMSAN: kernel-infoleak", "KMSAN: kernel-usb-infoleak")),
    ("KASAN-NULL-POINTER-DEREFERENCE-WRITE", ("KASAN: null-ptr-deref Write",)),
    ("KASAN-NULL-POINTER-DEREFERENCE-READ", ("KASAN: null-ptr-deref Read",)),
    ("NULL-POINTER-DEREFERENCE", ("BUG: unable to handle kernel NULL pointer dereference in",)),
    ("KASAN-WRITE", tuple(f"KASAN: {k} Write" for k in (
        "global-out-of-bounds", "out-of-bounds", "slab-out-of-bounds", "stack-out-of-bounds", "user-memory-access",
        "vmalloc-out-of-bounds", "wild-memory-access"))),
    ("KASAN-READ", (*(f"KASAN: {k} Read" for k in (
        "global-out-of-bounds", "invalid-access", "out-of-bounds", "slab-out-of-bounds", "stack-out-of-bounds",
        "unknown-crash", "user-memory-access", "vmalloc-out-of-bounds", "wild-memory-access")),
        "KASAN: slab-out-of-bounds", "KASAN: stack-out-of-bounds", "KASAN: wild-memory-access")),
    ("KASAN-INVALID-FREE", ("KASAN: double-free or invalid-free", "KASAN: invalid-free")),
    ("KASAN-USE-AFTER-FREE-WRITE", ("KASAN: slab-use-after-free Write", "KASAN: use-after-free Write")),
    ("KASAN-USE-AFTER-FREE-READ", ("KASAN: slab-use-after-free Read", "KASAN: use-after-free")),
    ("MEMORY_SAFETY_BUG", ("BUG: corrupted list", "BUG: unable to handle kernel paging request")),
    ("REFCOUNT_WARNING", ("WARNING: refcount bug",)),
    ("MEMORY_SAFETY_UBSAN", ("UBSAN: array-index-out-of-bounds",)),
    ("KCSAN-DATARACE", ("KCSAN: data-race",)),
    ("KCSAN-ASSERT", ("KCSAN: assert: race in",)),
    ("LOCKDEP", ("BUG: bad unlock balance in", "BUG: held lock freed in", "BUG: rwlock", "BUG: spinlock",
                 "BUG: still has locks held in", "BUG: using", "WARNING: bad unlock balance in",
                 "WARNING: held lock freed in", "WARNING: lock held", "WARNING: locking bug in",
                 "WARNING: nested lock was not taken in", "WARNING: still has locks held in",
                 "WARNING: suspicious RCU usage in", "inconsistent lock state in", "possible deadlock in")),
    ("ATOMIC_SLEEP", ("BUG: scheduling while atomic in", "BUG: sleeping function called from invalid context in")),
    ("LEAK", ("memory leak in",)),
    ("BUG", ("BUG: bad usercopy in", "kernel BUG")),
    ("WARNING", ("WARNING in",)),
    ("", ("BUG: stack guard page was hit in", "WARNING: corrupted", "WARNING: kernel stack frame pointer has bad value",
          "WARNING: kernel stack regs has bad")),
    ("HANG", ("BUG: soft lockup in", "INFO: rcu detected stall in", "INFO: task can't die in", "INFO: task hung in")),
    ("DoS", ("Alignment trap in", "BUG: Object already free", "Internal error in", "PANIC: double fault",
             "Unhandled fault in", "VFS: Busy inodes after unmount (use-after-free)",
             "VFS: Close: file count is zero (use-after-free)", "divide error in", "general protection fault in",
             "go runtime error", "int3 in", "invalid opcode in", "kernel panic:", "kernel stack overflow", "panic:",
             "rust_kernel panicked", "stack segment fault in", "trusty:",
             "unregister_netdevice: waiting for DEV to become free")),
    ("REBOOT", ("unexpected kernel reboot",)),
    ("SYZ_FAILURE", ("SYZFAIL", "SYZFATAL:")),
    ("WARNING", ("WARNING:",)),
    ("", ("BUG:", "INFO:")),
    ("KASAN-UNKNOWN", ("KASAN:",)),
    ("KFENCE-UNKNOWN", ("KFENCE:",)),
    ("KMSAN-UNKNOWN", ("KMSAN:",)),
    ("UBSAN", ("UBSAN:",)),
    ("KCSAN-UNKNOWN", ("KCSAN:",)),
)




@functools.lru_cache(maxsize=10_000)  # a log's titles repeat; bounded
def crash_type(title: str) -> str:
    """syzkaller's crash TYPE for a title ("" = unknown), remembered per title (the table
    has ~50 rows to try in order)."""
    return crash_type_plain(title)


def crash_type_plain(title: str) -> str:
    """``crash_type`` computed, never remembered (the reference of the tests)."""
    for typ, prefixes in CRASH_TYPES:
        if title.startswith(prefixes):
            return typ
    return ""


# Frames never blamed by any format (searched in the function name): the printing,
# reporting, sanitiser, allocation, locking, string/copy, list, refcount, device-core
# and exception-entry helpers the guilty function calls into.
SKIP_FRAMES: tuple[str, ...] = (
    # sanitiser runtimes and reporting
    "__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan_setup_watchpoint", "check_memory_region",
    "check_heap_object", "check_object", "read_word_at_a_time", r"(?:read|write)_once_.*nocheck",
    "print_address_description", "print_report", "print_usage_bug", "print_tainted", "print_unlock", "imbalance_bug",
    # panic / BUG / WARN plumbing, traps and unwinding
    "panic", "invalid_op", "report_bug", "fixup_bug", "do_error", r"_trap$|do_trap", "show_stack", "dump_stack", "unwind_backtrace",
    "walk_stack", "dump_backtrace", "warn_slowpath", "warn_alloc", "warn_bogus", "__warn", "stack_trace_consume_entry",
    "arch_stack_walk", "stack_trace_save", "program_check_exception", "program_check_common",
    r"do_(?:kernel|translation)_fault", "do_mem_abort", "el1_abort", r"el1h_64_sync(?:_handler)?",
    # allocation
    "alloc_page", r"k?v?(?:m|z|c)alloc", "krealloc", "kmem_cache", "allocate_slab", "__alloc_frozen_pages_noprof",
    r"folio_(?:alloc|unlock)", "filemap_alloc_folio", "__filemap_get_folio", "find_or_create_page",
    "do_read_cache_folio", "read_cache_page", "pagecache_get_page", "grab_cache_page_write_begin", "slab_",
    r"^kv?free$", "kfree_skb", "memdup", "strdup", "strndup",
    # debug objects, lockdep and locking primitives
    "debug_object", "timer_is_static_object", "work_is_static_object", "lockdep", "bh_enable", "bh_disable",
    "perf_trace", "lock_acquire", "lock_release", "lock_class", "mark_lock", r"(?:reacquire|mark)_held_locks",
    "raw_spin_rq", "spin_lock", "spin_trylock", "spin_unlock", "read_lock", "read_trylock", "write_lock",
    "write_trylock", "read_unlock", "write_unlock", "^down$", "down_read", "down_write", "down_trylock", "up_read",
    "up_write", "^mutex_", "^__mutex_", "^rt_mutex_", "owner_on_cpu", "osq_lock", "osq_unlock",
    r"(?:trace|lockdep)_(?:hard|soft)irq", r"^(?:un)?lock_page", "lock_timer_base",
    # atomics, bits, refcounts, lists, trees
    r"atomic(?:64)?_(?:dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)", r"(?:set|clear|change|test)_bit",
    "__wake_up", "^refcount_", "^kref_", "ref_tracker", "seqprop_assert", "list_add", "list_del", "list_replace",
    "list_move", "list_splice", "^rb_", "^__rb_", "^klist_",
    # string, memory and user copies, printing
    "memcpy", "memcmp", "memset", "memchr", "memmove", "strcmp", "strncmp", "strcpy", "strlcpy", "strncpy", "strscpy",
    "strlen", "strstr", "strnstr", "strnlen", "strchr", "copy_to_user", "copy_from_user", "copy_to_iter",
    "copy_from_iter", "copy_page_to_iter", "copy_page_from_iter", "copy_folio_to_iter", "^copyin$", "^copyout$",
    "put_user", "get_user", "might_fault", "might_sleep", "__might_resched", "_indirect_thunk_", "string", "pointer",
    "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk", "va_format", "dev_info", "dev_notice", "dev_warn",
    "dev_err", "dev_alert", "dev_crit", "dev_emerg", "hex_dump_to_buffer", "print_hex_dump", "__fortify_report",
    r"readb$", r"readw$", r"readl$", r"readq$", r"writeb$", r"writew$", r"writel$", r"writeq$", "logic_in",
    "logic_out", r"^crc\d+", "crc_itu_t", "assertfail", "extract_(?:user|iter)_to_sg",
    # timers, workqueues, completion
    "del_timer", "__timer_delete_sync", "sk_stop_timer_sync", "__mod_timer", "flush_work", "__cancel_work_timer",
    "cancel_work_sync", "try_to_grab_pending", "flush_workqueue", "drain_workqueue", "destroy_workqueue", "queue_work",
    "insert_work", "__queue_delayed_work", "queue_delayed_work_on", "finish_wait", "kthread_stop", "^complete$",
    "wait_for_completion",
    # device core, kobjects, usb core, vfs refcounting
    "kobject_", "add_uevent_var", "get_device_parent", "device_add", "device_del", "device_unregister",
    "device_destroy", "device_release", "devres_release_all", "hwrng_unregister", "i2c_del_adapter",
    "__unregister_client", "device_for_each_child", "rollback_registered", "unregister_netdev", "sysfs_remove",
    "device_remove_file", "tty_unregister_device", "dummy_urb_enqueue", "usb_kill_urb", "usb_kill_anchored_urbs",
    "usb_control_msg", "usb_hcd_submit_urb", "usb_submit_urb", "^iput$", "^iput_final$", "^ihold$", "^get_taint$",
    "^put_device$", "ida_free", r"xas_(?:start|load|find)", "find_lock_entries", "truncate_inode_pages_range",
    "__phys_addr", "cleanup_srcu_struct", "rhashtable_lookup", "drop_nlink", "fast_dput", "dput",
    "mark_buffer_dirty",
)

# Syscall-wrapper prefixes dropped from the guilty function (the shortest result wins).
STRIP_PREFIXES: tuple[str, ...] = (
    "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_", "__se_", "__se_sys_",
    "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
)

# Dispatch points of stalls: the frame just above the first of these names the stall.
STALL_ANCHORS: tuple[str, ...] = (
    "process_one_work", "do_syscall_", "do_fast_syscall_", "sysenter_dispatch", "tracesys_phase2", "el0_svc_handler",
    "invoke_syscall", "ret_fast_syscall", "netif_receive_skb", "do_softirq", "call_timer_fn", "_run_timers",
    "run_timer_softirq", "hrtimer_run", "run_ksoftirqd", "smpboot_thread_fn", "^kthread$", "start_secondary",
    "cpu_startup_entry", "ret_from_fork", "vfs_write", "vfs_read", "vfs_iter_read", "vfs_iter_write", "do_iter_read",
    "do_iter_write", "call_read_iter", "call_write_iter", "new_sync_read", "new_sync_write", "vfs_ioctl",
    "ksys_ioctl", "compat_ioctl", "compat_sys_ioctl", "blkdev_driver_ioctl", "blkdev_ioctl", "do_iter_readv_writev",
    "^call_mmap", "mmap_region", "do_mmap", "do_dentry_open", "vfs_open", "^sock_sendmsg", "^sock_recvmsg",
    "^sock_release", "^__sock_release", "^setsockopt$", "kernel_setsockopt", "sock_common_setsockopt", "^listen$",
    "kernel_listen", "sk_common_release", "^sock_mmap", "^accept$", "kernel_accept", "^sock_do_ioctl",
    "^sock_ioctl", "^compat_sock_ioctl", "^nfnetlink_rcv_msg", "^rtnetlink_rcv_msg", "^netlink_dump",
    "^(?:sys_)?(?:socketpair|connect|ioctl)", "__do_fault", "do_page_fault", "^page_fault$", "__fput",
    "task_work_run", "exit_to_usermode", "smp_call_function", "tasklet_action", "tasklet_hi_action",
)
# Task-hung reports: these name a whole bucket (the synchronize_* family is one).
HANG_ANCHORS: tuple[tuple[str, str], ...] = (
    ("rtnl_lock", ""), ("synchronize_rcu", "synchronize_rcu"), ("synchronize_srcu", "synchronize_rcu"),
    ("synchronize_net", "synchronize_rcu"), ("synchronize_sched", "synchronize_rcu"),
)
HANG_SKIP: tuple[str, ...] = (
    "sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait", "synchronize", "context_switch",
    "__switch_to", "cancel_delayed_work", "rcu_barrier",
)

# Source files never blamed for a report (the guilty file is the first other "file.c:line"
# in the report): headers, libraries, sanitiser/allocator/scheduler/locking/printk/RCU
# cores, fault and trap handlers, generic networking and device cores.
GUILTY_FILE_IGNORE: tuple[str, ...] = (
    r".*\.h$", r"^lib/", r"^virt/lib/", r"^mm/kasan/", r"^mm/kmsan/", r"^kernel/kcov\.c", r"^mm/sl.b\.c", r"^mm/slab_common\.c",
    r"^mm/filemap\.c", r"^mm/folio-compat\.c", r"^mm/truncate\.c", r"^mm/memory\.c", r"^mm/percpu",
    r"^mm/vmalloc\.c", r"^mm/page_alloc\.c", r"^mm/mempool\.c", r"^mm/util\.c", r"^kernel/rcu/",
    r"^arch/.*/kernel/traps\.c", r"^arch/.*/kernel/unwind.*\.c", r"^arch/.*/mm/fault\.c",
    r"^arch/.*/mm/physaddr\.c", r"^arch/.*/kernel/stacktrace\.c", r"^arch/.*/kernel/apic/apic\.c",
    r"^arch/arm64/kernel/entry.*\.c", r"^arch/arm64/kernel/process\.c", r"^kernel/locking/", r"^kernel/panic\.c",
    r"^kernel/printk/printk.*\.c", r"^kernel/softirq\.c", r"^kernel/kthread\.c", r"^kernel/sched/.*\.c",
    r"^kernel/stacktrace\.c", r"^kernel/time/timer\.c", r"^kernel/workqueue\.c", r"^net/core/dev\.c",
    r"^net/core/sock\.c", r"^net/core/skbuff\.c", r"^fs/proc/generic\.c", r"^trusty/",
    r"^drivers/usb/core/urb\.c", r"^arch/.*/lib/crc",
)

# Report patterns for diagnose/ rules: one per format with a header (name -> header regex).
REPORT_PATTERNS: tuple[tuple[str, str, str], ...] = tuple(
    (f.name, f.header, f.source) for f in FORMATS if f.kind is not None)
