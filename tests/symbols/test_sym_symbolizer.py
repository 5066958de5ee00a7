"""Symbolizer behaviour on the committed fixtures (clang and GCC images, a module)."""

from __future__ import annotations

import pytest
from symtest_util import FIXTURES

from a64triage.console.records import Frame, Report
from a64triage.errors import InputError
from a64triage.symbols import bug_sites, is_return_frame, open_symbolizer
from a64triage.symbols.elf import ElfImage

CLANG = str(FIXTURES / "image-clang.elf")
GCC = str(FIXTURES / "image-gcc.elf")
MODULES = str(FIXTURES / "modules")
DEBUG = str(FIXTURES / "debug")
SOURCES = str(FIXTURES.parent)


def _report(**kw: object) -> Report:
    return Report(kind="oops", title="t", span=(1, 1), **kw)  # type: ignore[arg-type]


def test_frame_by_name_with_inline_chain(backend: str) -> None:
    sym = open_symbolizer(GCC)
    assert sym.backend == backend
    res = sym.symbolize_frame(Frame(function="outer", offset=8, size=0x20), is_return=False)
    assert (res.function, res.offset, res.size, res.section) == ("outer", 8, 0x20, ".text")
    assert [(loc.function, loc.file, loc.line) for loc in res.locations] == [
        ("leaf_add", "inline.c", 12), ("middle", "inline.c", 17), ("outer", "inline.c", 24)]
    assert res.notes == ()


def test_return_address_is_looked_up_at_the_call(backend: str) -> None:
    sym = open_symbolizer(CLANG)
    # entry+0x1c is the instruction after `bl after_die` (inline.c:53)
    as_pc = sym.symbolize_frame(Frame(function="entry", offset=0x1c, size=0x48), is_return=False)
    as_ret = sym.symbolize_frame(Frame(function="entry", offset=0x1c, size=0x48), is_return=True)
    assert as_ret.locations[-1].line == 53
    assert as_ret.offset == as_pc.offset == 0x1c


def test_noreturn_call_at_end_attributed_to_caller(backend: str) -> None:
    sym = open_symbolizer(CLANG)
    cod = sym.symbol("check_or_die")
    assert cod is not None
    # %pB style: offset == size
    res = sym.symbolize_frame(Frame(function="check_or_die", offset=cod.size, size=cod.size))
    assert res.function == "check_or_die" and res.offset == cod.size
    assert res.locations[-1].line == 41  # die_now("bad");
    assert any("noreturn" in n for n in res.notes)
    # raw address / %pS style: the return address names the next symbol at +0x0
    after = sym.symbol("after_die")
    assert after is not None and after.addr == cod.addr + cod.size
    res2 = sym.symbolize_frame(Frame(function="after_die", offset=0, size=after.size))
    assert (res2.function, res2.offset) == ("check_or_die", cod.size)
    res3 = sym.symbolize_address(after.addr, is_return=True, runtime=False)
    assert (res3.function, res3.offset) == ("check_or_die", cod.size)
    # the faulting PC itself is not moved
    res4 = sym.symbolize_address(after.addr, is_return=False, runtime=False)
    assert (res4.function, res4.offset) == ("after_die", 0)


def test_duplicate_static_names_by_size(backend: str) -> None:
    sym = open_symbolizer(CLANG)
    small = sym.symbolize_frame(Frame(function="helper", offset=4, size=0x14), is_return=False)
    big = sym.symbolize_frame(Frame(function="helper", offset=4, size=0x40), is_return=False)
    assert small.locations[-1].file == "dup_a.c"
    assert big.locations[-1].file == "dup_b.c"
    assert small.address != big.address


@pytest.mark.parametrize(("printed", "actual"), [
    ("scale", "scale.constprop.0"), ("only_b", "only_b.isra.0"), ("split_me", "split_me.part.0"),
    ("with_cold.cold", "with_cold.cold"), ("scale.constprop.0", "scale.constprop.0")])
def test_gcc_clone_suffixes(printed: str, actual: str) -> None:
    sym = open_symbolizer(GCC)
    s = sym.symbol(printed)
    assert s is not None and s.name == actual
    res = sym.symbolize_frame(Frame(function=printed, offset=4, size=s.size), is_return=False)
    assert res.function == actual and res.locations
    assert res.locations[-1].file == "clones.c"


def test_cold_part_resolves_to_its_source_function(backend: str) -> None:
    sym = open_symbolizer(GCC)
    res = sym.symbolize_frame(Frame(function="with_cold.cold", offset=0x8, size=0x2c), is_return=False)
    assert res.function == "with_cold.cold"
    assert res.locations[-1].function == "with_cold"


@pytest.mark.parametrize("printed", ["__kvm_nvhe_handle_trap", "handle_trap"])
def test_nvhe_prefix_both_ways(printed: str) -> None:
    sym = open_symbolizer(CLANG)
    res = sym.symbolize_frame(Frame(function=printed, offset=4, size=0xc, stack="hyp"), is_return=False)
    assert res.function == "__kvm_nvhe_handle_trap"
    assert res.locations and res.locations[-1].file == "kern.S"


def test_mapping_symbols_never_named() -> None:
    sym = open_symbolizer(CLANG)
    assert sym.symbol("$x") is None and sym.symbol("$d") is None
    image = ElfImage(CLANG)
    assert any(s.is_mapping for s in image.symbols)  # they exist in the file
    lit = sym.symbol("lit_user")
    assert lit is not None
    # the literal pool word inside lit_user ($d) still belongs to lit_user
    assert sym.symbolize_address(lit.addr + 0x18, runtime=False).function == "lit_user"


def test_offset_beyond_size_is_reported() -> None:
    sym = open_symbolizer(CLANG)
    res = sym.symbolize_frame(Frame(function="outer", offset=0x40, size=0x24), is_return=False)
    assert res.function == "outer" and res.locations == ()
    assert any("beyond" in n and "not in that function" in n for n in res.notes)


def test_address_in_no_section() -> None:
    sym = open_symbolizer(CLANG)
    res = sym.symbolize_address(0xffff800008fff000, runtime=False)
    assert any("no section" in n for n in res.notes)


def test_size_mismatch_means_other_build() -> None:
    sym = open_symbolizer(CLANG)
    res = sym.symbolize_frame(Frame(function="outer", offset=8, size=0x10), is_return=False)
    assert any("does not match" in n for n in res.notes)
    # kallsyms sizes include the padding up to the next symbol: not a mismatch
    table = sym.vmlinux.table if sym.vmlinux else None
    assert table is not None
    outer = table.find("outer")[0]
    assert table.size_matches(outer, table.gap(outer))
    assert not table.size_matches(outer, outer.size - 4)


def test_last_symbol_of_a_section_fits_any_larger_size() -> None:
    """kallsyms measures the last function of a module section to whatever the loader put
    next (mod_other ends .text): a larger printed size is no sign of another build."""
    sym = open_symbolizer(CLANG, modules_dir=MODULES, debug_dirs=[DEBUG])
    last = sym.symbolize_frame(Frame(function="mod_other", offset=0x10, size=0x1000, module="test_mod"),
                               is_return=False)
    assert not any("different build" in n for n in last.notes), last.notes
    inner = sym.symbolize_frame(Frame(function="mod_work", offset=0x8, size=0x1000, module="test_mod"),
                                is_return=False)
    assert any("different build" in n for n in inner.notes), inner.notes


def test_kaslr_from_kernel_offset_line_and_from_addresses() -> None:
    sym = open_symbolizer(CLANG)
    assert sym.kaslr_from_report(_report(kernel_offset=0x1000000)) == 0x1000000
    lit = sym.symbol("lit_user")
    assert lit is not None
    pc = Frame(function="lit_user", offset=0xc, size=0x20, address=lit.addr + 0xc + 0x2a00000)
    lr = Frame(function="entry", offset=0x1c, size=0x48,
               address=(sym.symbol("entry").addr if sym.symbol("entry") else 0) + 0x1c + 0x2a00000)
    hyp = Frame(function="__kvm_nvhe_handle_trap", offset=4, size=0xc, address=0x1234, stack="hyp")
    assert sym.kaslr_from_report(_report(pc=pc, lr=lr, call_trace=(hyp,))) == 0x2a00000
    assert sym.kaslr_from_report(_report()) is None
    res = sym.open_log(kaslr_offset=0x2a00000).symbolize_address(lit.addr + 0xc + 0x2a00000)
    assert (res.function, res.offset) == ("lit_user", 0xc)


def test_runtime_address_without_offset_is_flagged() -> None:
    sym = open_symbolizer(CLANG)
    res = sym.symbolize_address(0xffffb07261d9ed38)
    assert any("KASLR offset unknown" in n for n in res.notes)


def test_check_match_against_linux_banner() -> None:
    sym = open_symbolizer(CLANG)
    assert sym.release == "6.1.0-fixture"
    assert sym.check_match(_report(kernel_version="6.1.0-fixture", build="#7")) == []
    warn = sym.check_match(_report(kernel_version="6.1.0-56-cloud-arm64", build="#1 Debian 6.1.158-1"))
    assert len(warn) == 2 and "6.1.0-56-cloud-arm64" in warn[0] and "6.1.158-1" in warn[1]
    assert sym.check_match(_report()) == []


def test_bug_table() -> None:
    sym = open_symbolizer(CLANG)
    bug = sym.symbol("bug_here")
    assert bug is not None
    assert sym.bug_site(bug.addr + 4) == ("kernel/fixture.c", 42)
    assert sym.bug_site(bug.addr) is None
    assert bug_sites(ElfImage(CLANG)) == {bug.addr + 4: ("kernel/fixture.c", 42)}


def test_bug_table_in_relocatable_object() -> None:
    from a64triage.symbols.symbolizer import load_object

    obj = load_object(str(FIXTURES / "kern.o"))
    assert obj.image is not None and obj.layout is not None
    sites = bug_sites(obj.image, obj.layout)
    bug = obj.table.find("bug_here")[0]
    assert sites == {bug.addr + 4: ("kernel/fixture.c", 42)}


def test_module_frame_from_compressed_stripped_ko_and_build_id_debug(backend: str) -> None:
    sym = open_symbolizer(CLANG, modules_dir=MODULES, debug_dirs=[DEBUG])
    res = sym.symbolize_frame(Frame(function="mod_other", offset=0x10, size=0x30, module="test-mod"),
                              is_return=False)
    assert (res.module, res.function, res.section, res.offset) == ("test_mod", "mod_other", ".text", 0x10)
    assert res.address == 0x50  # section offset, as `addr2line -j .text` wants it
    assert [(loc.function, loc.file, loc.line) for loc in res.locations] == [("mod_other", "module.c", 21)]
    assert res.notes == ()


def test_module_inline_chain_and_init_text() -> None:
    sym = open_symbolizer(CLANG, modules_dir=MODULES, debug_dirs=[DEBUG])
    res = sym.symbolize_frame(Frame(function="mod_work", offset=0x8, size=0x3c, module="test_mod"),
                              is_return=False)
    assert res.locations[-1].function == "mod_work"
    init = sym.symbolize_frame(Frame(function="mod_init", offset=0x4, size=0x8, module="test_mod"),
                               is_return=False)
    assert init.section == ".init.text" and init.offset == 4


def test_module_debuglink_only(tmp_path: pytest.TempPathFactory) -> None:
    # no debug dir given: the .gnu_debuglink name is searched next to the module
    import lzma
    import shutil
    from pathlib import Path

    mods = Path(str(tmp_path)) / "mods"
    mods.mkdir()
    ko = mods / "test_mod.ko"
    ko.write_bytes(lzma.decompress((FIXTURES / "modules/kernel/drivers/test/test_mod.ko.xz").read_bytes()))
    dbg = next((FIXTURES / "debug" / ".build-id").rglob("*.debug"))
    shutil.copy(dbg, mods / dbg.name)
    sym = open_symbolizer(CLANG, modules_dir=str(mods))
    res = sym.symbolize_frame(Frame(function="mod_other", offset=0x10, size=0x30, module="test_mod"),
                              is_return=False)
    assert res.locations and res.locations[-1].line == 21


def test_module_without_debug_info_gives_function_offset() -> None:
    sym = open_symbolizer(CLANG, modules_dir=MODULES)
    res = sym.symbolize_frame(Frame(function="mod_other", offset=0x10, size=0x30, module="test_mod"),
                              is_return=False)
    assert (res.function, res.offset) == ("mod_other", 0x10) and res.locations == ()
    assert any("no DWARF" in n for n in res.notes)


def test_missing_module() -> None:
    sym = open_symbolizer(CLANG, modules_dir=MODULES)
    res = sym.symbolize_frame(Frame(function="f", offset=4, size=8, module="nosuch"))
    assert res.module == "nosuch" and res.function == "f"
    assert res.notes == ("module nosuch not found",)
    assert any("nosuch" in p for p in sym.problems)


def test_source_text(backend: str) -> None:
    sym = open_symbolizer(CLANG, source_dir=SOURCES)
    res = sym.symbolize_frame(Frame(function="entry", offset=0x1c, size=0x48))
    assert res.locations[-1].text is not None
    assert "after_die(x)" in res.locations[-1].text


def test_system_map_only() -> None:
    sym = open_symbolizer(system_map=str(FIXTURES / "image-clang.System.map"))
    res = sym.symbolize_frame(Frame(function="helper", offset=4, size=0x14), is_return=False)
    assert res.function == "helper" and res.locations == ()
    assert sym.backend == "none"
    lit = sym.symbol("lit_user")
    assert lit is not None and lit.size == 0x20  # inferred from the next symbol


def test_return_rule_for_traces() -> None:
    trace = (Frame(function="a"), Frame(function="b"), Frame(function="el1h_64_sync"),
             Frame(function="c"), Frame(function="d", marker="P"), Frame(function="e"))
    assert [is_return_frame(trace, i) for i in range(len(trace))] == [False, True, True, False, False, True]


def test_symbolize_report() -> None:
    sym = open_symbolizer(CLANG)
    rep = _report(pc=Frame(function="lit_user", offset=0xc, size=0x20),
                  lr=Frame(function="entry", offset=0x1c, size=0x48),
                  call_trace=(Frame(function="lit_user", offset=0xc, size=0x20),
                              Frame(function="entry", offset=0x1c, size=0x48)))
    out = sym.symbolize_report(rep)
    assert [r.function for _f, r in out] == ["lit_user", "entry", "lit_user", "entry"]


def test_needs_some_symbol_source() -> None:
    with pytest.raises(InputError):
        open_symbolizer()


def test_return_address_must_follow_a_call() -> None:
    sym = open_symbolizer(CLANG)
    trap = sym.symbol("__kvm_nvhe_handle_trap")
    assert trap is not None
    # +0x8 follows `ldr x1, [x0]`, not a call: a PC (e.g. an exception-return frame)
    res = sym.symbolize_frame(Frame(function="handle_trap", offset=8, size=0xc))
    assert res.looked_up == trap.addr + 8
    assert any("does not follow a call" in n for n in res.notes)
    # entry+0x1c follows `bl after_die`: looked up at the call
    entry = sym.symbolize_frame(Frame(function="entry", offset=0x1c, size=0x48))
    assert entry.looked_up == entry.address - 4 and not entry.notes
