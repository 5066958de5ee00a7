#!/usr/bin/env bash
# README command (a): install, then run the main job on the bundled example:
# explain the 2017 clang HYP panic (examples/hyp-panic-2017/) against its replay image.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ex=examples/hyp-panic-2017
exec .venv/bin/a64triage explain "$ex/console.log" --vmlinux "$ex/replay.elf" --source "$ex/linux" "$@"
