"""Benchmark: `a64triage audit` on Debian's arm64 vmlinux (issue 5 budget: <= 2 s).

    .venv/bin/python bench/audit_bench.py [VMLINUX] [--repeat N]

Default input: the 6.1.0-56 cloud-arm64 debug vmlinux cached by scripts/debian_kernel.py
(273 MB, ~155k symbols, ~139k .rela.dyn entries).  Prints the time of each phase of the
first run and min/median over N runs of the whole audit (in-process, imports excluded),
then, on the same file, what a person does without a64triage: disassemble the hyp code
with its relocations (``llvm-objdump -d -r`` from ``__hyp_text_start`` to ``__hyp_text_end``) and list
the dynamic relocations (``llvm-readelf -r``) to read by hand, each a whole process;
the ratio is a64triage's median over those two tools' combined time (they only print,
the reading is left to the person).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from a64triage.relocs import audit
from a64triage.relocs.engine import audit_image, resolve_profiles
from a64triage.relocs.image import Image
from a64triage.symbols.rawelf import RawElf

CACHE = Path(os.environ.get("A64TRIAGE_CACHE", Path.home() / ".cache" / "a64triage"))
DEFAULT = CACHE / "debian/6.1.0-56/dbg/usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-arm64"
BUDGET_S = 2.0


def phases(path: str) -> dict[str, float]:
    out: dict[str, float] = {}
    t = time.perf_counter()
    elf = RawElf(path)
    out["open + section headers"] = time.perf_counter() - t
    t = time.perf_counter()
    _ = elf.symbols
    out["symbol table"] = time.perf_counter() - t
    t = time.perf_counter()
    img = Image(elf)
    out["relocations (.rela.dyn)"] = time.perf_counter() - t
    t = time.perf_counter()
    profs = resolve_profiles(img, None, (), ())
    out["profile detection"] = time.perf_counter() - t
    t = time.perf_counter()
    audit_image(img, path, profs)
    out["regions + data flow + findings"] = time.perf_counter() - t
    elf.close()
    return out


def _manual(path: str, repeat: int) -> float | None:
    """Median seconds of the two listings a person reads instead (None: llvm tools missing)."""
    objdump, readelf = shutil.which("llvm-objdump"), shutil.which("llvm-readelf")
    if objdump is None or readelf is None:
        return None
    elf = RawElf(path)
    bounds = {s.name: s.value for s in elf.symbols if s.name in ("__hyp_text_start", "__hyp_text_end")}
    elf.close()
    if len(bounds) != 2:
        return None
    cmds = [[objdump, "-d", "-r", f"--start-address={bounds['__hyp_text_start']:#x}",
             f"--stop-address={bounds['__hyp_text_end']:#x}", path], [readelf, "-r", path]]
    totals = []
    for _ in range(repeat):
        t = time.perf_counter()
        for cmd in cmds:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        totals.append(time.perf_counter() - t)
    return statistics.median(totals)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vmlinux", nargs="?", default=str(DEFAULT))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(args.vmlinux):
        print(f"skip: {args.vmlinux} not found (run scripts/debian_kernel.py dbg)", file=sys.stderr)
        return 0
    print(f"input: {args.vmlinux} ({os.path.getsize(args.vmlinux) / 1e6:.0f} MB), load {os.getloadavg()[0]:.2f}")
    for name, dt in phases(args.vmlinux).items():
        print(f"  {name:34} {dt * 1000:7.1f} ms")
    times = []
    res = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = audit(args.vmlinux)
        times.append(time.perf_counter() - t)
    assert res is not None
    print(f"audit: min {min(times):.3f} s, median {statistics.median(times):.3f} s over {len(times)} runs; "
          f"regions {', '.join(res.regions)}; {len(res.findings)} findings; "
          f".hyp.reloc {res.hyp_reloc_entries}; .rela.dyn {res.dynamic_relocations}")
    manual = _manual(args.vmlinux, args.repeat)
    if manual is not None:
        print(f"by hand: llvm-objdump -d -r of the hyp text + llvm-readelf -r: median {manual:.3f} s; "
              f"a64triage/by-hand ratio {statistics.median(times) / manual:.2f}x")
    ok = min(times) <= BUDGET_S
    print(f"budget {BUDGET_S:.1f} s: {'ok' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
