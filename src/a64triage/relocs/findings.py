"""Result type of the audit stage.  Keys mirror issue 5's JSON contract."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class HazardClass(StrEnum):
    ABSOLUTE_TABLE = "absolute-table"
    ABSOLUTE_IN_CODE = "absolute-in-code"
    POINTER_IN_DATA = "pointer-in-data"
    CALL_OUT_OF_REGION = "call-out-of-region"
    DATA_OUT_OF_REGION = "data-out-of-region"
    DYNAMIC_RELOCATION = "dynamic-relocation"
    UNCOVERED_HYP_POINTER = "uncovered-hyp-pointer"
    UNKNOWN_RELOCATION = "unknown-relocation"


class Severity(StrEnum):
    FATAL = "fatal"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    cls: HazardClass  # JSON key "class"
    region: str
    function: str | None
    offset: int | None
    instruction: str | None
    relocation: str | None
    target: str | None
    severity: Severity
    safe_by: str | None
    fix: str
    file: str | None = None
    line: int | None = None
    address: int | None = None
    section: str | None = None
    why: str = ""
    slot: str | None = None  # data word holding the absolute address ("labels+0x8"), when there is one
    pc: int | None = None  # the instruction: link-time VA (linked) or offset in ``code_section`` (.o)
    code_section: str | None = None

    def key(self) -> tuple[str, str, str]:
        """Identity across builds (``--diff``): class + function + target symbol, never the offset."""
        target = (self.target or "").split("+", 1)[0]
        return (self.cls.value, self.function or self.slot or "", target)
