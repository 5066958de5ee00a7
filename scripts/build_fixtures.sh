#!/usr/bin/env bash
# Build the symbolize/disasm test fixtures from tests/fixtures/c/*.c and kern.S.
# Outputs are committed next to their sources (tests/fixtures/c/out/); re-run this
# after editing a source.  Needs clang + ld.lld (Debian clang 14) and
# aarch64-linux-gnu-gcc / binutils (Debian 12).
set -euo pipefail
cd "$(dirname "$0")/../tests/fixtures/c"
OUT=out
rm -rf "$OUT"
mkdir -p "$OUT"
TEXT=0xffff800008010000
COMMON=(-O2 -g -gdwarf-5 -ffreestanding -fno-stack-protector -fno-pic -fno-asynchronous-unwind-tables
        -fno-unwind-tables -mgeneral-regs-only -mbranch-protection=none -fdebug-prefix-map="$PWD"=.)
CLANG=(clang --target=aarch64-linux-gnu "${COMMON[@]}")
GCC=(aarch64-linux-gnu-gcc "${COMMON[@]}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# clang: linked image (address path) and a relocatable object (relocation path)
for f in inline dup_a dup_b; do "${CLANG[@]}" -c "$f.c" -o "$tmp/$f.clang.o"; done
"${CLANG[@]}" -fdebug-compilation-dir=. -c kern.S -o "$tmp/kern.clang.o"
ld.lld -z max-page-size=4096 --image-base=0xffff800008000000 -o "$OUT/image-clang.elf" -e entry -Ttext=$TEXT --build-id=sha1 \
    "$tmp/inline.clang.o" "$tmp/dup_a.clang.o" "$tmp/dup_b.clang.o" "$tmp/kern.clang.o"
cp "$tmp/inline.clang.o" "$OUT/inline-clang.o"
cp "$tmp/kern.clang.o" "$OUT/kern.o"

# gcc: the clones (.constprop/.isra/.part/.cold) as an object and in a linked image
for f in inline dup_a dup_b; do "${GCC[@]}" -c "$f.c" -o "$tmp/$f.gcc.o"; done
"${GCC[@]}" -freorder-blocks-and-partition -c clones.c -o "$tmp/clones.gcc.o"
# (kern.S is assembled by clang for both images: GNU as 2.40 records an absolute comp_dir)
cp "$tmp/kern.clang.o" "$tmp/kern.gcc.o"
cp "$tmp/clones.gcc.o" "$OUT/clones-gcc.o"
aarch64-linux-gnu-ld -z max-page-size=4096 -o "$OUT/image-gcc.elf" -e entry -Ttext=$TEXT --build-id=sha1 \
    "$tmp/inline.gcc.o" "$tmp/dup_a.gcc.o" "$tmp/dup_b.gcc.o" "$tmp/clones.gcc.o" "$tmp/kern.gcc.o"

# A "module" laid out like Debian's: stripped, xz-compressed test_mod.ko under
# modules/, DWARF in a separate file found by build-id (and .gnu_debuglink).
"${GCC[@]}" -c module.c -o "$tmp/test_mod.ko"
aarch64-linux-gnu-ld -r --build-id=sha1 -o "$OUT/test_mod.ko" "$tmp/test_mod.ko"
bid=$(aarch64-linux-gnu-readelf -n "$OUT/test_mod.ko" | awk '/Build ID/ {print $3}')
mkdir -p "$OUT/debug/.build-id/${bid:0:2}" "$OUT/modules/kernel/drivers/test"
aarch64-linux-gnu-objcopy --only-keep-debug "$OUT/test_mod.ko" "$OUT/debug/.build-id/${bid:0:2}/${bid:2}.debug"
aarch64-linux-gnu-objcopy --strip-debug --add-gnu-debuglink="$OUT/debug/.build-id/${bid:0:2}/${bid:2}.debug" \
    "$OUT/test_mod.ko" "$tmp/stripped.ko"
xz -9 -c "$tmp/stripped.ko" > "$OUT/modules/kernel/drivers/test/test_mod.ko.xz"

# System.map of the clang image (the symbols-only path)
aarch64-linux-gnu-nm -n "$OUT/image-clang.elf" | grep -v ' [aUwN] ' > "$OUT/image-clang.System.map"

# Bad inputs: the wrong architecture, a stripped image, a truncated file, garbled DWARF
gcc -O2 -c x86.c -o "$OUT/x86.o"
aarch64-linux-gnu-objcopy --strip-all "$OUT/image-clang.elf" "$OUT/image-stripped.elf"
head -c 6000 "$OUT/image-clang.elf" > "$OUT/image-truncated.elf"
python3 - "$OUT/image-clang.elf" "$OUT/image-baddwarf.elf" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
shoff, = struct.unpack_from("<Q", data, 0x28)
shnum, shstrndx = struct.unpack_from("<HH", data, 0x3c)
def hdr(i):
    return struct.unpack_from("<IIQQQQIIQQ", data, shoff + 64 * i)
stroff = hdr(shstrndx)[4]
for i in range(shnum):
    h = hdr(i)
    name = data[stroff + h[0]:data.index(b"\0", stroff + h[0])]
    if name in (b".debug_info", b".debug_line"):
        # keep the unit headers, garble everything after them
        for j in range(h[4] + 12, h[4] + h[5]):
            data[j] = 0xff
open(sys.argv[2], "wb").write(data)
PY
ls -la "$OUT"
