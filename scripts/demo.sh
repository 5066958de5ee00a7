#!/usr/bin/env bash
# README command (a): install, then run the main job on the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ex=examples/hyp-panic-2017
if [ -f "$ex/replay.elf" ] && .venv/bin/a64triage explain --help >/dev/null 2>&1 \
   && .venv/bin/a64triage explain "$ex/console.log" --vmlinux "$ex/replay.elf" >/dev/null 2>&1; then
  exec .venv/bin/a64triage explain "$ex/console.log" --vmlinux "$ex/replay.elf"
fi
# Until explain lands: decode the 2017 report's registers.
for reg in "SPSR_EL2 0x800003c9" "ESR_EL2 0x86000004" "FAR_EL2 0xffff0000089e6fd8" \
           "HPFAR_EL2 0x9825000" "PAR_EL1 0x0"; do
  set -- $reg
  echo "== $1 $2"
  .venv/bin/a64triage decode "$1" "$2"
done
