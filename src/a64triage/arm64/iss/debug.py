"""ISS of debug exceptions: breakpoint, software step, watchpoint, vector catch.

Source: Arm ARM D24.2.41 ESR_EL1, "ISS encoding for an exception from a
Breakpoint or Vector Catch debug exception", "... Software Step exception",
"... Watchpoint exception" (WPT/WPTV/WPF/FnP from FEAT_Debugv8p9/v8p2).
"""

from __future__ import annotations

from a64triage.arm64.fsc import fsc_meaning
from a64triage.arm64.iss.common import CV_COND, IssTable, fixed
from a64triage.arm64.spec import FieldSpec, bit

breakpoint_iss: IssTable = fixed(FieldSpec("IFSC", 5, 0, "status code (0x22: debug exception)", meaning=fsc_meaning))

step_iss: IssTable = fixed(
    bit("ISV", 24, "EX bit valid", "EX is valid", "EX is not valid"),
    bit("EX", 6, "exclusive operation", "the stepped instruction was a load-exclusive", "not a load-exclusive"),
    FieldSpec("IFSC", 5, 0, "status code (0x22: debug exception)", meaning=fsc_meaning),
)

watchpoint_iss: IssTable = fixed(
    FieldSpec("WPT", 23, 18, "watchpoint number (when WPTV)"),
    bit("WPTV", 17, "WPT valid", "WPT holds the watchpoint number", "WPT not valid"),
    bit("WPF", 16, "watchpoint might be false-positive", "possibly a false positive", "not a false positive"),
    bit("FnP", 15, "FAR not precise", "FAR holds any address within the watched range", "FAR is precise"),
    bit("VNCR", 13, "VNCR_EL2 access", "yes", "no"),
    bit("FnV", 10, "FAR not valid", "FAR not valid", "FAR valid"),
    bit("CM", 8, "cache maintenance", "caused by a cache maintenance instruction", "no"),
    bit("WnR", 6, "write not read", "caused by a write", "caused by a read"),
    FieldSpec("DFSC", 5, 0, "status code (0x22: debug exception)", meaning=fsc_meaning),
)

vector_catch_iss: IssTable = fixed(*CV_COND)
