#!/usr/bin/env bash
# Build examples/hyp-panic-2017/replay.elf from replay.S + replay.lds, then check
# it against the 2017 report: every one of the 38 words of the report's
# disassembly (report-disassembly.txt), the link addresses of the call trace,
# the jump-table entry that equals the HYP panic PC, and the DWARF line.
# Needs clang, ld.lld, llvm-objdump, llvm-nm, llvm-readelf, llvm-symbolizer.
# Usage: scripts/build_replay.sh [OUTPUT]   (default: examples/hyp-panic-2017/replay.elf)
set -euo pipefail
out=$(realpath -m "${1:-$(dirname "$0")/../examples/hyp-panic-2017/replay.elf}")
cd "$(dirname "$0")/../examples/hyp-panic-2017"
for tool in clang ld.lld llvm-objdump llvm-nm llvm-readelf llvm-symbolizer; do
  command -v "$tool" >/dev/null || { echo "build_replay: $tool not found" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

clang --target=aarch64-linux-gnu -c -g -gdwarf-4 -fdebug-compilation-dir=/usr/src/linux-4.14-rc7 \
  replay.S -o "$tmp/replay.o"
ld.lld -T replay.lds --emit-relocs -z max-page-size=4096 --build-id=none -o "$tmp/replay.elf" "$tmp/replay.o"

# The report's words: "<off>: <word> <mnemonic ...>" lines.
python3 -c '
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"([0-9a-f]+): ([0-9a-f]{8}) ", line)
    if m:
        print(m.group(1), m.group(2))' report-disassembly.txt > "$tmp/want"
[ "$(wc -l < "$tmp/want")" -eq 38 ] || { echo "build_replay: expected 38 report words" >&2; exit 1; }

words() {  # words() FILE START STOP -> "<offset> <word>" per instruction
  llvm-objdump -d --section=.hyp.text --start-address="$2" --stop-address="$3" "$1" |
    python3 -c '
import re, sys
base = int(sys.argv[1], 0)
for line in sys.stdin:
    m = re.match(r"\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} ){4})", line)
    if m:  # llvm-objdump prints the bytes in memory order: little-endian
        print("%x" % (int(m.group(1), 16) - base), "".join(reversed(m.group(2).split())))' "$2"
}

# 1. The object file: all 38 words identical (relocated fields are still 0 there).
words "$tmp/replay.o" 0 0x98 > "$tmp/obj"
diff -u "$tmp/want" "$tmp/obj" || { echo "build_replay: replay.o differs from the report" >&2; exit 1; }

# 2. The linked image: the function at 0xffff0000089e6f84, PC = start + 0x54.
start=$(llvm-nm "$tmp/replay.elf" | awk '$3 == "__init_stage2_translation" { print $1 }')
[ "$start" = "ffff0000089e6f84" ] || { echo "build_replay: function at $start" >&2; exit 1; }
words "$tmp/replay.elf" 0xffff0000089e6f84 0xffff0000089e701c > "$tmp/elf"
# Only the adrp/add pair (0x14, 0x1c) carries relocated immediates.
diff <(grep -v '^\(14\|1c\) ' "$tmp/want") <(grep -v '^\(14\|1c\) ' "$tmp/elf") ||
  { echo "build_replay: linked words differ from the report" >&2; exit 1; }
llvm-objdump -d --start-address=0xffff0000089e6f98 --stop-address=0xffff0000089e6fa4 "$tmp/replay.elf" |
  grep 'adrp.*0xffff000008a00000' >/dev/null || { echo "build_replay: adrp does not reach .rodata" >&2; exit 1; }

# 3. The call trace and the jump table.
for sym in "ffff000008088ea4 dump_backtrace" "ffff0000080891f0 show_stack" \
           "ffff0000089c7328 dump_stack" "ffff0000080c8ce4 panic"; do
  set -- $sym
  llvm-nm "$tmp/replay.elf" | grep "^$1 T $2\$" >/dev/null || { echo "build_replay: $2 not at $1" >&2; exit 1; }
done
entry2=$(llvm-objdump -s --section=.rodata "$tmp/replay.elf" | awk '$1 == "ffff000008a00010" { print $2 $3 }')
[ "$entry2" = "d86f9e080000ffff" ] || { echo "build_replay: table[2] = $entry2" >&2; exit 1; }
llvm-readelf -r "$tmp/replay.elf" | grep -A6 "'.rela.rodata'" | grep -c R_AARCH64_ABS64 | grep -x 5 >/dev/null ||
  { echo "build_replay: expected 5 ABS64 relocations in .rela.rodata" >&2; exit 1; }

# 4. DWARF: the PC is s2-setup.c:38.
llvm-symbolizer --obj="$tmp/replay.elf" 0xffff0000089e6fd8 | grep 'arch/arm64/kvm/hyp/s2-setup.c:38' >/dev/null ||
  { echo "build_replay: PC is not at s2-setup.c:38" >&2; exit 1; }

cp "$tmp/replay.elf" "$out"
echo "build_replay: $out OK: 38/38 words match the report (36 bit-exact after linking, adrp/add relocated)," \
     "table[2] = PC ffff0000089e6fd8 = __init_stage2_translation+0x54, s2-setup.c:38"
