#!/usr/bin/env bash
# README command (b): install everything the tests need, then run lint, types and the suite.
# Real-kernel and QEMU tests download Debian's arm64 kernel (cached in ~/.cache/a64triage);
# when that cannot be done they are reported as skipped with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh test
.venv/bin/ruff check src tests scripts bench
.venv/bin/mypy src
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected nothing: treat as failure, a run must test something.
exit $rc
