"""Every rule on real logs: the first hypothesis of each report, and rule coverage.

Logs come from the console helper's corpus (tests/data/console/, read-only) and
from tests/data/diagnose/logs/; each file names its public source in its header.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from diag_helpers import DATA

from a64triage.console import parse_text
from a64triage.diagnose import explain_log
from a64triage.diagnose.engine import fired
from a64triage.diagnose.explain import analyse
from a64triage.diagnose.rules import RULES

CONSOLE = DATA / "console"
OWN = DATA / "diagnose" / "logs"

# file -> classes accepted as the first hypothesis of the first report
EXPECTED: dict[str, set[str]] = {
    # tests/data/diagnose/logs (collected for this stage)
    "diagnose/logs/gh-nvidia-771-bti-6.6.log": {"bti-failure"},
    "diagnose/logs/gh-rtl8812au-1036-cfi-panic-5.4.log": {"cfi"},
    "diagnose/logs/gh-rock64-299-sea-4.4.log": {"external-abort"},
    "diagnose/logs/gh-pine64-5-undef-4.4.log": {"undefined-instruction"},
    "diagnose/logs/gh-fcos-965-uaccess-5.13.log": {"user-access-violation"},
    "diagnose/logs/gh-fcos-1049-lockdep-5.16.log": {"lockdep"},
    "diagnose/logs/lkml-2023-sa8775p-list-poison.log": {"use-after-free"},
    # tests/data/console (the console helper's corpus)
    "console/lkml-2017-clang-hyp-panic.log": {"hyp-absolute-address"},
    "console/iommu-2022-mtk-null-deref-quoted.log": {"null-deref"},
    "console/gh-drgn-462-null-deref-truncated.log": {"null-deref"},
    "console/gh-ubicloud-1113-iabt-nx.log": {"exec-non-executable"},
    "console/gh-ubicloud-1113-soft-lockup.log": {"soft-lockup"},
    "console/gh-wsl-11274-rcu-self-detected.log": {"rcu-stall"},
    "console/gh-rockchip-298-hung-task-4.19.log": {"hung-task"},
    "console/gh-qcom-541-serror-7.0.log": {"serror"},
    "console/gh-meta-rpi-1410-serror-rpi5.log": {"serror"},
    "console/gh-minos-33-kernel-bug-4.20.log": {"bug-assertion"},
    "console/lkml-2019-pseudo-nmi-stack-overflow-4.19.log": {"stack-overflow"},
    "console/stable-2023-kprobe-stack-overflow.log": {"stack-overflow"},
    "console/kvmarm-2022-nvhe-hyp-panic-overflow.log": {"stack-overflow"},
    "console/kvmarm-2022-nvhe-invalid-host-exception.log": {"hyp-fault"},
    "console/lkml-2024-syzbot-kasan-ocfs2-uaf.log": {"use-after-free"},
    "console/lkml-2024-syzbot-kasan-mte-invalid-access.log": {"kasan"},
    "console/lkml-2024-usb-refcount-qp-x86.log": {"use-after-free", "refcount"},
    "console/gh-ophub-516-oops-6.1-mutex.log": {"wild-pointer"},
    "console/gh-weijilab-7-oops-4.19-cjk-journald.log": {"wild-pointer"},
    "console/gh-t113-2-arm32-oops-cut.log": {"wild-pointer"},
    "console/lkml-2021-lkdtm-warning-buildid.log": {"warning"},
    "console/gh-grapheneos-4475-android-panic-joined.log": {"panic"},
    "console/gh-pine64-5-bad-mode-4.4.log": {"wild-pointer"},
    "console/gh-rock64-258-syslogd-banners.log": {"wild-pointer"},
    "console/gh-rpi-6887-oops-journald.log": {"wild-pointer"},
}

# Rules no real log in this repository exercises yet (each needs a log to come off this list).
UNCOVERED: dict[str, str] = {
    "slab-poison": "no public arm64 log with a 0x6b POISON_FREE FAR found yet",
    "uninit-poison": "no public arm64 log with a 0x5a POISON_INUSE FAR found yet",
    "register-poison": "no public arm64 log with poison in the register dump found yet",
    "alignment": "the public alignment reports found are user-space 'Unhandled fault' lines, not crash reports",
    "double-free": "no public arm64 KASAN double-free log found yet",
    "kfence": "the public KFENCE reports found are x86",
    "ubsan": "the public UBSAN reports found are x86",
    "pac": "no public FPAC log found (QEMU without FEAT_FPAC gives the e2e CORRUPT_PAC case)",
    "hard-lockup": "no public arm64 hard-lockup log found yet",
    "core-free-object": "needs a core dump, not a log: tests/e2e/test_vmcore.py (WRITE_AFTER_FREE core)",
    "core-double-free": "needs a core dump, not a log: tests/e2e/test_vmcore.py (SLAB_FREE_DOUBLE core)",
}

# Rules whose real logs are the Debian 6.1 QEMU crashes in tests/data/e2e (test_e2e_logs.py).
E2E_COVERED: dict[str, str] = {
    "write-ro": "WRITE_RO, WRITE_RO_AFTER_INIT, WRITE_KERN",
    "pc-beyond-size": "EXEC_DATA, EXEC_RODATA",
    "stack-protector": "CORRUPT_STACK",
    "slub-poison-overwritten": "WRITE_AFTER_FREE",
    "slub-freelist-double-free": "SLAB_FREE_DOUBLE",
    "pac-pointer": "CORRUPT_PAC",
    "list-corruption": "CORRUPT_LIST_ADD, CORRUPT_LIST_DEL",
    "usercopy": "USERCOPY_*",
    "fortify": "FORTIFY_*",
}


def _path(rel: str) -> Path:
    return DATA / rel


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_first_hypothesis(rel: str) -> None:
    path = _path(rel)
    if not path.exists():
        pytest.skip(f"{rel} is not in the corpus any more (owned by another stage)")
    expl = explain_log(str(path))
    assert expl.reports, f"{rel}: no report found"
    top = expl.reports[0].hypotheses[0]
    assert top.cls in EXPECTED[rel], f"{rel}: got {top.cls} ({top.summary})"
    assert 0 < top.confidence <= 0.99
    assert top.summary and top.next_step and top.evidence


def _fired_on(paths: list[Path]) -> set[str]:
    hit: set[str] = set()
    for path in paths:
        for report in parse_text(path.read_text(encoding="utf-8", errors="replace")):
            hit.update(r.name for r in fired(analyse(report).facts))
    return hit


def test_every_rule_has_a_real_log() -> None:
    own = [p for p in map(_path, EXPECTED) if p.exists()]
    e2e = sorted((DATA / "e2e").glob("*.log"))
    hit = _fired_on(own)
    hit_e2e = _fired_on(e2e)
    names = {r.name for r in RULES}
    stems = [p.stem for p in e2e if parse_text(p.read_text(encoding="utf-8", errors="replace"))]
    absent = {rule for rule, crashes in E2E_COVERED.items()
              if not any(s.startswith(c.strip().rstrip("*")) for c in crashes.split(",") for s in stems)}
    missing = names - hit - hit_e2e - set(UNCOVERED) - absent
    assert not missing, f"rules without a real log: {sorted(missing)}"
    stale = {n for n in UNCOVERED if n in hit | hit_e2e}
    assert not stale, f"now covered, take off UNCOVERED: {sorted(stale)}"


def test_arm32_report_is_not_decoded_as_arm64() -> None:
    path = CONSOLE / "gh-t113-2-arm32-oops-cut.log"
    if not path.exists():
        pytest.skip("arm32 corpus log not present")
    rep = explain_log(str(path)).reports[0]
    assert rep.registers == ()
    assert any("32-bit ARM" in n for n in rep.notes)
