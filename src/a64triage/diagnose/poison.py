"""Poison values the kernel writes into freed or uninitialised memory, as data.

Source: include/linux/poison.h (POISON_POINTER_DELTA is
CONFIG_ILLEGAL_POINTER_VALUE, 0xdead000000000000 on arm64: arch/arm64/Kconfig).
A faulting address or a register holding one of these says where the bad
pointer came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from a64triage.diagnose.classes import BugClass

POISON_POINTER_DELTA = 0xDEAD000000000000


@dataclass(frozen=True)
class Poison:
    """A value range and what a pointer in it means."""

    name: str
    lo: int
    hi: int  # inclusive
    meaning: str
    cls: BugClass


def _bytes(byte: int) -> tuple[int, int]:
    """Values whose upper 32 bits repeat ``byte`` (the pattern plus a member offset)."""
    top = int.from_bytes(bytes([byte]) * 4, "big") << 32
    return top, top | 0xFFFFFFFF


POISONS: tuple[Poison, ...] = (
    Poison("LIST_POISON1", POISON_POINTER_DELTA + 0x100, POISON_POINTER_DELTA + 0x121,
           "LIST_POISON1 (+offset): the next pointer of a list entry after list_del(); the entry was used after "
           "it was removed (and usually freed)", BugClass.USE_AFTER_FREE),
    Poison("LIST_POISON2", POISON_POINTER_DELTA + 0x122, POISON_POINTER_DELTA + 0x1FF,
           "LIST_POISON2 (+offset): the prev pointer of a list entry after list_del(); the entry was used after "
           "it was removed (and usually freed)", BugClass.USE_AFTER_FREE),
    Poison("POISON_POINTER_DELTA", POISON_POINTER_DELTA, POISON_POINTER_DELTA + 0xFFFFF,
           "a POISON_POINTER_DELTA poison (hlist/rb/timer poison): an object used after it was unlinked or freed",
           BugClass.USE_AFTER_FREE),
    Poison("POISON_FREE", *_bytes(0x6B),
           "POISON_FREE 0x6b bytes: a pointer loaded from slab memory that was already freed (slub_debug poisoning)",
           BugClass.USE_AFTER_FREE),
    Poison("POISON_INUSE", *_bytes(0x5A),
           "POISON_INUSE 0x5a bytes: a pointer loaded from freshly allocated, never initialised slab memory",
           BugClass.WILD_POINTER),
    Poison("POISON_END", *_bytes(0xA5),
           "POISON_END 0xa5: the end marker of a poisoned slab object", BugClass.USE_AFTER_FREE),
    Poison("SLUB_RED_INACTIVE", *_bytes(0xBB),
           "SLUB_RED_INACTIVE 0xbb: a redzone of a free slab object was read as a pointer", BugClass.USE_AFTER_FREE),
    Poison("SLUB_RED_ACTIVE", *_bytes(0xCC),
           "SLUB_RED_ACTIVE 0xcc: a redzone of a live slab object was read as a pointer (out of bounds)",
           BugClass.WILD_POINTER),
)


def poison_of(value: int | None) -> Poison | None:
    """The first poison range holding ``value``."""
    if value is None:
        return None
    for p in POISONS:
        if p.lo <= value <= p.hi:
            return p
    return None
