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
.venv/bin/ruff check src tests scripts bench
.venv/bin/mypy src
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: treat as failure, a run must test something.
exit $rc
