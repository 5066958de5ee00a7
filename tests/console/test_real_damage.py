"""Mail and paste damage on real logs (tests/data/console, source URL in each header),
checked fact by fact after repair: the fault address, ESR, CPU/PID/Comm, version,
hardware, pc and frames a damaged line would lose.

Each row was read against its log by hand; the goldens pin every field, this table
pins the ones each repair exists for, so a regenerated golden cannot hide a lost fact.
"""

from __future__ import annotations

import pytest
from console_corpus import DATA, load_case

from a64triage.console import parse_text

# stem -> per report: (headline, esr, far, cpu, pid, comm, kernel_version, hardware,
#                      pc function, first frame, last frame, frame count, module count)
FACTS: dict[str, list[tuple[object, ...]]] = {
    # QP "=" soft breaks and =3D/=20, plus bugzilla's hard wrap at 80 columns (fault address,
    # KASAN range, Modules, "Tainted: G" / "W  5.17.0+ #1", 3-column register lines); "Kdump: loaded".
    "lkml-2022-bugzilla-215804-xfs-kasan-wrapped-qp": [(
        "BUG: unable to handle kernel paging request in __split_huge_pmd", 0x96000006, 0xFFFFFBFFFF000008,
        3, 3302514, "xfs_io", "5.17.0+", "QEMU KVM Virtual Machine, BIOS 0.0.0 02/06/2015",
        "__split_huge_pmd", "__split_huge_pmd", "el0t_64_sync", 23, 35)],
    # QP soft break right after "virtual " on the first line, before anything shows the body is QP.
    "lkml-2019-cki-kernfs-null-deref-qp-garbled": [(
        "BUG: unable to handle kernel NULL pointer dereference in kernfs_find_ns", 0x96000004, 0x70,
        2, 635, "kworker/u8:3", "5.3.13-015654b.cki", "QEMU KVM Virtual Machine, BIOS 0.0.0 02/06/2015",
        "kernfs_find_ns", "kernfs_find_ns", "ret_from_fork", 14, 15)],
    # Starts inside an earlier report (no header: no report from it); caller ids switch C1 / T6497 / C0.
    "lkml-2025-syzbot-arm64-pgtable-warning-mid-report": [
        ("WARNING in __apply_to_page_range", None, None, 1, 0, "swapper/1",
         "6.15.0-rc5-syzkaller-00074-gac57c6b0f09c-dirty",
         "Google Google Compute Engine/Google Compute Engine, BIOS Google 02/12/2025",
         "__apply_to_page_range", "__apply_to_page_range", "__secondary_switched", 26, 0),
        ("WARNING in __apply_to_page_range", None, None, 0, 6491, "syz-execprog",
         "6.15.0-rc5-syzkaller-00074-gac57c6b0f09c-dirty",
         "Google Google Compute Engine/Google Compute Engine, BIOS Google 02/12/2025",
         "__apply_to_page_range", "__apply_to_page_range", "el0t_64_irq", 23, 0),
    ],
    # Double-spaced and format=flowed wrapped: the version after "Tainted: G        W ".
    "lkml-2022-mt8195-jpegenc-null-deref-double-spaced": [(
        "BUG: unable to handle kernel NULL pointer dereference in mtk_jpegenc_worker", 0x96000004, 0x108,
        3, 180, "kworker/u16:6", "5.19.0-rc3-next-20220622+", "MediaTek Tomato (rev2) board (DT)",
        "mtk_jpegenc_worker", "mtk_jpegenc_worker", "ret_from_fork", 5, 54)],
    # Double-spaced, flowed wraps inside free text ("(rev5 - " / "rev8) (DT)"), a foreign printk
    # between pc and lr.  The Modules list's second printk record is not read (77 of 98).
    "lkml-2021-msm-dsi-panel-oops-double-spaced-wrapped": [(
        "BUG: unable to handle kernel paging request in drm_panel_disable", 0x96000007, 0xFFFFDD7F137945D8,
        2, 1627, "rmmod", "5.16.0-rc2-next-20211125+",
        "Google Lazor Limozeen without Touchscreen (rev5 - rev8) (DT)",
        "drm_panel_disable", "drm_panel_disable", "el0t_64_sync", 33, 77)],
    # Two tasks' oopses interleaved line by line ([ T3083] / [ T3080]): each caller gets its own
    # report; T3080's ends after its fault block (the panic stopped that CPU): a truncated end.
    "syzkaller-680-arm64-two-cpus-interleaved": [
        ("BUG: unable to handle kernel paging request in __kmem_cache_alloc_node", 0x96000004,
         0x616161616161A1, 0, 3083, "udevd", "6.1.0-rc6-syzkaller-32662-g6d464646530f",
         "Google Google Compute Engine/Google Compute Engine, BIOS Google 09/30/2022",
         "__kmem_cache_alloc_node", "__kmem_cache_alloc_node", "el0t_64_sync", 17, 0),
        ("BUG: unable to handle kernel paging request", 0x96000004, 0x616161616161A1,
         None, None, None, None, None, None, None, None, 0, 0),
    ],
}


def test_interleaved_callers_truncated_second_report() -> None:
    reports = parse_text(load_case(DATA / "syzkaller-680-arm64-two-cpus-interleaved.log").body)
    assert reports[0].title == "BUG: unable to handle kernel paging request in simple_xattr_alloc"
    assert reports[0].corrupted is None and len(dict(reports[0].registers)) == 30
    assert reports[1].corrupted is not None and reports[1].corrupted.startswith("truncated")


@pytest.mark.parametrize("stem", sorted(FACTS))
def test_damaged_real_log_keeps_its_facts(stem: str) -> None:
    got = [
        (r.headline, r.esr, r.far, r.cpu, r.pid, r.comm, r.kernel_version, r.hardware,
         r.pc.function if r.pc else None,
         r.call_trace[0].function if r.call_trace else None, r.call_trace[-1].function if r.call_trace else None,
         len(r.call_trace), len(r.modules))
        for r in parse_text(load_case(DATA / f"{stem}.log").body)
    ]
    assert got == FACTS[stem]


def test_garbled_register_line_loses_only_its_registers() -> None:
    """Two CPUs printing at once garbled x19/x18 in the CKI log: those two are lost; the next
    line's timestamp lost its "[" to the garbled one (" 38.564287] x17: ..."), yet x17/x16 are kept."""
    report = parse_text(load_case(DATA / "lkml-2019-cki-kernfs-null-deref-qp-garbled.log").body)[0]
    regs = dict(report.registers)
    assert "x19" not in regs and "x18" not in regs
    assert regs["x20"] == 0 and regs["x17"] == 0 and regs["x16"] == 0xFFFF5F51C245EEF8
    assert report.lr is not None and report.lr.function == "kernfs_find_and_get_ns"


def test_qp_registers_split_inside_a_value() -> None:
    """syzbot's QP body splits x18's value ("1ff=" / "fe0003386f276"): the soft break restores it."""
    first = parse_text(load_case(DATA / "lkml-2025-syzbot-arm64-pgtable-warning-mid-report.log").body)[0]
    assert dict(first.registers)["x18"] == 0x1FFFE0003386F276
