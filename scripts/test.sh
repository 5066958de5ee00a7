#!/usr/bin/env bash
# README command (b): install everything the tests need, then run lint, types and the suite.
# Real-kernel and QEMU tests download Debian's arm64 kernel (cached in ~/.cache/a64triage);
# when that cannot be done they are reported as skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
# Debian's arm64 kernel, its debug info, busybox and LKDTM for the real-kernel tests:
# fetched once and cached in ~/.cache/a64triage; when that cannot be done the tests
# that need it are reported as skipped with the reason.
# The committed logs in tests/data/e2e come from this ABI: test against its vmlinux.
export A64TRIAGE_E2E_ABI="${A64TRIAGE_E2E_ABI:-6.1.0-56}"
timeout 1800 python3 scripts/e2e/prepare.py >/dev/null || echo "test: real-kernel cache not prepared (see skipped tests)" >&2
# The small clang vmlinux (tinyconfig + KVM + the hazard object, ~200 s once, then cached)
# for the audit's .hyp.reloc coverage test on a linked image.
A64TRIAGE_CACHE_DIR="${A64TRIAGE_CACHE:-$HOME/.cache/a64triage}"
if [ ! -f "$A64TRIAGE_CACHE_DIR/audit/build/clang-vmlinux/vmlinux" ]; then
  mkdir -p "$A64TRIAGE_CACHE_DIR/audit"
  timeout 1800 bash scripts/build_audit_fixtures.sh vmlinux > "$A64TRIAGE_CACHE_DIR/audit/vmlinux-build.log" 2>&1 \
    || echo "test: small clang vmlinux not built (see skipped tests; $A64TRIAGE_CACHE_DIR/audit/vmlinux-build.log)" >&2
fi
.venv/bin/ruff check src tests scripts bench fuzz
.venv/bin/mypy src
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: treat as failure, a run must test something.
exit $rc
