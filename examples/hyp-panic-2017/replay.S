/*
 * a64triage replay image for the 2017 clang HYP panic (see README.md).
 *
 * Linked by replay.lds at the kernel addresses of the report, so that the
 * report's PC, FAR and call-trace addresses land where they landed on the
 * reporter's Juno (4.14-rc7, CONFIG_RANDOMIZE_BASE off: "Kernel Offset:
 * disabled").  __init_stage2_translation is the report's machine code word
 * for word (its llvm-objdump of s2-setup.o); the jump table is the 8-byte
 * absolute table clang 5 emitted for its switch, which clang 14 can no longer
 * be made to emit -- hence hand-written assembly rather than C.
 *
 * Only the hyp function is faithful.  The EL1 functions are small stubs whose
 * addresses and sizes come from the report's call trace, and whose bodies only
 * keep the return addresses the trace printed; they carry no line information.
 */

	.file	1 "arch/arm64/kvm/hyp/s2-setup.c"

/* ---- head: _text, the start of the kernel image ----------------------- */
	.section .head.text, "ax"
	.globl	_text
	.type	_text, %function
_text:
	b	cpu_init_hyp_mode
	.size	_text, . - _text

/* ---- EL1 stubs at the report's call-trace addresses ------------------- */
	.section .text.dump_backtrace, "ax"
	.globl	dump_backtrace
	.type	dump_backtrace, %function
dump_backtrace:				/* [<ffff000008088ea4>] dump_backtrace+0x0/0x34c */
	ret
	.fill	(0x34c - 4) / 4, 4, 0xd503201f	/* nop: the rest of its 0x34c bytes */
	.size	dump_backtrace, . - dump_backtrace

	.globl	show_stack
	.type	show_stack, %function
show_stack:				/* [<ffff000008089208>] show_stack+0x18/0x20 */
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	mov	x1, x0
	mov	x0, xzr
	nop
	bl	dump_backtrace		/* returns to show_stack+0x18 */
	ldp	x29, x30, [sp], #16
	ret
	.size	show_stack, . - show_stack

	.section .text.kvm, "ax"
	.globl	cpu_init_hyp_mode
	.type	cpu_init_hyp_mode, %function
cpu_init_hyp_mode:
	/* EL1: kvm_call_hyp(__init_stage2_translation) via __cpu_init_stage2() */
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	adrp	x0, __init_stage2_translation
	add	x0, x0, :lo12:__init_stage2_translation
	bl	__kvm_call_hyp
	ldp	x29, x30, [sp], #16
	ret
	.size	cpu_init_hyp_mode, . - cpu_init_hyp_mode

	.globl	__kvm_call_hyp
	.type	__kvm_call_hyp, %function
__kvm_call_hyp:				/* trap to EL2; the hyp stub runs x0 there */
	hvc	#0
	ret
	.size	__kvm_call_hyp, . - __kvm_call_hyp

	.section .text.panic, "ax"
	.globl	panic
	.type	panic, %function
panic:					/* [<ffff0000080c8ce4>] panic+0x0/0x2b4 */
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	.fill	(0x134 - 8) / 4, 4, 0xd503201f
	bl	dump_stack		/* returns to panic+0x138 */
	.fill	(0x2b4 - 0x138 - 8) / 4, 4, 0xd503201f
	ldp	x29, x30, [sp], #16
	ret
	.size	panic, . - panic

	.section .text.dump_stack, "ax"
	.globl	dump_stack
	.type	dump_stack, %function
dump_stack:				/* [<ffff0000089c73ec>] dump_stack+0xc4/0xfc */
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	.fill	(0xc0 - 8) / 4, 4, 0xd503201f
	bl	show_stack		/* returns to dump_stack+0xc4 */
	.fill	(0xfc - 0xc4 - 8) / 4, 4, 0xd503201f
	ldp	x29, x30, [sp], #16
	ret
	.size	dump_stack, . - dump_stack

/* ---- EL2: the report's __init_stage2_translation, word for word ------- */
	.section .hyp.text, "ax"
	.globl	__init_stage2_translation
	.type	__init_stage2_translation, %function
__init_stage2_translation:
	.loc	1 32 0
	mrs	x9, id_aa64mmfr0_el1		/* 0x00 d5380709 */
	.loc	1 38 0
	and	w8, w9, #0x7			/* 0x04 12000928 */
	cmp	w8, #0x4			/* 0x08 7100111f */
	.loc	1 35 0
	ubfiz	x8, x9, #16, #3			/* 0x0c d3700928 */
	.loc	1 38 0
	b.hi	.Ldefault			/* 0x10 54000188 */
	adrp	x10, .LJTI0_0			/* 0x14 9000000a  R_AARCH64_ADR_PREL_PG_HI21 */
	and	x9, x9, #0x7			/* 0x18 92400929 */
	add	x10, x10, :lo12:.LJTI0_0	/* 0x1c 9100014a  R_AARCH64_ADD_ABS_LO12_NC */
	ldr	x11, [x10, x9, lsl #3]		/* 0x20 f869794b  x11 = absolute kernel VA */
	.loc	1 41 0
	mov	w9, #0x28			/* 0x24 52800509 */
	.loc	1 39 0
	orr	w0, wzr, #0x20			/* 0x28 321b03e0 */
	.loc	1 48 0
	orr	w10, wzr, #0x20			/* 0x2c 321b03ea */
	.loc	1 38 0
	br	x11				/* 0x30 d61f0160  leaves the EL2 mapping */
.Lcase1:
	.loc	1 40 0
	mov	w0, #0x24			/* 0x34 52800480 */
	.loc	1 48 0
	orr	w10, wzr, #0x1c			/* 0x38 321e0bea */
	b	.Lcase0				/* 0x3c 14000008 */
.Ldefault:
	.loc	1 44 0
	orr	w9, wzr, #0x30			/* 0x40 321c07e9 */
	b	.Lcase2				/* 0x44 14000004 */
.Lcase3:
	.loc	1 42 0
	mov	w9, #0x2a			/* 0x48 52800549 */
	b	.Lcase2				/* 0x4c 14000002 */
.Lcase4:
	.loc	1 43 0
	mov	w9, #0x2c			/* 0x50 52800589 */
.Lcase2:					/* PARange 0b0010 (40 bits): the report's PC */
	.loc	1 38 0
	orr	w10, wzr, #0x18			/* 0x54 321d07ea */
	.loc	1 61 0
	mov	w0, w9				/* 0x58 2a0903e0 */
.Lcase0:
	.loc	1 48 0
	orr	x8, x10, x8			/* 0x5c aa080148 */
	.loc	1 28 0
	mov	x10, #0xffffffffffff3540	/* 0x60 929957ea */
	.loc	1 51 0
	mrs	x9, id_aa64mmfr1_el1		/* 0x64 d5380729 */
	.loc	1 28 0
	movk	x10, #0x8000, lsl #16		/* 0x68 f2b0000a */
	.loc	1 56 0
	mrs	x11, id_aa64mmfr1_el1		/* 0x6c d538072b */
	.loc	1 53 0
	add	x12, x10, #0x200, lsl #12	/* 0x70 9148014c */
	.loc	1 52 0
	tst	x9, #0xf			/* 0x74 f2400d3f */
	.loc	1 56 0
	and	x9, x11, #0xf0			/* 0x78 927c0d69 */
	.loc	1 52 0
	csel	x10, x10, x12, eq		/* 0x7c 9a8c014a */
	.loc	1 56 0
	cmp	x9, #0x20			/* 0x80 f100813f */
	.loc	1 53 0
	orr	x8, x8, x10			/* 0x84 aa0a0108 */
	.loc	1 56 0
	cset	w9, eq				/* 0x88 1a9f17e9 */
	.loc	1 57 0
	orr	x8, x8, x9, lsl #19		/* 0x8c aa094d08 */
	.loc	1 59 0
	msr	vtcr_el2, x8			/* 0x90 d51c2148 */
	.loc	1 61 0
	ret					/* 0x94 d65f03c0 */
.Lfunc_end:
	.size	__init_stage2_translation, . - __init_stage2_translation

/* ---- .rodata: the jump table (R_AARCH64_ABS64 x5) and the banner ------- */
	.section .rodata, "a"
	.p2align 3
.LJTI0_0:					/* switch (parange): absolute kernel-image VAs */
	.xword	.Lcase0
	.xword	.Lcase1
	.xword	.Lcase2
	.xword	.Lcase3
	.xword	.Lcase4

	.globl	linux_banner
	.type	linux_banner, %object
linux_banner:
	.asciz	"Linux version 4.14.0-rc7-dirty (a64triage replay image, not a kernel) #3 SMP PREEMPT\n"
	.size	linux_banner, . - linux_banner

/*
 * ---- DWARF: one compile unit for s2-setup.c ----------------------------
 * The assembler writes .debug_line from the .loc directives above but, with
 * explicit .file/.loc, no .debug_info; symbolizers need a unit with the
 * function's address range to find that line table, so it is spelled out.
 */
	.section .debug_abbrev, "", %progbits
	.uleb128 1			/* abbrev 1: compile unit */
	.uleb128 0x11			/* DW_TAG_compile_unit */
	.byte	1			/* has children */
	.uleb128 0x25, 0x08		/* DW_AT_producer, DW_FORM_string */
	.uleb128 0x13, 0x05		/* DW_AT_language, DW_FORM_data2 */
	.uleb128 0x03, 0x08		/* DW_AT_name, DW_FORM_string */
	.uleb128 0x10, 0x17		/* DW_AT_stmt_list, DW_FORM_sec_offset */
	.uleb128 0x1b, 0x08		/* DW_AT_comp_dir, DW_FORM_string */
	.uleb128 0x11, 0x01		/* DW_AT_low_pc, DW_FORM_addr */
	.uleb128 0x12, 0x07		/* DW_AT_high_pc, DW_FORM_data8 (length) */
	.byte	0, 0
	.uleb128 2			/* abbrev 2: subprogram */
	.uleb128 0x2e			/* DW_TAG_subprogram */
	.byte	0			/* no children */
	.uleb128 0x03, 0x08		/* DW_AT_name, DW_FORM_string */
	.uleb128 0x3a, 0x0b		/* DW_AT_decl_file, DW_FORM_data1 */
	.uleb128 0x3b, 0x0b		/* DW_AT_decl_line, DW_FORM_data1 */
	.uleb128 0x11, 0x01		/* DW_AT_low_pc, DW_FORM_addr */
	.uleb128 0x12, 0x07		/* DW_AT_high_pc, DW_FORM_data8 (length) */
	.uleb128 0x3f, 0x19		/* DW_AT_external, DW_FORM_flag_present */
	.byte	0, 0
	.byte	0			/* end of abbreviations */

	.section .debug_info, "", %progbits
	.long	.Linfo_end - .Linfo_start	/* unit_length */
.Linfo_start:
	.short	4				/* DWARF version */
	.long	0				/* debug_abbrev_offset */
	.byte	8				/* address_size */
	.uleb128 1
	.asciz	"a64triage replay.S (the 2017 report's clang 5 code, re-encoded)"
	.short	0x000c				/* DW_LANG_C99 */
	.asciz	"arch/arm64/kvm/hyp/s2-setup.c"
	.long	0				/* the only line table, at .debug_line+0 */
	.asciz	"/usr/src/linux-4.14-rc7"		/* comp_dir: --source replaces it */
	.xword	__init_stage2_translation
	.xword	.Lfunc_end - __init_stage2_translation
	.uleb128 2
	.asciz	"__init_stage2_translation"
	.byte	1				/* s2-setup.c */
	.byte	25				/* declared at line 25 */
	.xword	__init_stage2_translation
	.xword	.Lfunc_end - __init_stage2_translation
	.byte	0				/* end of children */
.Linfo_end:
