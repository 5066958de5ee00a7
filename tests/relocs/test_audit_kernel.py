"""The real Linux 6.1 nVHE hyp objects (kvm_nvhe.tmp.o) built from Debian's linux-source-6.1
with gcc 12 and clang 14 (scripts/build_audit_fixtures.sh kernel), plus Debian's real vmlinux
and a small clang vmlinux built from the same source when cached."""

from __future__ import annotations

import os
import re
import time
from collections import Counter

import pytest
from audit_helpers import FULL_VMLINUX, fx, pick

from a64triage.relocs import audit


@pytest.mark.parametrize("cc", ("gcc", "clang"))
def test_defconfig_hyp_relocations_are_info(cc: str) -> None:
    """151 ABS64 sites (149 .hyp.rodata + 2 .hyp.idmap.text literals): fixed at boot by gen-hyprel."""
    res = audit(fx(f"kernel/kvm_nvhe-{cc}.tmp.o"))
    assert res.regions == ("linux-nvhe",)
    abs64 = [f for f in res.findings if f.relocation == "R_AARCH64_ABS64"]
    assert len(abs64) == 151
    assert all(f.severity == "info" and f.safe_by and "gen-hyprel" in f.safe_by for f in abs64)
    by_section = Counter(f.section for f in abs64)
    assert by_section == {".hyp.rodata": 149, ".hyp.idmap.text": 2}
    literals = pick(abs64, cls="absolute-in-code")
    assert {f.target for f in literals} == {"__kvm_hyp_host_vector", "kvm_host_psci_cpu_entry"}
    # the host_hcall[] HANDLE_FUNC table is consumed by blr: an absolute table, made safe by gen-hyprel
    # (handle_host_hcall is inlined into handle_trap by both compilers)
    hcall = [f for f in pick(abs64, cls="absolute-table") if (f.slot or "").startswith("host_hcall")]
    assert len(hcall) == 22 and {f.function for f in hcall} == {"handle_trap"}
    assert all(re.search(r"; blr x\d+$", f.instruction or "") for f in hcall)
    # tables only passed by address (bsearch over pvm_sys_reg_descs) are attributed to the referencing code
    descs = [f for f in abs64 if (f.slot or "").startswith("pvm_sys_reg_descs")]
    assert len(descs) == 119 and all(f.function for f in descs)
    assert not [f for f in res.findings if f.severity == "fatal"]
    assert not res.hazardous


def test_clang_mcmodel_large_is_fatal() -> None:
    """gen-hyprel stops this build ('Unexpected RELA type 264'); the audit says why and where."""
    res = audit(fx("kernel/kvm_nvhe-clang-large.tmp.o"))
    movw = [f for f in res.findings if "MOVW_UABS" in (f.relocation or "") and f.cls.value == "absolute-in-code"]
    assert len(movw) > 100
    assert all(f.severity == "fatal" and "-mcmodel=large" in f.fix for f in movw)
    assert all(f.section and f.section.startswith(".hyp") for f in movw)
    assert res.hazardous


@pytest.mark.parametrize("cc", ("gcc", "clang"))
def test_data_rel_ro_blind_spot(cc: str) -> None:
    """A fn-pointer table forced into .data.rel.ro escapes gen-hyprel: fatal; the .rodata label table is info."""
    res = audit(fx(f"kernel/kvm_nvhe-{cc}-labtest.tmp.o"))
    orphan = pick(res.findings, cls="absolute-table", function="lab_dispatch")
    assert len(orphan) == 2
    assert all(f.severity == "fatal" and f.section == ".data.rel.ro" and f.safe_by is None for f in orphan)
    assert {f.target for f in orphan} == {"lab_f0", "lab_f1"}
    assert "gen-hyprel does not scan" in orphan[0].why
    cgoto = pick(res.findings, cls="absolute-table", function="lab_cgoto")
    assert len(cgoto) == 3 and all(f.severity == "info" and f.section == ".hyp.rodata" for f in cgoto)
    assert len([f for f in res.findings if f.relocation == "R_AARCH64_ABS64"]) == 156


@pytest.mark.realkernel
def test_debian_vmlinux(debian_vmlinux: str) -> None:
    t0 = time.perf_counter()
    res = audit(debian_vmlinux)
    elapsed = time.perf_counter() - t0
    assert "linux-nvhe" in res.regions
    assert res.hyp_reloc_entries == 151
    nvhe = [f for f in res.findings if f.region == "linux-nvhe"]
    covered = [f for f in nvhe if f.safe_by and "gen-hyprel" in f.safe_by]
    assert len(covered) == 151
    assert not [f for f in res.findings if f.severity == "fatal"]
    # issue 5: <= 2 s (bench/audit_bench.py measures it on an idle machine); tolerate a busy 2-core CI host
    budget = 2.0 if os.getloadavg()[0] < 1.0 else 6.0
    assert elapsed < budget, f"audit of the Debian vmlinux took {elapsed:.2f} s"


@pytest.mark.realkernel
def test_full_clang_vmlinux_blind_spot() -> None:
    """tinyconfig+KVM vmlinux with the hazard object: .hyp.reloc does not cover lab_orphan_tbl."""
    if not FULL_VMLINUX.exists():
        pytest.skip("full clang vmlinux not built (scripts/build_audit_fixtures.sh vmlinux)")
    res = audit(str(FULL_VMLINUX))
    assert res.hyp_reloc_entries is not None and res.hyp_reloc_entries >= 151
    unc = pick(res.findings, cls="uncovered-hyp-pointer")
    assert unc and all(f.severity == "fatal" for f in unc)
    assert any((f.slot or "").startswith("__kvm_nvhe_lab_orphan_tbl") for f in unc)
    assert {f.function for f in unc} == {"__kvm_nvhe_lab_dispatch"}
