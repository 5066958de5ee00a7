// SPDX-License-Identifier: GPL-2.0
/*
 * a64triage replay source: NOT the kernel file.
 *
 * A short reconstruction, written for the replay image, of what the
 * Linux 4.14 EL2 function __init_stage2_translation() computes: the
 * VTCR_EL2 value for stage-2 translation, from the CPU's physical
 * address range.  Line numbers follow the 2017 report: addr2line put
 * the faulting PC at s2-setup.c:38, the switch whose jump table clang
 * emitted with absolute 8-byte entries.
 *
 * The machine code is replay.S (the 38 words of the report's
 * disassembly); replay.S's .loc directives point here.
 *
 * Layout of the value built below (Arm ARM, VTCR_EL2):
 *   T0SZ [5:0], SL0 [7:6], IRGN0/ORGN0/SH0 [13:8], TG0 [15:14],
 *   PS [18:16], VS [19], HA [21].
 */

#include <linux/types.h>
#include <asm/kvm_arm.h>
#include <asm/kvm_asm.h>
#include <asm/kvm_hyp.h>

u32 __hyp_text __init_stage2_translation(void)
{
	u64 pa_bits;
	u64 vtcr = VTCR_EL2_FLAGS;
	u64 mmfr1;

	/* PARange is 4 bits, PS only 3: clamp to the largest known value. */
	pa_bits = read_sysreg(id_aa64mmfr0_el1) & 7;
	if (pa_bits > 5)
		pa_bits = 5;
	vtcr |= pa_bits << 16;

	/* clang 5 made this a jump table: ldr x11, [table, idx, lsl #3]; br x11 */
	switch (pa_bits) {
	case 0: pa_bits = 32; break;
	case 1: pa_bits = 36; break;
	case 2: pa_bits = 40; break;
	case 3: pa_bits = 42; break;
	case 4: pa_bits = 44; break;
	default: pa_bits = 48; break;
	}

	/* T0SZ: never more than 40 bits of IPA at this point. */
	vtcr |= 64 - (pa_bits > 40 ? 40 : pa_bits);

	/* Hardware Access flag update, if the CPU has it. */
	mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	if (mmfr1 & 0xf)
		vtcr |= VTCR_EL2_HA;

	/* 16-bit VMIDs, if implemented. */
	if (((read_sysreg(id_aa64mmfr1_el1) >> 4) & 0xf) == 2)
		vtcr |= VTCR_EL2_VS;

	write_sysreg(vtcr, vtcr_el2);

	return pa_bits;
}
