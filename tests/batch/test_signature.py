"""The fuzzy cluster on Debian's real arm64 kernel: one LKDTM crash type is one cluster,
whatever the boot (KASLR on or off, panic_on_oops or not, max CPU features); two types
never share one.  Each log's first report is the crash LKDTM provoked (later ones are
the kernel's reactions, e.g. a WARNING while the CPU idles)."""

from __future__ import annotations

import tomllib
from collections import defaultdict

from batch_helpers import E2E

from a64triage.console import parse_file
from a64triage.console.records import Frame, Report
from a64triage.triage.signature import SIGNATURE_VERSION, cluster_key, guilty_function, signature


def _clusters() -> dict[str, set[str]]:
    types = tomllib.loads((E2E / "expected.toml").read_text(encoding="utf-8"))
    by_type: dict[str, set[str]] = defaultdict(set)
    for log in sorted(E2E.glob("*.log")):
        crash = log.stem.split("-")[0]
        assert crash in types, log
        first = next(iter(parse_file(str(log))))
        by_type[crash].add(cluster_key(first))
    return by_type


def test_one_cluster_per_crash_type_across_boots() -> None:
    by_type = _clusters()
    assert len(by_type) >= 35
    split = {t: c for t, c in by_type.items() if len(c) != 1}
    assert not split, f"one crash type, several clusters: {split}"
    owners: dict[str, list[str]] = defaultdict(list)
    for crash, clusters in by_type.items():
        owners[next(iter(clusters))].append(crash)
    joined = {c: t for c, t in owners.items() if len(t) > 1}
    assert not joined, f"several crash types, one cluster: {joined}"


def test_variants_exist_for_the_property() -> None:
    """The property is only tested if some types have several boots (KASLR off, panic, max)."""
    stems = [p.stem for p in E2E.glob("*-*.log")]
    assert any(s.endswith("-nokaslr") for s in stems) and any(s.endswith("-panic") for s in stems)


def _report(**kw: object) -> Report:
    base: dict[str, object] = {"kind": "oops", "title": "t", "span": (1, 2)}
    base.update(kw)
    return Report(**base)  # type: ignore[arg-type]


def test_what_never_enters_the_key() -> None:
    """Offsets, sizes, modules, compiler suffixes, addresses: same key; the title is opaque."""
    a = _report(pc=Frame("foo.isra.0", 0x10, 0x40, "m"), call_trace=(Frame("bar", 4, 8),),
                message="Unable to handle kernel paging request at virtual address ffff0000deadbeef")
    b = _report(title="something else", pc=Frame("foo", 0x24, 0x80), call_trace=(Frame("bar", 8, 16),),
                message="Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008")
    assert cluster_key(a) == cluster_key(b) == "bad-access:any:foo"
    assert signature(b).exact == "something else" and signature(b).version == SIGNATURE_VERSION


def test_access_kind_splits_the_family() -> None:
    fr = (Frame("lkdtm_do_action", 0x24, 0x40),)
    keys = {cluster_key(_report(call_trace=fr, message=m)) for m in (
        "Unable to handle kernel execute from non-executable memory at virtual address ffff800008000000",
        "Unable to handle kernel write to read-only memory at virtual address ffff800008000000",
        "Unable to handle kernel paging request at virtual address 0000000000000001")}
    assert len(keys) == 3


def test_guilty_frame_skips_helpers_inline_and_stray_pcs() -> None:
    frames = [Frame("lkdtm_FORTIFY_STR_OBJECT", 0x7EA8, 0x1298),  # pc past the symbol: data
              Frame("helper", 0, 8, inline=True), Frame("dump_stack", 0, 8), Frame("x", 4, 8, marker="?"),
              Frame("lkdtm_EXEC_DATA.constprop.0", 0x24, 0x30)]
    assert guilty_function(frames) == "lkdtm_EXEC_DATA"
    assert guilty_function([]) is None


def test_panic_key_is_its_message_without_numbers() -> None:
    a = _report(kind="panic", message="stack-protector: Kernel stack is corrupted in: f+0x54/0x60 [lkdtm]")
    b = _report(kind="panic", message="stack-protector: Kernel stack is corrupted in: f+0x58/0x60")
    assert cluster_key(a) == cluster_key(b)
    assert cluster_key(_report(kind="panic", message="Attempted to kill init! exitcode=0x0000000b")) == \
        cluster_key(_report(kind="panic", message="Attempted to kill init! exitcode=0x00000009"))
