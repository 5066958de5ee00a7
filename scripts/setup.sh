#!/usr/bin/env bash
# Shared set-up for the README's two commands: Debian packages (when root and
# missing), a venv in .venv and the package installed into it.
# Usage: source scripts/setup.sh [test]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_debs=()
want_debs=(python3-venv)
if [ "${1:-}" = test ]; then
  # llvm: llvm-symbolizer/llvm-objdump for cross-checks; binutils-aarch64: addr2line/objdump;
  # gcc-aarch64 + make: the out-of-tree LKDTM module of the end-to-end suite; qemu + cpio:
  # booting Debian's arm64 kernel; chromium: the HTML test; debuginfod + libarchive-tools
  # (bsdtar, its .deb reader): the debuginfod client test's server.
  # clang + lld: rebuilding the 2017 replay image and the audit fixtures (the tests check
  # the committed outputs are what the scripts make); flex, bison, bc: the small clang vmlinux.
  want_debs+=(llvm clang lld binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu make xz-utils cpio
              qemu-system-arm chromium flex bison bc debuginfod libarchive-tools)
fi
for d in "${want_debs[@]}"; do
  dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "install ok installed" || need_debs+=("$d")
done
if [ ${#need_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need_debs[*]}" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_debs[@]}" >/dev/null
  else
    echo "setup: missing Debian packages (not root, skipping): ${need_debs[*]}" >&2
  fi
fi

python3 -m venv .venv
if [ "${1:-}" = test ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
else
  .venv/bin/pip install -q --disable-pip-version-check -e .
fi
