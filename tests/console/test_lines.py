"""Line hygiene: each prefix/encoding artefact is undone, line numbers survive."""

from __future__ import annotations

from a64triage.console import clean_lines, parse_lines, parse_text
from a64triage.console.lines import MAX_LINE, LogLine


def texts(raw: list[str | bytes]) -> list[str]:
    return [line.text for line in clean_lines(raw)]


def test_timestamps_callers_levels() -> None:
    lines = list(clean_lines([
        "[   12.345678] Kernel panic - not syncing: x",
        "[12.3]  odd spacing",
        "[  167.018598][  T407] kvm [407]: Hyp Offset: 0x1",
        "<4>[  103.655027] pc : lkdtm_EXCEPTION+0x10/0x1c",
        "[    7.910564@0] WARNING: at kernel/smp.c:382 f+0x1/0x2()",
        "4,5016,12915316727,-; p_ed_enforce_validation_paranoid+0xba/0x3a0 [lkrg]",
    ]))
    assert [ln.text for ln in lines] == [
        "Kernel panic - not syncing: x", "odd spacing", "kvm [407]: Hyp Offset: 0x1",
        "pc : lkdtm_EXCEPTION+0x10/0x1c", "WARNING: at kernel/smp.c:382 f+0x1/0x2()",
        "p_ed_enforce_validation_paranoid+0xba/0x3a0 [lkrg]",
    ]
    assert [ln.caller for ln in lines] == [None, None, "T407", None, "C0", None]
    assert all(ln.stamped for ln in lines)


def test_syslog_journald_dmesg_prefixes() -> None:
    assert texts([
        "Jun 09 11:11:21 rzx kernel: Mem abort info:",
        "8月 14 10:24:12 xxxx kernel:   ESR = 0x96000006",
        "May 17 18:48:11 kernel: [ 6141.921740] INFO: task kworker/u8:0:5 blocked for more than 120 seconds.",
        "2024-01-02T03:04:05.123456+00:00 host kernel: [    1.0] x29: 0000000000000000",
        "[Thu Oct 30 06:21:23 2025] watchdog: BUG: soft lockup - CPU#1 stuck for 372s! [kworker/1:2:1203905]",
        " kernel:[  622.405154] Internal error: Oops: 96000004 [#1] SMP",
    ]) == [
        "Mem abort info:", "ESR = 0x96000006",
        "INFO: task kworker/u8:0:5 blocked for more than 120 seconds.", "x29: 0000000000000000",
        "watchdog: BUG: soft lockup - CPU#1 stuck for 372s! [kworker/1:2:1203905]",
        "Internal error: Oops: 96000004 [#1] SMP",
    ]


def test_mail_quoting_nested_and_kasan_marker_kept() -> None:
    assert texts([
        "> [   18.360771][  T301] Call trace:",
        ">> [29195.375268][T31720]  dump_backtrace+0xec/0x138",
        "> > >  el1h_64_sync+0x68/0x6c",
        "| Code: d503233f (a9bf7bfd)",
        ">ffff0000cf14e900: fb fb fb fb fb fb fb fb fb fb fb fb fb fb fc fc",
    ]) == [
        "Call trace:", "dump_backtrace+0xec/0x138", "el1h_64_sync+0x68/0x6c", "Code: d503233f (a9bf7bfd)",
        ">ffff0000cf14e900: fb fb fb fb fb fb fb fb fb fb fb fb fb fb fc fc",
    ]


def test_crlf_ansi_invalid_utf8() -> None:
    raw: list[str | bytes] = [
        b"[    1.0] \x1b[31mKernel panic - not syncing: \xff\xfe bad\x1b[0m\r\n",
        "[    1.1] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1\r\n",
    ]
    out = texts(raw)
    assert out[0] == "Kernel panic - not syncing: \ufffd\ufffd bad"
    assert out[1].endswith("#1")


def test_quoted_printable_and_soft_breaks() -> None:
    # From lore CAHOo4gL5BYS53rd2bJiKmL1XSg94hn0u4yCPut7NqZ0XZMNf3A@mail.gmail.com (raw QP body).
    out = texts([
        "[ 53.646775][ T80] usb 1-1: New USB device found, idVendor=3D0424,",
        "[ 53.651764][T10865] raw-gadget.0 gadget.0: fail, usb_ep_enable returned -2=",
        "2",
    ])
    assert out[0] == "usb 1-1: New USB device found, idVendor=0424,"
    assert out[1] == "raw-gadget.0 gadget.0: fail, usb_ep_enable returned -22"


def test_qp_not_triggered_by_plain_equals() -> None:
    line = "[  65.741722] rcu:     0-...0: (1 GPs behind) idle=f29/1/0x40000000 softirq=3155/3155 fqs=2029"
    assert texts([line]) == [line.split("] ", 1)[1]]
    assert texts(["[  654.015621] [f0da6244] *pgd=42908811, *pte=00000000"]) == ["[f0da6244] *pgd=42908811, *pte=00000000"]


def test_hard_wrapped_mail_lines_are_rejoined() -> None:
    # From lore 45d7cbbe-c667-e2d5-e1e4-8a81643e8011@163.com (Thunderbird wrapped the log).
    out = texts([
        "[  655.853961] WARNING: CPU: 1 PID: 0 at lib/refcount.c:28 ",
        "finish_task_switch+0x208/0x268",
        "[  654.038099] Hardware name: Wisdom T3 based CCT Family",
        "Thanks,",
    ])
    assert out == [
        "WARNING: CPU: 1 PID: 0 at lib/refcount.c:28 finish_task_switch+0x208/0x268",
        "Hardware name: Wisdom T3 based CCT Family",
        "Thanks,",
    ]


def test_glued_records_are_split_and_keep_line_number() -> None:
    lines = list(clean_lines([
        "intro",
        "0x1e4 [ 2052.051856][ T1668] el0_svc+0x28/0x98 [ 2052.051858][ T1668] el0_sync+0x1b8/0x1c0",
    ]))
    assert [(ln.no, ln.text, ln.caller) for ln in lines] == [
        (1, "intro", None), (2, "0x1e4", None), (2, "el0_svc+0x28/0x98", "T1668"), (2, "el0_sync+0x1b8/0x1c0", "T1668"),
    ]


def test_elisions() -> None:
    lines = list(clean_lines(["...", ". . .", "<snip>", "[...]", "[the above line repeated a few hundred times more...]",
                              "[ 20 lines cut ]", "[ BUG: syz-executor/31761 still has locks held! ]",
                              "x29: 0000000000000000 x28: 0000000000000000"]))
    assert [ln.elided for ln in lines] == [True, True, True, True, True, True, False, False]


def test_elision_words_are_whole() -> None:
    """A bracketed lockdep banner naming "syz-executor" holds "cut" inside a word: no elision
    (syzkaller's report/36, a pre-4.11 "still has locks held" report)."""
    lines = list(clean_lines(["[ BUG: syz-executor/31761 still has locks held! ]", "[ ... cut ... ]", "[snipped]"]))
    assert [ln.elided for ln in lines] == [False, True, True]


def test_line_numbers_are_original() -> None:
    lines = list(clean_lines(["a", "", "[    1.0] b", "c=", "d"]))
    assert [ln.no for ln in lines] == [1, 2, 3, 4, 5]


def test_long_line_is_capped() -> None:
    (line,) = list(clean_lines(["x" * (MAX_LINE * 3)]))
    assert isinstance(line, LogLine) and len(line.text) == MAX_LINE


def test_interleaved_cpus_are_separated_by_caller_id() -> None:
    """Two reports printed at once by T301 and C3; each keeps its own lines."""
    log = [
        "[   18.189042][  T301] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000050",
        "[   18.189050][    C3] SError Interrupt on CPU3, code 0xbe000011 -- SError",
        "[   18.344519][  T301] pstate: a0400005 (NzCv daif +PAN -UAO)",
        "[   18.344520][    C3] CPU: 3 PID: 2930 Comm: Xorg Not tainted 5.18.0-rc7 #1",
        "[   18.345213][  T301] pc : mtk_iommu_probe_device+0xf8/0x118 [mtk_iommu]",
        "[   18.345214][    C3] pc : _regmap_bus_reg_write+0x20/0x30",
        "[   18.346050][  T301] lr : mtk_iommu_probe_device+0xd0/0x118 [mtk_iommu]",
        "[   18.346051][    C3] lr : _regmap_write+0x5c/0xb0",
    ]
    reports = list(parse_lines(log))
    assert [(r.kind, r.pc.function if r.pc else None) for r in reports] == [
        ("oops", "mtk_iommu_probe_device"), ("serror", "_regmap_bus_reg_write"),
    ]
    assert reports[0].lr is not None and reports[0].lr.function == "mtk_iommu_probe_device"
    assert reports[1].cpu == 3 and reports[1].comm == "Xorg"


def test_debian_61_style_oops() -> None:
    """The 6.1 layout (lines as printed by arch/arm64/kernel/{traps,process}.c in 6.1): 16-digit
    die() code, pstate flags, module-relative pc, Call trace without addresses, (P) absent."""
    log = """\
[   71.107374] lkdtm: Performing direct entry WRITE_KERN
[   71.108120] Unable to handle kernel write to read-only memory at virtual address ffffd2a9e2fd3e68
[   71.108800] Mem abort info:
[   71.109000]   ESR = 0x0000000096000045
[   71.109200]   EC = 0x25: DABT (current EL), IL = 32 bits
[   71.109900] Internal error: Oops: 0000000096000045 [#1] SMP
[   71.110000] Modules linked in: lkdtm(E) binfmt_misc(E)
[   71.110100] CPU: 1 PID: 421 Comm: sh Tainted: G            E      6.1.0-56-arm64 #1  Debian 6.1.158-1
[   71.110200] Hardware name: linux,dummy-virt (DT)
[   71.110300] pstate: 60000005 (nZCv daif -PAN -UAO -TCO -DIT -SSBS BTYPE=--)
[   71.110400] pc : lkdtm_WRITE_KERN+0x3c/0x70 [lkdtm]
[   71.110500] lr : lkdtm_do_action+0x24/0x40 [lkdtm]
[   71.110600] sp : ffff80000a4b3c50
[   71.110700] Call trace:
[   71.110800]  lkdtm_WRITE_KERN+0x3c/0x70 [lkdtm]
[   71.110900]  lkdtm_do_action+0x24/0x40 [lkdtm]
[   71.111000]  direct_entry+0x110/0x190 [lkdtm]
[   71.111100]  full_proxy_write+0x68/0xc0
[   71.111200]  vfs_write+0xcc/0x2f0
[   71.111300]  el0t_64_sync+0x18c/0x190
[   71.111400] Code: 91000000 d2800001 97fffebb f9400260 (f9000001)
[   71.111500] ---[ end trace 0000000000000000 ]---
"""
    (report,) = parse_text(log)
    assert report.kind == "oops" and report.esr == 0x96000045 and report.far == 0xFFFFD2A9E2FD3E68
    assert report.headline == "BUG: unable to handle kernel write to read-only memory in lkdtm_WRITE_KERN"
    assert report.pc is not None and (report.pc.function, report.pc.offset, report.pc.size, report.pc.module) == (
        "lkdtm_WRITE_KERN", 0x3C, 0x70, "lkdtm")
    assert report.pstate == 0x60000005 and report.modules == ("lkdtm(E)", "binfmt_misc(E)")
    assert report.kernel_version == "6.1.0-56-arm64" and report.build == "#1  Debian 6.1.158-1"
    assert report.tainted == "G E" and report.code[report.faulting_code or 0] == "f9000001"
    assert [f.address for f in report.call_trace] == [None] * 6


def test_hyp_bug_and_cfi_formats_without_real_logs() -> None:
    """No public log was found for these; the lines are built from the kernel's format
    strings (arch/arm64/kvm/handle_exit.c nvhe_hyp_panic_handler, see
    /work/shared/research/kernel-formats-and-hyp-relocations.md §3.2), values invented."""
    bug = parse_text(
        "[  5.000001] kvm [1]: nVHE hyp BUG at: arch/arm64/kvm/hyp/nvhe/mem_protect.c:1182!\n"
        "[  5.000002] kvm [1]: Hyp Offset: 0xfffe8be807e00000\n"
        "[  5.000003] Kernel panic - not syncing: HYP panic:\n"
        "[  5.000003] PS:600003c9 PC:0000b2080d1c3a50 ESR:00000000f2000800\n"
        "[  5.000003] FAR:0000000000000000 HPFAR:0000000000000000 PAR:0000000000000000\n"
        "[  5.000003] VCPU:0000000000000000\n"
    )
    assert [(r.kind, r.headline) for r in bug] == [("hyp-panic", "kernel panic: HYP BUG in mem_protect.c")]
    assert bug[0].kvm is not None and (bug[0].kvm.bug_file, bug[0].kvm.bug_line) == (
        "arch/arm64/kvm/hyp/nvhe/mem_protect.c", 1182)
    assert bug[0].kvm.hyp_offset == 0xFFFE8BE807E00000 and bug[0].esr == 0xF2000800
    cfi = parse_text(
        "[  7.100000] kvm [1]: nVHE hyp CFI failure at: [<ffff80000901c1a4>] __kvm_nvhe_handle___kvm_vcpu_run+0x54/0x128!\n"
        "[  7.100001] kvm [1]:  (target: [<ffff800009021d00>] __kvm_nvhe___kvm_vcpu_run+0x0/0x4d0, expected type: 0x8fb84d4f)\n"
        "[  7.100002] Kernel panic - not syncing: HYP panic:\n"
        "[  7.100002] PS:600003c9 PC:000079cbf7e1c1a4 ESR:00000000f2008228\n"
    )
    assert [(r.kind, r.headline) for r in cfi] == [
        ("hyp-panic", "kernel panic: HYP CFI failure in __kvm_nvhe_handle___kvm_vcpu_run")]
    assert ("cfi_type", "0x8fb84d4f") in cfi[0].extra


def test_header_split_by_a_newline_in_a_comm_is_one_line() -> None:
    # syzkaller report/1001: the hung task's comm held a newline; printk prefixed both pieces.
    raw = ["[ 1052.080846][   T41] INFO: task \ufffd\ufffd",
           "[ 1052.080846][   T41] \ufffd \ufffd!:18088 blocked for more than 143 seconds.",
           "[ 1052.101131][   T41]       Tainted: G             L      syzkaller #0"]
    lines = list(clean_lines(raw))
    assert [(ln.no, ln.text) for ln in lines][:1] == [
        (1, "INFO: task \ufffd\ufffd\n\ufffd \ufffd!:18088 blocked for more than 143 seconds.")]
    # Not joined: another caller's line, or a first piece that is a whole header already.
    other = list(clean_lines([raw[0], raw[1].replace("T41", "T42")]))
    assert len(other) == 2
    whole = list(clean_lines(["[ 1.0][ T1] INFO: task a:1 blocked for more than 1 seconds.",
                              "[ 1.0][ T1] INFO: task b:2 blocked for more than 1 seconds."]))
    assert len(whole) == 2
