#!/usr/bin/env python3
"""Coverage-guided fuzzing of one target with atheris (libFuzzer driving CPython).

    .venv/bin/python fuzz/run.py TARGET [libFuzzer flags] [CORPUS_DIR | FILE ...]
    .venv/bin/python fuzz/run.py --list

Without a corpus directory the working corpus is fuzz/corpus/TARGET (seeded from the
test data the first time); crashes, hangs and out-of-memory inputs land in
fuzz/crashes/TARGET/ (libFuzzer's crash-*, timeout-*, oom-* files).  Given files
instead of a directory, each is run once (reproduce a crash; add -minimize_crash=1
-runs=N to shrink it).  Defaults: -timeout=10 (a per-input hang guard) and
-rss_limit_mb=2048; any flag given overrides them.  A64TRIAGE_FUZZ_KNOWN=skip steps
over the defects already filed (fuzz/known.py) instead of stopping at them.
See fuzz/README.md.
"""

from __future__ import annotations

import hashlib
import os
import random
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _instrumented_targets() -> object:
    """Import every a64triage module under atheris' coverage instrumentation, then the
    targets (the package's modules load lazily: import them all now, instrumented)."""
    import importlib
    import pkgutil

    import atheris

    # The plain source of the mypyc-compiled console modules: atheris instruments Python
    # bytecode, so compiled code would be fuzzed without coverage (a64triage/compiled.py).
    os.environ["A64TRIAGE_PURE"] = "1"
    with atheris.instrument_imports(include=["a64triage"]):
        import a64triage

        for mod in pkgutil.walk_packages(a64triage.__path__, "a64triage."):
            if mod.name.endswith("__main__"):
                continue
            importlib.import_module(mod.name)
    sys.path.insert(0, str(HERE))
    import targets

    targets.isolate()
    return targets


def _seed_corpus(target: object, corpus: Path) -> None:
    """A corpus directory that is missing or empty starts from the target's seeds."""
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    for data in target.seeds():  # type: ignore[attr-defined]
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "--list"):
        sys.path.insert(0, str(HERE))
        import targets

        print(__doc__)
        for t in targets.TARGETS.values():
            print(f"  {t.name:12} {t.doc}")
        return 0
    name, rest = argv[0], argv[1:]
    import atheris

    mod = _instrumented_targets()
    target = mod.TARGETS.get(name)  # type: ignore[attr-defined]
    if target is None:
        print(f"run.py: no target {name!r} (--list lists them)", file=sys.stderr)
        return 2
    flags = [a for a in rest if a.startswith("-")]
    inputs = [a for a in rest if not a.startswith("-")]
    if not any(f.startswith("-artifact_prefix=") for f in flags):
        crashes = HERE / "crashes" / name
        crashes.mkdir(parents=True, exist_ok=True)
        flags.append(f"-artifact_prefix={crashes}{os.sep}")
    for default in ("-timeout=10", "-rss_limit_mb=2048"):
        if not any(f.startswith(default.split("=")[0] + "=") for f in flags):
            flags.append(default)
    if not inputs:
        inputs = [str(HERE / "corpus" / name)]
    for path in map(Path, inputs):
        if not path.is_file():
            _seed_corpus(target, path)
    run = target.run
    if os.environ.get("A64TRIAGE_FUZZ_KNOWN") == "skip":
        import known

        # the in-process guard fires before libFuzzer's own -timeout kills the run
        timeout = next((float(f.split("=", 1)[1]) for f in flags if f.startswith("-timeout=")), 10.0)
        run = known.guarded(run, max(timeout / 2, 1.0), known.report_first(set()))
    mutator = _elf_mutator if target.name == "elf" else None
    atheris.Setup([sys.argv[0], *flags, *inputs], run, custom_mutator=mutator)
    atheris.Fuzz()
    return 0


def _elf_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """Half libFuzzer's byte-level mutations, half aimed ones (header fields, symbols,
    string tables, from elfmut): random bytes in a 100 KB ELF rarely reach DWARF."""
    import atheris
    import elfmut

    if seed % 2:
        try:
            return elfmut.Mutator(data, random.Random(seed)).mutate()[:max_size]
        except (struct.error, IndexError, ValueError, KeyError, OverflowError):
            pass  # not an ELF any more: bytes only
    return bytes(atheris.Mutate(data, max_size))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
