"""The values of the 2017 clang HYP panic report (/work/shared/lkml/2017-clang-hyp-panic.txt) decode exactly.

    PS:800003c9 PC:ffff0000089e6fd8 ESR:86000004
    FAR:ffff0000089e6fd8 HPFAR:0000000009825000 PAR:0000000000000000
"""

from __future__ import annotations

from a64triage.arm64 import AddressClass, address_info, decode, esr_summary


def _field(tree, name):  # type: ignore[no-untyped-def]
    f = tree.find(name)
    assert f is not None, name
    return f


def test_spsr_el2_800003c9_is_el2h_daif_masked_n_set() -> None:
    t = decode("SPSR_EL2", 0x800003C9)
    assert _field(t, "M[3:0]").value == 0b1001
    assert "EL2h" in _field(t, "M[3:0]").meaning
    assert _field(t, "M[4]").value == 0  # AArch64
    for flag in "DAIF":
        assert _field(t, flag).value == 1, flag
        assert _field(t, flag).meaning.endswith("masked")
    assert _field(t, "N").value == 1
    assert (_field(t, "Z").value, _field(t, "C").value, _field(t, "V").value) == (0, 0, 0)
    assert t.summary.startswith("AArch64 EL2h")
    assert "masked: DAIF" in t.summary


def test_esr_86000004_is_iabt_current_el_level0_translation() -> None:
    t = decode("ESR", 0x86000004, el=2)
    assert t.register == "ESR_EL2"
    assert _field(t, "EC").value == 0x21
    assert "instruction abort taken without a change in exception level" in _field(t, "EC").meaning
    assert _field(t, "IL").value == 1 and "32-bit" in _field(t, "IL").meaning
    ifsc = _field(t, "IFSC")
    assert ifsc.value == 0b000100
    assert ifsc.meaning.endswith("translation fault, level 0")
    assert (_field(t, "FnV").value, _field(t, "EA").value, _field(t, "S1PTW").value) == (0, 0, 0)
    assert t.summary.startswith("IABT (current EL) — instruction abort taken without a change in exception level")
    f = esr_summary(0x86000004)
    assert (f.ec, f.is_abort, f.is_instruction, f.is_data, f.same_el) == (0x21, True, True, False, True)
    assert (f.fsc, f.fsc_type, f.level, f.fnv, f.ea, f.s1ptw) == (4, "translation", 0, False, False, False)
    assert f.fsc_name == "level 0 translation fault"


def test_hpfar_9825000_gives_ipa_page() -> None:
    # HPFAR_EL2.FIPA is bits [47:4] and holds IPA[55:12] (Arm ARM D24.2.74), so
    # IPA = (HPFAR >> 4) << 12 = HPFAR << 8 = 0x982500000 (the kernel computes
    # (hpfar & HPFAR_MASK) << 8 too).  The issue text's "0x9825000000" has one
    # zero too many.
    t = decode("HPFAR", 0x9825000)
    fipa = _field(t, "FIPA")
    assert fipa.value == 0x982500
    assert fipa.value << 12 == 0x982500000
    assert "0x982500000" in fipa.meaning
    assert t.summary == "faulting IPA page 0x982500000"


def test_par_0_is_successful_translation_pa_0() -> None:
    t = decode("PAR", 0)
    assert _field(t, "F").value == 0
    assert "succeeded" in _field(t, "F").meaning
    assert _field(t, "PA").value == 0
    assert t.summary.startswith("successful translation: PA 0x0")


def test_far_is_a_4_14_kernel_image_address() -> None:
    info = address_info(0xFFFF0000089E6FD8, va_bits=48, layout="auto")
    assert info.cls is AddressClass.KIMAGE
    assert info.layout == "pre-5.4"
    # with the modern layout the same value is a linear-map address
    assert address_info(0xFFFF0000089E6FD8, layout="5.4+").cls is AddressClass.LINEAR
    # the HYP VA range the kernel printed does not contain it
    hyp = (0x800000000000, 0xFFFFFFFFFFFF)
    assert address_info(0xFFFF0000089E6FD8, hyp_va_range=hyp).cls is not AddressClass.HYP
    assert address_info(0x8000089E6FD8, hyp_va_range=hyp).cls is AddressClass.HYP
