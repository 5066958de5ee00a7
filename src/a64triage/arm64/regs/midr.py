"""MIDR_EL1: implementer, variant, architecture, part number, revision.

Layout: Arm ARM D24.2.115 MIDR_EL1.  Implementer and part numbers:
arch/arm64/include/asm/cputype.h (ARM_CPU_IMP_*, *_CPU_PART_*); Samsung's
implementer code 0x53 is from the Arm ARM implementer list (not in cputype.h).
"""

from __future__ import annotations

from a64triage.arm64.spec import FieldSpec, RegisterDef, extract, res0

# arch/arm64/include/asm/cputype.h ARM_CPU_IMP_*
IMPLEMENTERS: dict[int, str] = {
    0x41: "Arm",
    0x42: "Broadcom",
    0x43: "Cavium (Marvell)",
    0x46: "Fujitsu",
    0x48: "HiSilicon",
    0x4E: "NVIDIA",
    0x50: "Applied Micro (APM)",
    0x51: "Qualcomm",
    0x53: "Samsung",
    0x56: "Marvell",
    0x61: "Apple",
    0x6D: "Microsoft",
    0xC0: "Ampere",
}

# arch/arm64/include/asm/cputype.h *_CPU_PART_* (implementer, part) -> name
PARTS: dict[tuple[int, int], str] = {
    (0x41, 0xD0F): "AEM v8 (Arm Architecture Envelope Model)",
    (0x41, 0xD00): "Foundation model",
    (0x41, 0xD03): "Cortex-A53",
    (0x41, 0xD04): "Cortex-A35",
    (0x41, 0xD05): "Cortex-A55",
    (0x41, 0xD07): "Cortex-A57",
    (0x41, 0xD08): "Cortex-A72",
    (0x41, 0xD09): "Cortex-A73",
    (0x41, 0xD0A): "Cortex-A75",
    (0x41, 0xD0B): "Cortex-A76",
    (0x41, 0xD0C): "Neoverse N1",
    (0x41, 0xD0D): "Cortex-A77",
    (0x41, 0xD0E): "Cortex-A76AE",
    (0x41, 0xD40): "Neoverse V1",
    (0x41, 0xD41): "Cortex-A78",
    (0x41, 0xD42): "Cortex-A78AE",
    (0x41, 0xD44): "Cortex-X1",
    (0x41, 0xD46): "Cortex-A510",
    (0x41, 0xD47): "Cortex-A710",
    (0x41, 0xD48): "Cortex-X2",
    (0x41, 0xD49): "Neoverse N2",
    (0x41, 0xD4B): "Cortex-A78C",
    (0x41, 0xD4C): "Cortex-X1C",
    (0x41, 0xD4D): "Cortex-A715",
    (0x41, 0xD4E): "Cortex-X3",
    (0x41, 0xD4F): "Neoverse V2",
    (0x41, 0xD80): "Cortex-A520",
    (0x41, 0xD81): "Cortex-A720",
    (0x41, 0xD82): "Cortex-X4",
    (0x41, 0xD83): "Neoverse V3AE",
    (0x41, 0xD84): "Neoverse V3",
    (0x41, 0xD85): "Cortex-X925",
    (0x41, 0xD87): "Cortex-A725",
    (0x41, 0xD89): "Cortex-A720AE",
    (0x41, 0xD8B): "C1-Pro",
    (0x41, 0xD8E): "Neoverse N3",
    (0x50, 0x000): "X-Gene",
    (0x43, 0x0A1): "ThunderX",
    (0x43, 0x0A2): "ThunderX 81xx",
    (0x43, 0x0A3): "ThunderX 83xx",
    (0x43, 0x0AF): "ThunderX2",
    (0x43, 0x0B1): "OcteonTX2 98xx",
    (0x43, 0x0B2): "OcteonTX2 96xx",
    (0x43, 0x0B3): "OcteonTX2 95xx",
    (0x43, 0x0B4): "OcteonTX2 95xxN",
    (0x43, 0x0B5): "OcteonTX2 95xxMM",
    (0x43, 0x0B6): "OcteonTX2 95xxO",
    (0x42, 0x100): "Brahma-B53",
    (0x42, 0x516): "Vulcan",
    (0x51, 0x001): "Oryon X1",
    (0x51, 0x200): "Kryo",
    (0x51, 0x800): "Falkor V1 / Kryo 2xx Gold",
    (0x51, 0x801): "Kryo 2xx Silver",
    (0x51, 0x802): "Kryo 3xx Gold",
    (0x51, 0x803): "Kryo 3xx Silver",
    (0x51, 0x804): "Kryo 4xx Gold",
    (0x51, 0x805): "Kryo 4xx Silver",
    (0x51, 0xC00): "Falkor",
    (0x4E, 0x003): "Denver",
    (0x4E, 0x004): "Carmel",
    (0x4E, 0x010): "Olympus",
    (0x46, 0x001): "A64FX",
    (0x48, 0xD01): "TSV110 (Kunpeng 920)",
    (0x48, 0xD02): "HIP09",
    (0x48, 0xD06): "HIP12",
    (0x61, 0x022): "M1 Icestorm",
    (0x61, 0x023): "M1 Firestorm",
    (0x61, 0x024): "M1 Pro Icestorm",
    (0x61, 0x025): "M1 Pro Firestorm",
    (0x61, 0x028): "M1 Max Icestorm",
    (0x61, 0x029): "M1 Max Firestorm",
    (0x61, 0x032): "M2 Blizzard",
    (0x61, 0x033): "M2 Avalanche",
    (0x61, 0x034): "M2 Pro Blizzard",
    (0x61, 0x035): "M2 Pro Avalanche",
    (0x61, 0x038): "M2 Max Blizzard",
    (0x61, 0x039): "M2 Max Avalanche",
    (0xC0, 0xAC3): "AmpereOne",
    (0xC0, 0xAC4): "AmpereOne AC04",
    (0x6D, 0xD49): "Azure Cobalt 100 (Neoverse N2 based)",
    (0x53, 0x001): "Exynos M1/M2 (Mongoose)",
    (0x53, 0x002): "Exynos M3",
}

ARCHITECTURES = {0xF: "defined by the ID registers (Armv7 and later)", 0x1: "Armv4", 0x2: "Armv4T",
                 0x3: "Armv5 (VA format)", 0x4: "Armv5T", 0x5: "Armv5TE", 0x6: "Armv5TEJ", 0x7: "Armv6"}


def _implementer(v: int) -> str:
    return IMPLEMENTERS.get(v, "software use" if v == 0 else f"unknown implementer {v:#04x}")


MIDR_FIELDS = (
    res0(63, 32),
    FieldSpec("Implementer", 31, 24, "implementer", meaning=_implementer),
    FieldSpec("Variant", 23, 20, "variant (major revision, the r in rNpM)", meaning=lambda v: f"r{v}"),
    FieldSpec("Architecture", 19, 16, "architecture", ARCHITECTURES),
    FieldSpec("PartNum", 15, 4, "primary part number", meaning=lambda v: f"{v:#05x}"),
    FieldSpec("Revision", 3, 0, "revision (minor, the p in rNpM)", meaning=lambda v: f"p{v}"),
)


def midr_part(value: int) -> str:
    imp, part = extract(value, 31, 24), extract(value, 15, 4)
    return PARTS.get((imp, part), f"unknown part {part:#05x}")


def midr_summary(v: int) -> str:
    imp = extract(v, 31, 24)
    return f"{_implementer(imp)} {midr_part(v)} r{extract(v, 23, 20)}p{extract(v, 3, 0)}"


def midr_table(v: int) -> tuple[FieldSpec, ...]:
    """MIDR fields; the part number's meaning depends on the implementer."""
    part = FieldSpec("PartNum", 15, 4, "primary part number", meaning=lambda p: f"{p:#05x} {midr_part(v)}")
    return tuple(part if f.name == "PartNum" else f for f in MIDR_FIELDS)


MIDR = RegisterDef("MIDR_EL1", 64, midr_table, "Arm ARM D24.2.115 MIDR_EL1; arch/arm64/include/asm/cputype.h", midr_summary)
