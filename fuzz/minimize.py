#!/usr/bin/env python3
"""Shrink a crashing log to the lines that still raise the same exception at the same place.

    .venv/bin/python fuzz/minimize.py TARGET INPUT [OUTPUT]

Line-level delta debugging (drop halves, then quarters, ... then single lines, then
shorten the lines left) against the signature ``known.signature()`` gives: type and
the innermost a64triage frame.  For byte inputs (ELF files) use libFuzzer's own
``fuzz/run.py TARGET -minimize_crash=1 -runs=20000 INPUT`` instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import known
import targets


def signature_of(run: object, data: bytes) -> str | None:
    try:
        run(data)  # type: ignore[operator]
    except Exception as exc:
        return known.signature(exc)
    return None


def minimize(run: object, data: bytes) -> bytes:
    want = signature_of(run, data)
    if want is None:
        raise SystemExit("minimize: the input does not fail")
    lines = data.split(b"\n")
    n = 2
    while len(lines) >= 2:
        chunk = max(1, len(lines) // n)
        for start in range(0, len(lines), chunk):
            trial = lines[:start] + lines[start + chunk:]
            if signature_of(run, b"\n".join(trial)) == want:
                lines = trial
                n = max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(len(lines), n * 2)
    for i, line in enumerate(lines):  # then each line as short as it can be, from its end
        while line:
            trial = [*lines[:i], line[:len(line) // 2], *lines[i + 1:]]
            if signature_of(run, b"\n".join(trial)) != want:
                break
            line = line[:len(line) // 2]
            lines = trial
    return b"\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    targets.isolate()
    target = targets.TARGETS[argv[0]]
    out = Path(argv[2] if len(argv) > 2 else argv[1] + ".min")
    small = minimize(target.run, Path(argv[1]).read_bytes())
    out.write_bytes(small)
    lines = small.count(b"\n") + 1
    print(f"{out}: {len(small)} bytes, {lines} lines: {signature_of(target.run, small)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
