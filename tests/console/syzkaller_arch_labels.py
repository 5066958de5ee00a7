"""The architecture of each syzkaller report/ log, read from the whole log's own evidence, for
tests/console/test_report_arch_corpus.py.  Independent of console/arches.py on purpose: it
reads every line of the log (boot lines, other reports, the file:line paths of symbolized
frames, "x86_64" in module or version strings), and the result is committed
(tests/data/syzkaller-arch.tsv) after review by eye, so that the test never derives a label
from the rule it tests.  "Google Compute Engine" is no evidence: GCE runs arm64 machines too.

Regenerate (then review the diff):  .venv/bin/python tests/console/syzkaller_arch_labels.py
"""

from __future__ import annotations

import re
from pathlib import Path

import syzkaller_corpus as sc

OUT = sc.ROOT / "tests" / "data" / "syzkaller-arch.tsv"

EVIDENCE: dict[str, tuple[str, ...]] = {
    "x86": (r"Hardware name: QEMU Standard PC", r"\bRIP: 00", r"\bRAX: ", r"\bentry_SYSCALL_64", r"\bdo_syscall_64\b",
            r"__x64_sys_", r"\bx86_64\b", r"arch/x86/", r"\basm_exc_", r"\bEFLAGS: "),
    "arm64": (r"\bel0_svc", r"\bel0t_64_sync", r"\bel1h_64_sync", r"\bel1_sync\b", r"__arm64_sys_", r"\bpstate: ",
              r"\bx29: ", r"arch/arm64/", r"Mem abort info:", r"linux,dummy-virt \(DT\)"),
    "arm": (r"\bret_fast_syscall", r"\b__irq_svc", r"\bvector_swi", r"\br10: ?[0-9a-f]{8} ", r"ARM-Versatile",
            r"arch/arm/"),
    "powerpc": (r"\bNIP[: ]", r"system_call_exception", r"arch/powerpc/"),
    "riscv": (r"\bepc : ", r"arch/riscv/", r"riscv-virtio"),
}


def label(log: str) -> tuple[str, dict[str, int]]:
    """The architecture with the most evidence ("" when the log has none) and the counts."""
    hits = {a: sum(len(re.findall(rx, log)) for rx in rxs) for a, rxs in EVIDENCE.items()}
    hits = {a: n for a, n in hits.items() if n}
    return (max(hits, key=lambda a: hits[a]) if hits else ""), hits


def load(path: Path = OUT) -> dict[str, str]:
    rows = (ln.split("\t") for ln in path.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#")
    return {r[0]: r[1] for r in rows}


def main() -> None:
    out = ["# name\tarch (empty: no evidence in the log)\tevidence counts (tests/console/syzkaller_arch_labels.py)"]
    for c in sc.cases("report"):
        arch, hits = label(c.log)
        out.append(f"{c.name}\t{arch}\t{' '.join(f'{a}={n}' for a, n in sorted(hits.items()))}")
    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
