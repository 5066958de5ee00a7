"""Address classification against both arm64 Linux VA layouts."""

from __future__ import annotations

import pytest

from a64triage.arm64 import AddressClass, address_info, classify_address
from a64triage.errors import InputError


@pytest.mark.parametrize(("addr", "kw", "cls"), [
    (0x0, {}, AddressClass.NULL),
    (0x10, {}, AddressClass.NULL),
    (0x0000AAAAE0001000, {}, AddressClass.USER),
    (0xFFFF000012345678, {"layout": "5.4+"}, AddressClass.LINEAR),
    (0xFFFF0A0CBAB752C0, {}, AddressClass.LINEAR),
    (0xFFFF800080433B90, {}, AddressClass.KIMAGE),  # v6.5+ KIMAGE_VADDR window (stack? ambiguous)
    (0xFFFF800010A5C2D0, {}, AddressClass.KIMAGE),  # 5.4-5.17 kernel text
    (0xFFFF800008001000, {}, AddressClass.KIMAGE),  # 5.18-6.4 kernel text
    (0xFFFF800000012340, {}, AddressClass.MODULES),
    (0xFFFF8000C0000000, {}, AddressClass.VMALLOC),
    (0xFFFFFDFFC2000000, {}, AddressClass.VMEMMAP),
    (0xFFFFFFFFFE000000, {}, AddressClass.FIXMAP),
    (0xFFFF000008081000, {}, AddressClass.KIMAGE),  # 4.14 text (pre-5.4)
    (0xFFFF000000800000, {}, AddressClass.MODULES),  # 4.14 modules
    (0xFFFF800012345678, {"layout": "pre-5.4"}, AddressClass.LINEAR),
    (0xFFFF7E0000000040, {"layout": "pre-5.4"}, AddressClass.VMEMMAP),
    (0xFFFF200008081000, {}, AddressClass.KIMAGE),  # 4.x with KASAN
    (0xDEAD000000000100, {}, AddressClass.POISON),
    (0xDEAD000000000122, {}, AddressClass.POISON),
    (0x6B6B6B6B6B6B6B6B, {}, AddressClass.POISON),
    (0x5A5A5A5A5A5A5A5A, {}, AddressClass.POISON),
    (0xA5A5A5A5A5A5A5A5, {}, AddressClass.POISON),
    (0x0001000000000000, {}, AddressClass.NONCANONICAL),
    (0xFFF0000012345678, {}, AddressClass.NONCANONICAL),
    (0xFFF0000012345678, {"va_bits": 52}, AddressClass.LINEAR),
    (0xFFFFFF8008080000, {"va_bits": 39, "layout": "pre-5.4"}, AddressClass.KIMAGE),
    (0xFFFFFFC010A5C2D0, {"va_bits": 39}, AddressClass.KIMAGE),  # RPi 5.x 39-bit kernel text
    (0xFFFFFF8012345678, {"va_bits": 39}, AddressClass.LINEAR),
    (0xFFFF900012345678, {"va_bits": 47}, AddressClass.LINEAR),  # 16K pages, 47-bit
    (0xFFFFC00080010000, {"va_bits": 47}, AddressClass.KIMAGE),
    (0x800000001000, {"hyp_va_range": (0x800000000000, 0xFFFFFFFFFFFF)}, AddressClass.HYP),
])
def test_classes(addr: int, kw: dict[str, object], cls: AddressClass) -> None:
    assert address_info(addr, **kw).cls is cls  # type: ignore[arg-type]


def test_tagged_pointer_is_classified_untagged() -> None:
    info = address_info(0xF2FF000012345678, layout="5.4+")
    assert info.cls is AddressClass.LINEAR and info.tag == 0xF2


def test_kaslr_offset_moves_the_image() -> None:
    assert address_info(0xFFFFA8B30B241640).cls is AddressClass.VMALLOC
    assert address_info(0xFFFF800080000000 + 0x2000000, kaslr_offset=0x2000000).cls is AddressClass.KIMAGE


def test_summary_and_notes() -> None:
    t = classify_address(0xFFFF0000089E6FD8)
    assert t.summary.startswith("KIMAGE:")
    assert "class=KIMAGE" in t.notes
    assert any("5.4+ layout this would be LINEAR" in n for n in t.notes)


@pytest.mark.parametrize("kw", [{"va_bits": 40}, {"layout": "4.x"}])
def test_bad_options(kw: dict[str, object]) -> None:
    with pytest.raises(InputError):
        address_info(0, **kw)  # type: ignore[arg-type]
