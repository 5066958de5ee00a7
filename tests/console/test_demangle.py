"""Mangled Rust (v0, legacy) and C++ names in call traces, titled by their readable path.

Expected strings follow the grammars (Rust RFC 2603, Itanium C++ ABI 5.1) and the titles
syzkaller gives the Rust panics of its report/748 and report/749."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from syzkaller_corpus import DATA, load

from a64triage.console import parse_text
from a64triage.console.demangle import demangle


@pytest.mark.parametrize(("mangled", "readable"), [
    # inherent impl, with a back-reference to the module path
    ("_RNvMs3_NtCshgDM7dBCdno_11rust_binder7processNtB5_7Process10update_ref",
     "<rust_binder::process::Process>::update_ref"),
    # trait impl: <Type as Trait>
    ("_RNvXs1_CscPPBqWtAqum_11ashmem_rustNtB5_6AshmemNtNtCs43vyB533jt3_6kernel10miscdevice10MiscDevice4mmap",
     "<ashmem_rust::Ashmem as kernel::miscdevice::MiscDevice>::mmap"),
    # a "_" after the length: the name starts with "_"
    ("_RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind", "__rustc::rust_begin_unwind"),
    # a reference type, and an instantiating crate after the path
    ("_RNvXs1b_NtCs9jEwPDbx20M_4core3fmtRNtNtNtB8_5panic10panic_info9PanicInfoNtB6_7Display3fmtCs43vyB533jt3_6kernel",
     "<&core::panic::panic_info::PanicInfo as core::fmt::Display>::fmt"),
    ("_RNCNvCs1234_5krate3foo0B5_", "krate::foo::{closure#0}"),
    ("_RINvCs1_3foo3barlE", "foo::bar::<i32>"),
    ("_Z8fakeNameiii", "fakeName"),
    ("_ZL3foov", "foo"),
    ("_ZN4core9panicking5panic17h0123456789abcdefE", "core::panicking::panic"),  # Rust legacy: hash dropped
])
def test_demangle(mangled: str, readable: str) -> None:
    assert demangle(mangled) == readable


@pytest.mark.parametrize("name", ["memcpy", "_raw_spin_lock", "_R", "_RNv", "_RB0_", "_RNvB_3foo",
                                  "_ZNK3foo", "_RuNv", "_R1NvC3foo"])
def test_not_decoded(name: str) -> None:
    """Plain C names, truncated names, back-references that do not point backwards, versions."""
    assert demangle(name) is None


def test_long_lengths_are_refused() -> None:
    """A length of thousands of digits is no name (and no ValueError from int())."""
    assert demangle("_RNvC" + "9" * 5000 + "a") is None
    assert demangle("_Z" + "9" * 5000 + "a") is None
    assert demangle("_RNvCR") is None  # a type where the name ends


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="_RZNvMXYCIBEKLsuTAOPQRSab0123456789xyz", max_size=80))
def test_any_name_is_safe(tail: str) -> None:
    for prefix in ("_R", "_Z"):
        out = demangle(prefix + tail)
        assert out is None or isinstance(out, str)


def _b62(n: int) -> str:
    """A v0 <base-62-number>: "_" for 0, else the digits of n - 1 and "_"."""
    if n == 0:
        return "_"
    digits, n = "", n - 1
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:
        digits = alphabet[n % 62] + digits
        n //= 62
        if n == 0:
            return digits + "_"


def test_backreference_fanout_is_bounded() -> None:
    """S_j = I S_(j-1) B<S_(j-1)> E: every level reads the one below twice, 2**40 reads in all
    without the work budget; with it the name is given up (no hang)."""
    k = 40
    body = "I" * k + "C1a" + "".join(f"B{_b62(k - j + 1)}E" for j in range(1, k + 1))
    assert demangle("_R" + body) is None
    small = "I" * 3 + "C1a" + "".join(f"B{_b62(3 - j + 1)}E" for j in range(1, 4))
    assert demangle("_R" + small) == "a::<a>::<a::<a>>::<a::<a>::<a::<a>>>"


@pytest.mark.parametrize(("case", "title"), [
    ("report/748", "attempt to subtract with overflow in <rust_binder::process::Process>::update_ref"),
    ("report/749", "attempt to add with overflow in <ashmem_rust::Ashmem as kernel::miscdevice::MiscDevice>::mmap"),
    ("report/747", "possible deadlock in fakeName"),
])
def test_mangled_frames_in_titles(case: str, title: str) -> None:
    """A Rust panic (rust/kernel/lib.rs: "panicked at", the message, then BUG()) is one report,
    titled by the message and the first frame past the panic plumbing."""
    reports = parse_text(load(DATA / case).log)
    assert reports[0].title == title
