"""Regression tests for issue #16's console defects, from their shapes (own minimal inputs).

D2: the hexdump line pattern backtracked catastrophically on a long run of digits
or blanks (1.8 s per line).  D7: a report lost its last line when an unstamped
line followed it (the line was glued onto it as a mail-client wrap).
"""

from __future__ import annotations

import pytest
from linearity import assert_linear

from a64triage.console import parse_text
from a64triage.console.lines import clean

HEADER = "Unable to handle kernel paging request at virtual address ffff800012345678"
PREFIXES = ["", "[    1.000000] ", "[14043056.383837] ", "Dec  7 10:00:00 buildhost kernel: [   12.345678] ",
            "[   12.345678][  T123] ", "> [    1.000000] "]


@pytest.mark.parametrize("prefix", PREFIXES, ids=range(len(PREFIXES)))
@pytest.mark.parametrize("after", ["hello", "\0\0\0", "hello world, this is a reply", "0123abcd"])
def test_d7_last_line_survives_the_line_after_it(prefix: str, after: str) -> None:
    log = (f"{prefix}{HEADER}\n{prefix}Mem abort info:\n{prefix}  ESR = 0x0000000096000005\n"
           f"{prefix}FAR: 0x0000000000000008\n{after}\n")
    (report,) = parse_text(log)
    assert report.lines[-1] == "FAR: 0x0000000000000008"
    assert report.esr == 0x96000005 and report.far == 0xFFFF800012345678
    assert after.strip() not in " ".join(report.lines)


def test_d7_the_grammar_decides_what_continues_a_line() -> None:
    """A continuation is glued when it completes a known field, not because it lacks a stamp."""
    out = [ln.text for ln in clean([
        "[ 1514.468902] Unable to handle kernel paging request at virtual",
        "address 0000000000000008",
        "[ 1514.468903] CPU: 0 PID: 1 Comm: s2idle Not tainted",
        "6.19.0-rc5-next-20260115 #1 PREEMPT",
        "[ 1514.468904] Hardware name: Qualcomm Technologies, Inc. Snapdragon X Elite",
        "\0\0\0 but not this one",
        "[ 1514.468905] pc : __pi_memcpy_generic+0x128/0x22c [qcom_q6v5_pas_remoteproc]",
        "hello",
    ])]
    assert out == [
        "Unable to handle kernel paging request at virtual address 0000000000000008",
        "CPU: 0 PID: 1 Comm: s2idle Not tainted 6.19.0-rc5-next-20260115 #1 PREEMPT",
        "Hardware name: Qualcomm Technologies, Inc. Snapdragon X Elite",
        "\0\0\0 but not this one",
        "pc : __pi_memcpy_generic+0x128/0x22c [qcom_q6v5_pas_remoteproc]",
        "hello",
    ]
    (report,) = parse_text("\n".join(
        ["[ 1514.468902] Unable to handle kernel paging request at virtual", "address 0000000000000008",
         "[ 1514.468903] CPU: 0 PID: 1 Comm: s2idle Not tainted", "6.19.0-rc5-next-20260115 #1 PREEMPT"]))
    assert report.far == 8 and (report.cpu, report.pid, report.comm) == (0, 1, "s2idle")
    assert report.kernel_version == "6.19.0-rc5-next-20260115"


def test_d2_hexdump_line_of_many_digits_is_linear() -> None:
    def make(n: int) -> object:
        body = "\n".join(f"[    1.00000{i}] {i:04x}: " + "0" * n for i in range(4))
        log = f"[    1.000000] {HEADER}\n[    1.000000] Call trace:\n{body}\n"
        return lambda: parse_text(log)

    assert_linear(make, 40)


@pytest.mark.parametrize("fill", ["0", " ", "0 ", "01234567 "])
def test_d2_hexdump_pattern_still_reads_real_dumps_and_rejects_fast(fill: str) -> None:
    from a64triage.console.patterns import match_body

    assert match_body("bf40: c0b0f4a8 00000000 c0d02048 ef7d9f40 ef7d9f40 00000000 c0d02048 c0b0f4a8")[0] == "hexdump"
    assert match_body("5b40:                                     eefc50c0")[0] == "hexdump"
    assert_linear(lambda n: (lambda: match_body("0000: " + fill * n + "!")), 40)
