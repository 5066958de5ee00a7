"""Plain-text rendering of a FieldTree (the CLI's default output)."""

from __future__ import annotations

from a64triage.arm64.fields import Field, FieldTree


def _hex(value: int, width: int) -> str:
    digits = max(1, (width + 3) // 4)
    return f"0x{value:0{digits}x}"


def _bits(f: Field) -> str:
    return f"[{f.hi}]" if f.hi == f.lo else f"[{f.hi}:{f.lo}]"


COLLAPSE_WHEN_ZERO = frozenset({"ISS2"})


def tree_lines(tree: FieldTree, *, show_res0: bool = False) -> list[str]:
    """An indented tree: header, one line per field (bits, value, meaning), then notes.

    Zero RES0 fields and the sub-fields of an all-zero ISS2 are hidden unless
    ``show_res0``; non-zero ones always show.
    """
    head = f"{tree.register} {tree.value:#x}"
    lines = [f"{head}: {tree.summary}" if tree.summary else head]

    def emit(fields: tuple[Field, ...], depth: int) -> None:
        for f in fields:
            if f.name == "RES0" and f.value == 0 and not show_res0:
                continue
            pad = "  " * depth
            lines.append(f"{pad}{_bits(f):<9} {f.name:<12} {_hex(f.value, f.width):<12} {f.meaning}".rstrip())
            if show_res0 or f.value or f.name not in COLLAPSE_WHEN_ZERO:
                emit(f.fields, depth + 1)

    emit(tree.fields, 1)
    for note in tree.notes:
        lines.append(f"  note: {note}")
    return lines
