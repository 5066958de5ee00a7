"""ISS decoders, one module per syndrome family; this maps IssFamily -> tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from a64triage.arm64.classes import IssFamily
from a64triage.arm64.iss import abort, calls, debug, misc, serror, sysreg
from a64triage.arm64.iss.common import IssTable


@dataclass(frozen=True)
class IssDecoder:
    """How one family decodes ISS (and ISS2), plus an optional one-line summary."""

    iss: IssTable
    iss2: IssTable | None = None
    summary: Callable[[int, int], str] | None = None


def _cp(coproc: str, kind: str) -> Callable[[int, int], str]:
    def summary(ec: int, iss: int) -> str:
        name = coproc if coproc else ("p15" if ec in (0x03, 0x04) else "p14" if ec in (0x05, 0x0C) else "p10")
        if kind == "mcrr":
            return sysreg.cp15_mcrr_summary(iss, name)
        return sysreg.cp15_mcr_summary(iss, name)

    return summary


DECODERS: dict[IssFamily, IssDecoder] = {
    IssFamily.NONE: IssDecoder(misc.none_iss),
    IssFamily.UNKNOWN: IssDecoder(misc.none_iss),
    IssFamily.ILLEGAL: IssDecoder(misc.none_iss),
    IssFamily.WFX: IssDecoder(misc.wfx_iss),
    IssFamily.CP_MCR: IssDecoder(sysreg.cp_mcr_iss, summary=_cp("", "mcr")),
    IssFamily.CP_MCRR: IssDecoder(sysreg.cp_mcrr_iss, summary=_cp("", "mcrr")),
    IssFamily.CP_LDC: IssDecoder(sysreg.cp_ldc_iss),
    IssFamily.FP_ACCESS: IssDecoder(misc.fp_access_iss),
    IssFamily.LS64: IssDecoder(misc.ls64_iss),
    IssFamily.BTI: IssDecoder(misc.bti_iss),
    IssFamily.SVC32: IssDecoder(calls.svc32_iss),
    IssFamily.IMM16: IssDecoder(calls.imm16_iss, summary=lambda ec, iss: f"imm16 = {iss & 0xFFFF:#x}"),
    IssFamily.SMC32: IssDecoder(calls.smc32_iss),
    IssFamily.SYS64: IssDecoder(sysreg.sys64_iss, summary=lambda ec, iss: sysreg.sys64_summary(iss)),
    IssFamily.SYS128: IssDecoder(sysreg.sys128_iss, summary=lambda ec, iss: sysreg.sys64_summary(iss).replace("MRS", "MRRS").replace("MSR", "MSRR")),
    IssFamily.ERET: IssDecoder(misc.eret_iss),
    IssFamily.TSTART: IssDecoder(misc.tstart_iss),
    IssFamily.FPAC: IssDecoder(misc.fpac_iss),
    IssFamily.SME: IssDecoder(misc.sme_iss),
    IssFamily.GPC: IssDecoder(abort.gpc_iss),
    IssFamily.IMPDEF: IssDecoder(misc.impdef_iss),
    IssFamily.IABT: IssDecoder(abort.iabt_iss, abort.abort_iss2),
    IssFamily.DABT: IssDecoder(abort.dabt_iss, abort.abort_iss2),
    IssFamily.MOPS: IssDecoder(misc.mops_iss),
    IssFamily.FP_EXC: IssDecoder(misc.fp_exc_iss),
    IssFamily.GCS: IssDecoder(misc.gcs_iss),
    IssFamily.SERROR: IssDecoder(serror.serror_iss),
    IssFamily.BREAKPOINT: IssDecoder(debug.breakpoint_iss),
    IssFamily.STEP: IssDecoder(debug.step_iss),
    IssFamily.WATCHPOINT: IssDecoder(debug.watchpoint_iss),
    IssFamily.BKPT32: IssDecoder(calls.bkpt32_iss),
    IssFamily.VECTOR_CATCH: IssDecoder(debug.vector_catch_iss),
    IssFamily.BRK: IssDecoder(calls.brk_iss, summary=lambda ec, iss: f"BRK #{iss & 0xFFFF:#x}"),
}
