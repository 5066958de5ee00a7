#!/usr/bin/env bash
# Rebuild the `a64triage audit` fixtures (tests/fixtures/audit/) with Debian 12's
# clang 14 / ld.lld 14 and gcc-aarch64-linux-gnu 12.
#
#   scripts/build_audit_fixtures.sh [small] [kernel] [vmlinux]
#
#   small   C/asm objects for both compilers and flag sets + ld.lld -pie linked images
#           (committed under tests/fixtures/audit/{clang,gcc,asm,linked}/)
#   kernel  Linux 6.1 nVHE hyp objects (kvm_nvhe.tmp.o) from Debian's linux-source-6.1,
#           variants gcc, clang, clang-large, clang-labtest (committed under
#           tests/fixtures/audit/kernel/ when small, full build kept in the cache)
#   vmlinux small full clang vmlinux (tinyconfig + KVM, ~200 s on 2 cores) in the cache only
#
# Default: small.  Cache: ${A64TRIAGE_CACHE:-~/.cache/a64triage}/audit/.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fx=$here/tests/fixtures/audit
src=$fx/src
cache=${A64TRIAGE_CACHE:-$HOME/.cache/a64triage}/audit
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(small)

common=(-c -fno-asynchronous-unwind-tables -fno-unwind-tables -mgeneral-regs-only -fno-stack-protector)
declare -A flagsets=(
	[O2]="-O2 -fno-PIE"
	[Os]="-Os -fno-PIE"
	[nojt]="-O2 -fno-PIE -fno-jump-tables"
	[large]="-O2 -fno-PIE -mcmodel=large"
	[pie]="-O2 -fpie"
)

build_small() {
	mkdir -p "$fx/clang" "$fx/gcc" "$fx/asm" "$fx/linked"
	for f in hazards negatives s2setup; do
		for fs in "${!flagsets[@]}"; do
			# shellcheck disable=SC2086
			clang --target=aarch64-linux-gnu "${common[@]}" ${flagsets[$fs]} "$src/$f.c" -o "$fx/clang/$f-$fs.o"
			# shellcheck disable=SC2086
			aarch64-linux-gnu-gcc "${common[@]}" ${flagsets[$fs]} "$src/$f.c" -o "$fx/gcc/$f-$fs.o"
		done
	done
	# with DWARF, for file:line in findings (--source / audit_function)
	clang --target=aarch64-linux-gnu "${common[@]}" -g ${flagsets[O2]} "$src/hazards.c" -o "$fx/clang/hazards-O2-g.o"
	aarch64-linux-gnu-gcc "${common[@]}" -g ${flagsets[O2]} "$src/hazards.c" -o "$fx/gcc/hazards-O2-g.o"
	clang --target=aarch64-linux-gnu -c "$src/init_stage2_2017.S" -o "$fx/asm/init_stage2_2017.o"
	# Linked images: ld.lld -pie at the 4.14 kernel image address, so .rela.dyn exists.
	local tmp; tmp=$(mktemp -d)
	clang --target=aarch64-linux-gnu "${common[@]}" -O2 -fno-PIE "$src/kernel_stubs.c" -o "$tmp/stubs.o"
	ld.lld -pie -z notext -z max-page-size=4096 -z norelro --no-apply-dynamic-relocs -T "$src/kernel.lds" \
		"$fx/asm/init_stage2_2017.o" "$tmp/stubs.o" -o "$fx/linked/init_stage2_2017.elf"
	ld.lld -pie -z notext -z max-page-size=4096 -z norelro --no-apply-dynamic-relocs -T "$src/kernel.lds" \
		"$fx/clang/hazards-O2.o" "$fx/clang/negatives-O2.o" "$tmp/stubs.o" -o "$fx/linked/hazards-clang.elf"
	ld.lld -pie -z notext -z max-page-size=4096 -z norelro --no-apply-dynamic-relocs -T "$src/kernel.lds" \
		"$fx/gcc/hazards-O2.o" "$fx/gcc/negatives-O2.o" "$tmp/stubs.o" -o "$fx/linked/hazards-gcc.elf"
	rm -rf "$tmp"
}

ksrc() {
	local tree=$cache/linux-source-6.1
	if [ ! -f "$tree/Makefile" ]; then
		local tarball
		tarball=$(python3 "$here/scripts/debian_kernel.py" source | sed -n 's/^source=//p')/usr/src/linux-source-6.1.tar.xz
		mkdir -p "$cache" && tar xJf "$tarball" -C "$cache"
	fi
	# The two-line hook of the lab notes (§3.4): extra hyp flags and an extra hazard object,
	# both empty unless set on the make command line.
	local mk=$tree/arch/arm64/kvm/hyp/nvhe/Makefile
	if ! grep -q HYP_LAB_TEST "$mk"; then
		sed -i 's/^hyp-obj-\$(CONFIG_DEBUG_LIST) += list_debug.o$/&\nhyp-obj-$(HYP_LAB_TEST) += lab_hazards.o\nccflags-y += $(HYP_EXTRA_CFLAGS)/' "$mk"
	fi
	cp "$src/kernel/lab_hazards.c" "$tree/arch/arm64/kvm/hyp/nvhe/lab_hazards.c"
	echo "$tree"
}

build_kernel_variant() {  # name, llvm(0/1), extra make args...
	local name=$1 llvm=$2; shift 2
	local tree out; tree=$(ksrc); out=$cache/build/$name
	local mk=(make -C "$tree" O="$out" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j2)
	[ "$llvm" = 1 ] && mk+=(LLVM=1)
	[ -f "$out/.config" ] || "${mk[@]}" defconfig >/dev/null
	# clang-large stops at gen-hyprel by design ("Unexpected RELA type 264"); kvm_nvhe.tmp.o exists by then.
	"${mk[@]}" "$@" arch/arm64/kvm/hyp/nvhe/ > "$out/build.log" 2>&1 || echo "$name: make failed (see $out/build.log)" >&2
	local tmpo=$out/arch/arm64/kvm/hyp/nvhe/kvm_nvhe.tmp.o
	mkdir -p "$fx/kernel"
	# Committed copy without DWARF; kept only when small (< 2 MB).
	local dst=$fx/kernel/kvm_nvhe-$name.tmp.o
	if [ -f "$tmpo" ]; then
		aarch64-linux-gnu-strip --strip-debug -o "$dst" "$tmpo"
		[ "$(stat -c %s "$dst")" -lt 2000000 ] || rm -f "$dst"
	fi
}

build_kernel() {
	build_kernel_variant gcc 0
	build_kernel_variant clang 1
	build_kernel_variant clang-large 1 HYP_EXTRA_CFLAGS=-mcmodel=large
	build_kernel_variant clang-labtest 1 HYP_LAB_TEST=y
	build_kernel_variant gcc-labtest 0 HYP_LAB_TEST=y
}

build_vmlinux() {
	local tree out; tree=$(ksrc); out=$cache/build/clang-vmlinux
	local mk=(make -C "$tree" O="$out" ARCH=arm64 LLVM=1 -j2)
	if [ ! -f "$out/.config" ]; then
		"${mk[@]}" tinyconfig >/dev/null
		"$tree/scripts/config" --file "$out/.config" -e VIRTUALIZATION -e KVM -e PRINTK -e RELOCATABLE \
			-e DEBUG_INFO -e DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
		"${mk[@]}" olddefconfig >/dev/null
	fi
	"${mk[@]}" HYP_LAB_TEST=y vmlinux > "$out/build.log" 2>&1
	echo "vmlinux: $out/vmlinux"
}

for p in "${parts[@]}"; do
	case $p in
	small) build_small ;;
	kernel) build_kernel ;;
	vmlinux) build_vmlinux ;;
	*) echo "unknown part: $p" >&2; exit 2 ;;
	esac
done
