"""Defects already filed and owned, by signature: what the fuzzer may step over.

A libFuzzer run stops at its first crash, so one open defect would hide every other
one behind it.  With ``A64TRIAGE_FUZZ_KNOWN=skip`` (the CI smoke run, the campaign)
an exception that matches a row here is counted and reported, not fatal; anything
else still is.  A row names the issue's defect and its owner, and goes when the fix
lands (tests/fuzz/test_defect_shapes.py turns XPASS then, which says so).

A signature is the exception's type and where it was raised: the innermost frame
inside src/a64triage/ (path relative to it, a prefix).  ``Hang`` is the campaign's
and the smoke run's per-input timeout (CPU seconds), raised where the input was when
time ran out.
"""

from __future__ import annotations

import re
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType


class Hang(BaseException):  # not Exception: the stages' `except Exception` must not eat it
    """An input ran past the per-input timeout."""


@dataclass(frozen=True)
class Known:
    defect: str
    owner: str
    exc: str  # exception type name, or "Hang"
    where: str  # prefix of the innermost a64triage frame's path, relative to src/a64triage/


# Issue 16's D1-D8 are fixed on main; a row looks like
#     Known("D2", "repair", "Hang", "console/"),
KNOWN: tuple[Known, ...] = ()


def where(exc: BaseException) -> str:
    """``path:line function`` of the innermost frame inside the package (or the innermost)."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if "/a64triage/" in f.filename.replace("\\", "/")]
    f = (mine or frames or [None])[-1]
    if f is None:
        return "?"
    path = f.filename.replace("\\", "/")
    return f"{path.split('/a64triage/', 1)[-1]}:{f.lineno} {f.name}"


def classify(exc: BaseException) -> Known | None:
    return lookup(type(exc).__name__, where(exc))


def lookup(name: str, at: str) -> Known | None:
    return next((k for k in KNOWN if k.exc == name and at.startswith(k.where)), None)


_FRAME = re.compile(r'^  File "(?P<path>[^"]*/a64triage/[^"]+)", line (?P<line>\d+), in (?P<func>\S+)$', re.M)


def from_stderr(text: str) -> tuple[str, Known | None]:
    """A CLI run's printed traceback -> (signature, known row): the same signature as
    ``signature()`` gives in process."""
    frames = list(_FRAME.finditer(text))
    last = [ln for ln in text.splitlines() if ln and not ln.startswith(" ")][-1:]
    name = last[0].split(":", 1)[0].strip() if last else "?"
    if not frames:
        return f"{name} at ?", None
    f = frames[-1]
    at = f"{f['path'].split('/a64triage/', 1)[-1]}:{f['line']} {f['func']}"
    return f"{name} at {at}", lookup(name, at)


def signature(exc: BaseException) -> str:
    """One line that tells defects apart: type and place (not the message: it carries data)."""
    return f"{type(exc).__name__} at {where(exc)}"


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang()


def guarded(run: Callable[[bytes], None], seconds: float,
            on_known: Callable[[Known, BaseException], None]) -> Callable[[bytes], None]:
    """``run`` with a per-input timeout and the known defects stepped over.  The timer
    counts CPU time (SIGVTALRM: SIGALRM is libFuzzer's own -timeout); a Python signal
    handler runs inside a regex match too (sre checks for signals as it goes)."""
    signal.signal(signal.SIGVTALRM, _alarm)

    def one(data: bytes) -> None:
        signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
        try:
            run(data)
        except (Exception, Hang) as exc:
            known = classify(exc)
            if known is None:
                raise
            on_known(known, exc)
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)

    return one


def report_first(seen: set[str]) -> Callable[[Known, BaseException], None]:
    """An ``on_known`` that prints each known defect once, to stderr."""
    def on_known(known: Known, exc: BaseException) -> None:
        if known.defect not in seen:
            seen.add(known.defect)
            print(f"fuzz: known defect {known.defect} (owner: {known.owner}): {signature(exc)}",
                  file=sys.stderr, flush=True)
    return on_known
