"""Kernel core dumps: the log, the crash-time registers and memory, read through drgn.

A vmcore (kdump's /proc/vmcore saved as ELF, or QEMU's ``dump-guest-memory``) holds
what no console log can: the printk ring buffer (the log itself), the page tables,
the slab allocator's state and every stack.  This module checks the core's headers
itself first, reading only the ELF header, the program headers and the notes (never
the memory: a core may be far bigger than this machine's RAM), so that every bad
core is one line naming the problem; then it opens the core with drgn
(``Program.set_core_dump``) and answers questions about addresses.

Facts used here, each from its specification:

* ELF64 header and program headers: the System V gABI; ``e_machine`` 183 is
  EM_AARCH64.  QEMU 7.2 writes ``e_ehsize`` 8 instead of 64 (dump/dump.c): the field
  is not used to find anything, so it is ignored.  ``e_phnum`` 0xffff (PN_XNUM) means
  the count is in section header 0's ``sh_info``.
* Notes: ``VMCOREINFO`` (kernel/crash_core.c writes ``KEY=value`` lines: OSRELEASE,
  BUILD-ID, PAGESIZE, KERNELOFFSET, SYMBOL(x), NUMBER(x) ...); ``CORE``/NT_PRSTATUS
  (1) holds ``struct elf_prstatus`` (include/uapi/linux/elfcore.h) whose ``pr_reg``
  starts at byte 112 on 64-bit targets and is ``struct user_pt_regs`` on arm64
  (x0-x30, sp, pc, pstate: arch/arm64/include/uapi/asm/ptrace.h).
* Stage 1 translation tables (Arm ARM D8.3, VMSAv8-64 descriptors; 4 KiB granule,
  48-bit VA, 4 levels as Debian's arm64 kernels are built): see ``_DESCRIPTOR_BITS``.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from a64triage.errors import InputError

EM_AARCH64 = 183
_ET_CORE = 4
_PT_LOAD = 1
_PT_NOTE = 4
_PN_XNUM = 0xFFFF
_NT_PRSTATUS = 1
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_PRSTATUS_REGS = 112  # offset of pr_reg in the 64-bit struct elf_prstatus
_USER_PT_REGS = struct.Struct("<34Q")  # x0..x30, sp, pc, pstate
MAX_NOTES_BYTES = 64 << 20  # notes of a 4096-CPU kdump core stay far below this
MAX_PHDRS = 1 << 20
KDUMP_SIGNATURES = (b"KDUMP   ", b"makedumpfile")  # kdump-compressed, plain or flattened
VMCOREINFO_HINT = ("run the guest with `-device vmcoreinfo` and load the qemu_fw_cfg module "
                   "(CONFIG_FW_CFG_SYSFS) before the crash; a kdump vmcore has it always")


@dataclass(frozen=True)
class CpuRegisters:
    """One CPU's general registers as the core holds them."""

    source: str  # "prstatus" (QEMU: when the dump was taken), "exception frame" (the crash)
    x: tuple[int, ...]  # x0..x30
    sp: int
    pc: int
    pstate: int
    pid: int | None = None
    where: str | None = None  # the function the frame was found in, for "exception frame"

    def named(self) -> dict[str, int]:
        regs = {f"x{i}": v for i, v in enumerate(self.x)}
        regs.update(sp=self.sp, pc=self.pc, pstate=self.pstate, lr=self.x[30])
        return regs


@dataclass(frozen=True)
class CoreHeader:
    """What the core's headers and notes say, read without touching its memory."""

    path: str
    size: int
    vmcoreinfo: Mapping[str, str]
    prstatus: tuple[CpuRegisters, ...]
    memory_bytes: int  # the sum of the PT_LOAD segments' memory sizes (kdump: of the dumped pages)
    format: str = "elf"  # or "kdump-compressed" (makedumpfile's format, flattened or not)

    @property
    def build_id(self) -> str | None:
        return self.vmcoreinfo.get("BUILD-ID")

    @property
    def release(self) -> str | None:
        return self.vmcoreinfo.get("OSRELEASE")

    @property
    def kaslr_offset(self) -> int | None:
        """KERNELOFFSET (hex, no 0x; arch/arm64/kernel/crash_core.c): 0 without KASLR."""
        value = self.vmcoreinfo.get("KERNELOFFSET")
        return int(value, 16) if value is not None else None

    def number(self, name: str) -> int | None:
        value = self.vmcoreinfo.get(f"NUMBER({name})")
        if value is None:
            return None
        return int(value, 0) if value.lower().startswith(("0x", "-0x")) else int(value)

    def symbol(self, name: str) -> int | None:
        value = self.vmcoreinfo.get(f"SYMBOL({name})")
        return int(value, 16) if value is not None else None


def _notes(data: bytes) -> Iterator[tuple[bytes, int, bytes]]:
    pos = 0
    while pos + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        name_end = pos + 12 + ((namesz + 3) & ~3)
        desc_end = name_end + ((descsz + 3) & ~3)
        if desc_end > len(data) + 3:
            return
        yield data[pos + 12:pos + 12 + namesz].rstrip(b"\0"), ntype, data[name_end:name_end + descsz]
        pos = desc_end


def parse_vmcoreinfo(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq and key:
            out[key] = value.strip()
    return out


def read_header(path: str) -> CoreHeader:
    """Check a core's headers and read its notes; one InputError line per way it is bad."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return _read_header(path, fh, size)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot read") from None


def _read_header(path: str, fh: Any, size: int) -> CoreHeader:
    head = fh.read(_EHDR.size)
    if head.startswith(KDUMP_SIGNATURES):
        return _kdump_header(path)
    if head[:4] != b"\x7fELF":
        raise InputError(path, "not a kernel core dump (neither ELF nor kdump-compressed)")
    if len(head) < _EHDR.size:
        raise InputError(path, f"truncated core: {len(head)} bytes, shorter than an ELF header")
    if head[4] != 2 or head[5] != 1:
        raise InputError(path, "not a little-endian ELF64 core: not from an arm64 kernel")
    (_ident, etype, machine, _ver, _entry, phoff, shoff, _flags, _ehsize, phentsize, phnum,
     _shentsize, _shnum, _shstrndx) = _EHDR.unpack(head)
    if etype != _ET_CORE:
        raise InputError(path, f"not a core dump (ELF type {etype}, a core is ET_CORE 4)")
    if machine != EM_AARCH64:
        raise InputError(path, f"not an arm64 core: e_machine {machine} (AArch64 is {EM_AARCH64})")
    if phnum == _PN_XNUM:
        fh.seek(shoff + 44)
        raw = fh.read(4)
        if len(raw) < 4:
            raise InputError(path, "corrupt core: e_phnum is PN_XNUM but section header 0 is missing")
        phnum, = struct.unpack("<I", raw)
    if phentsize != _PHDR.size or not 0 < phnum <= MAX_PHDRS:
        raise InputError(path, f"corrupt core: {phnum} program headers of {phentsize} bytes")
    fh.seek(phoff)
    raw = fh.read(phnum * _PHDR.size)
    if len(raw) < phnum * _PHDR.size:
        raise InputError(path, f"truncated core: the program headers end past the file's {size} bytes")
    notes = b""
    end = 0
    memory = 0
    for ptype, _fl, off, _va, _pa, filesz, memsz, _al in _PHDR.iter_unpack(raw):
        if ptype == _PT_LOAD:
            end = max(end, off + filesz)
            memory += memsz
        elif ptype == _PT_NOTE:
            if filesz > MAX_NOTES_BYTES:
                raise InputError(path, f"corrupt core: a {filesz}-byte note segment")
            fh.seek(off)
            chunk = fh.read(filesz)
            if len(chunk) < filesz:
                raise InputError(path, f"truncated core: the notes end past the file's {size} bytes")
            notes += chunk
    if end > size:
        raise InputError(path, f"truncated core: its memory segments end at byte {end} "
                               f"but the file has {size} (an interrupted dump or copy)")
    info, prstatus = _parse_notes(notes)
    return _checked(CoreHeader(path, size, info, prstatus, memory))


def _parse_notes(notes: bytes) -> tuple[dict[str, str], tuple[CpuRegisters, ...]]:
    info: dict[str, str] = {}
    prstatus: list[CpuRegisters] = []
    for owner, ntype, desc in _notes(notes):
        if owner == b"VMCOREINFO":
            info = parse_vmcoreinfo(desc.decode("utf-8", "replace"))
        elif owner == b"CORE" and ntype == _NT_PRSTATUS and len(desc) >= _PRSTATUS_REGS + _USER_PT_REGS.size:
            pid, = struct.unpack_from("<I", desc, 32)
            regs = _USER_PT_REGS.unpack_from(desc, _PRSTATUS_REGS)
            prstatus.append(CpuRegisters("prstatus", tuple(regs[:31]), regs[31], regs[32], regs[33], pid))
    return info, tuple(prstatus)


def _kdump_header(path: str) -> CoreHeader:
    from a64triage.symbols.kdump_compressed import open_kdump

    kd = open_kdump(path)
    try:
        info, prstatus = _parse_notes(kd.notes)
        if kd.vmcoreinfo:
            info = parse_vmcoreinfo(kd.vmcoreinfo.decode("utf-8", "replace"))
        memory = sum(n for _, n in kd.runs()) * kd.block_size
        return _checked(CoreHeader(path, kd.file_size, info, prstatus, memory, "kdump-compressed"))
    finally:
        kd.fh.close()


def _checked(header: CoreHeader) -> CoreHeader:
    path, info = header.path, header.vmcoreinfo
    if not info:
        raise InputError(path, f"the core has no VMCOREINFO note (needed to find the kernel's "
                               f"build, KASLR offset and log): {VMCOREINFO_HINT}")
    if "OSRELEASE" not in info or "KERNELOFFSET" not in info:
        raise InputError(path, "corrupt core: its VMCOREINFO lacks OSRELEASE or KERNELOFFSET")
    return header


# --- memory facts --------------------------------------------------------------------------


@dataclass(frozen=True)
class PageMapping:
    """How the kernel's page tables map one virtual address (a stage 1 walk)."""

    mapped: bool
    level: int  # the level whose descriptor ended the walk (0-3)
    phys: int | None = None
    size: int = 0  # bytes the final descriptor maps (page or block)
    writable: bool = False
    kernel_exec: bool = False  # not PXN
    user: bool = False  # EL0 may access (AP[1])
    why: str = ""  # when not mapped: which level had an invalid descriptor

    def permissions(self) -> str:
        if not self.mapped:
            return f"not mapped ({self.why})" if self.why else "not mapped"
        return (f"{'rw' if self.writable else 'r-'}{'x' if self.kernel_exec else '-'} kernel, "
                f"{'user-accessible' if self.user else 'no user access'}, "
                f"{_size_name(self.size)} {'page' if self.level == 3 else 'block'}")


def _size_name(n: int) -> str:
    return f"{n >> 30} GiB" if n >= 1 << 30 else f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"


# Stage 1 VMSAv8-64 descriptor bits (Arm ARM D8.3.1/D8.3.2): [1:0] 0b11 table or page,
# 0b01 block (levels 1-2); AP[2] bit 7 read-only, AP[1] bit 6 EL0 access; PXN 53; UXN 54;
# in table descriptors PXNTable 59 and APTable[1] 62 (no writes below).
_DESCRIPTOR_BITS = {"valid": 1 << 0, "table": 1 << 1, "ap_user": 1 << 6, "ap_ro": 1 << 7,
                    "pxn": 1 << 53, "pxn_table": 1 << 59, "ap_table_ro": 1 << 62}
_OA_MASK = ((1 << 48) - 1) & ~0xFFF  # output address bits [47:12]
_LEVEL_SHIFTS = (39, 30, 21, 12)  # 4 KiB granule, 48-bit VA: 9 index bits per level


@dataclass(frozen=True)
class SlabObject:
    cache: str
    start: int
    size: int  # the cache's object size
    allocated: bool | None  # None when the slab could not be read


@dataclass(frozen=True)
class StackBounds:
    task: str  # "comm[pid]"
    base: int
    end: int


@dataclass(frozen=True)
class MemoryFact:
    """What the core says about one address of the report (kind ``memory`` evidence)."""

    role: str  # "far", "pc", "sp", "object" ...
    address: int
    mapping: PageMapping | None
    words: tuple[int, ...] = ()  # 64-bit words at words_at (instructions: 32-bit words)
    words_at: int | None = None
    word_bytes: int = 8
    slab: SlabObject | None = None
    stack: StackBounds | None = None
    notes: tuple[str, ...] = ()
    free_poisoned: bool | None = None  # a slab object's bytes are slub_debug's free poison (diagnose)

    def describe(self) -> str:
        """One line for the text renderings and the evidence list."""
        parts = [f"{self.role} {self.address:#x}: "
                 + (self.mapping.permissions() if self.mapping is not None else "mapping unknown")]
        if self.slab is not None:
            off = self.address - self.slab.start
            state = {True: "allocated", False: "FREE", None: "state unknown"}[self.slab.allocated]
            parts.append(f"slab cache {self.slab.cache}, object {self.slab.start:#x} "
                         f"(+{off:#x} of {self.slab.size}), {state}")
        if self.stack is not None:
            s = self.stack
            if s.base <= self.address < s.end:
                where = f"inside the stack of {s.task} ({s.base:#x}-{s.end:#x})"
            elif not s.base - THREAD_SIZE <= self.address < s.end + THREAD_SIZE:
                where = f"the stack of {s.task}: {s.base:#x}-{s.end:#x}"
            elif self.address < s.base:
                where = f"{s.base - self.address:#x} bytes below the stack base of {s.task} ({s.base:#x}-{s.end:#x})"
            else:
                where = f"{self.address - s.end:#x} bytes above the stack of {s.task} ({s.base:#x}-{s.end:#x})"
            parts.append(where)
        if self.words and self.words_at is not None:
            fmt = "{:016x}" if self.word_bytes == 8 else "{:08x}"
            parts.append(f"{'words' if self.word_bytes == 8 else 'instructions'} at {self.words_at:#x}: "
                         + " ".join(fmt.format(w) for w in self.words))
        parts += list(self.notes)
        return "; ".join(parts)


# --- the opened core -----------------------------------------------------------------------

# Where a crash's pt_regs live in the crashed task's stack trace, by function: the EL1
# exception vectors save them at their frame's SP (arch/arm64/kernel/entry.S, kernel_entry
# then `mov x0, sp`); handle_bad_stack(struct pt_regs *regs) gets them for a stack overflow.
_EXCEPTION_FRAMES: Mapping[str, str] = {
    "el1h_64_sync": "sp", "el1h_64_irq": "sp", "el1h_64_fiq": "sp", "el1h_64_error": "sp",
    "el1t_64_sync": "sp", "el1t_64_irq": "sp", "el1t_64_fiq": "sp", "el1t_64_error": "sp",
    "handle_bad_stack": "regs",
}
_PANIC_FUNCTIONS = frozenset({"panic", "vpanic", "nmi_panic"})
# fs/proc/array.c task_state_array: the letters ps and task_state_to_char() print.
_TASK_STATES: Mapping[str, str] = {
    "R": "running", "S": "sleeping", "D": "uninterruptible sleep (TASK_UNINTERRUPTIBLE)",
    "T": "stopped", "t": "traced", "X": "dead", "Z": "zombie", "P": "parked", "I": "idle",
}
THREAD_SIZE = 1 << 14  # arm64 without KASAN (arch/arm64/include/asm/memory.h)
MAX_READ = 1 << 16  # one read of the core's memory (an object, a stack): never more


@dataclass
class Vmcore:
    """A core opened with drgn, with the vmlinux (and module debug files) loaded."""

    header: CoreHeader
    vmlinux: str
    prog: Any  # drgn.Program
    problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.header.path

    # --- the log
    def log_text(self) -> str:
        """The printk ring buffer as ``dmesg`` prints it (kernel/printk/printk_ringbuffer.c)."""
        from drgn import FaultError
        from drgn.helpers.linux.printk import get_dmesg

        try:
            data: bytes = get_dmesg(self.prog)
        except (FaultError, LookupError, ValueError) as exc:
            raise InputError(self.path, f"cannot read the kernel log from the core: {exc}") from None
        return data.decode("utf-8", "replace")

    # --- registers
    def crash_registers(self, printed: Mapping[str, int]) -> CpuRegisters | None:
        """The registers at the crash: the pt_regs of the exception the oops printed.

        The exception frames in the live stacks of the panicking CPU are found by
        ``exception_frames`` (not by unwinding, which QEMU's dump-time interrupt
        breaks), plus drgn's unwinder's; the crash's is the one whose registers are
        those the oops printed (``printed``: x0.., sp, pstate).  Interrupts taken while
        panic() waited leave frames too: they do not match, so without printed
        registers no frame can be called the crash's."""
        best: tuple[int, CpuRegisters] | None = None
        unwound = self._unwound_pt_regs()
        for regs in (*self.exception_frames(), *([unwound] if unwound is not None else [])):
            named = regs.named()
            if "sp" in printed and named["sp"] != printed["sp"]:
                continue
            agree = sum(1 for k, v in printed.items() if named.get(k) == v)
            if agree and (best is None or agree > best[0]):
                best = (agree, regs)
        return best[1] if best is not None else None

    def _panic_cpu(self) -> CpuRegisters | None:
        """The PRSTATUS of the CPU that panicked (the crashed task's, else the first)."""
        task = self.crashed_task()
        pid = int(task.pid) if task is not None else None
        bounds = self.stack_bounds(task) if task is not None else None
        for regs in self.header.prstatus:
            if regs.pid == pid or (bounds is not None and bounds.base <= regs.sp < bounds.end):
                return regs
        return self.header.prstatus[0] if self.header.prstatus else None

    def exception_frames(self, limit: int = 8) -> tuple[CpuRegisters, ...]:
        """EL1 exception frames in the live stacks above the panicking CPU's SP, innermost first.

        arch/arm64/kernel/entry.S kernel_entry (el 1) stores, in the struct pt_regs it
        pushes at A: sp = A + PT_REGS_SIZE, and stackframe = {x29, pc} (the frame record
        the unwinder follows); pstate's M[3:0] is EL1t or EL1h.  __bad_stack (a stack
        overflow) pushes them on the overflow stack and then rewrites sp with the task's
        original SP, so there sp is only a 16-byte aligned kernel address.  The frame
        record copy of x29 and pc does not happen by chance in stack data.  A frame
        whose sp lies on another stack (an interrupt taken on the IRQ stack, a fault
        handled on the overflow stack) leads the search on to that stack, as does the
        chain of frame records from the dump-time x29 (an interrupt taken during the
        dump runs on the IRQ stack, whose first record points back to the interrupted
        stack: call_on_irq_stack); the crashed task's whole stack is searched last."""
        from drgn import offsetof, sizeof

        cpu = self._panic_cpu()
        if cpu is None:
            return ()
        try:
            regs_t = self.prog.type("struct pt_regs")
            layout = (sizeof(regs_t), *(offsetof(regs_t, f) for f in ("sp", "pc", "pstate", "stackframe")))
        except (LookupError, ValueError):
            return ()
        found: list[CpuRegisters] = []
        starts = [cpu.sp & ~0xF, *self._frame_record_stacks(cpu.x[29], cpu.sp)]
        bounds = self.stack_bounds()
        if bounds is not None:
            starts.append(bounds.base)
        seen: set[int] = set()
        while starts and len(found) < limit:
            lo = starts.pop(0)
            if any(s <= lo < s + THREAD_SIZE for s in seen):
                continue
            seen.add(lo)
            for regs in self._frames_in(lo, self._stack_end(lo), layout):
                if regs not in found:  # the task's whole stack overlaps the live part searched first
                    found.append(regs)
                    starts.append(regs.sp & ~0xF)
        return tuple(found[:limit])

    def _frame_record_stacks(self, fp: int, sp: int, limit: int = 64) -> list[int]:
        """Where the chain of frame records {x29, x30} (AAPCS64 6.2.3) enters another stack."""
        out: list[int] = []
        here = sp
        for _ in range(limit):
            if fp == 0 or fp & 0xF or fp >> 48 != 0xFFFF:
                break
            if not here - THREAD_SIZE <= fp < here + THREAD_SIZE:
                out.append(fp & ~0xF)
                here = fp
            record = self.read_words(fp, 2)
            if not record or (record[0] <= fp and not out):
                break
            fp = record[0]
        return out

    def _stack_end(self, lo: int) -> int:
        bounds = self.stack_bounds()
        if bounds is not None and bounds.base <= lo < bounds.end:
            return bounds.end
        return lo + THREAD_SIZE  # an IRQ or overflow stack: at most THREAD_SIZE of it

    def _frames_in(self, lo: int, hi: int, layout: tuple[int, ...]) -> Iterator[CpuRegisters]:
        from drgn import FaultError

        size, o_sp, o_pc, o_ps, o_frame = layout
        data = b""
        addr = lo
        while addr < hi:  # page by page: the stack's end may be unmapped
            step = min(hi, (addr & ~0xFFF) + 0x1000) - addr
            try:
                data += self.prog.read(addr, step)
            except FaultError:
                break
            addr += step
        for off in range(0, len(data) - size + 1, 16):
            sp, pc, ps = (int.from_bytes(data[off + o:off + o + 8], "little") for o in (o_sp, o_pc, o_ps))
            # pc may be anything (a call through NULL faults at 0), sp is a kernel stack address
            if ps & 0x1F not in (0x4, 0x5) or sp >> 48 != 0xFFFF or sp & 0xF:
                continue
            x = struct.unpack_from("<31Q", data, off)
            fp, frame_pc = struct.unpack_from("<QQ", data, off + o_frame)
            if fp == x[29] and frame_pc == pc:
                yield CpuRegisters("exception frame", x, sp, pc, ps, where=f"pt_regs at {lo + off:#x}")

    def _unwound_pt_regs(self) -> CpuRegisters | None:
        from drgn import FaultError, Object, ObjectAbsentError

        try:
            trace = self.prog.crashed_thread().stack_trace()
        except (FaultError, LookupError, ValueError):
            return None
        frames = list(trace)
        names = [f.name for f in frames]
        after_panic = next((i for i, n in enumerate(names) if n in _PANIC_FUNCTIONS), -1) + 1
        for i in range(after_panic, len(frames)):
            how = _EXCEPTION_FRAMES.get(names[i] or "")
            if how is None:
                continue
            try:
                if how == "sp":
                    regs = Object(self.prog, "struct pt_regs", address=frames[i].sp)
                else:
                    regs = frames[i][how][0]
                x = tuple(int(regs.regs[j]) for j in range(31))
                return CpuRegisters("exception frame", x, int(regs.sp), int(regs.pc), int(regs.pstate),
                                    where=names[i])
            except (FaultError, ObjectAbsentError, LookupError, ValueError, AttributeError):
                continue
        return None

    def crashed_task(self) -> Any:
        try:
            return self.prog.crashed_thread().object
        except (LookupError, ValueError):
            return None

    def symbol_at(self, address: int) -> str | None:
        """``name+0xoff`` of an address from the core's symbols (vmlinux and modules)."""
        try:
            sym = self.prog.symbol(address)
        except LookupError:
            return None
        return f"{sym.name}+{address - sym.address:#x}"

    # --- memory
    def read_bytes(self, address: int, size: int) -> bytes | None:
        from drgn import FaultError

        if not 0 < size <= MAX_READ:
            return None
        try:
            data: bytes = self.prog.read(address, size)
        except FaultError:
            return None
        return data

    def read_words(self, address: int, count: int, size: int = 8) -> tuple[int, ...]:
        from drgn import FaultError

        try:
            data: bytes = self.prog.read(address, count * size)
        except FaultError:
            return ()
        fmt = "<" + ("Q" if size == 8 else "I") * count
        return struct.unpack(fmt, data)

    def _phys_word(self, phys: int) -> int | None:
        from drgn import FaultError

        try:
            return int.from_bytes(self.prog.read(phys, 8, True), "little")
        except FaultError:
            return None

    def _table_base(self, address: int) -> int | None:
        """Physical address of the level 0 table translating ``address`` (TTBR1 or the task's TTBR0)."""
        if address >> 55 & 1:
            pgd = self.header.symbol("swapper_pg_dir")
            voff = self.header.number("kimage_voffset")
            return pgd - voff if pgd is not None and voff is not None else None
        task = self.crashed_task()
        try:
            mm = task.active_mm if task is not None else None
            if mm is None or not mm:
                return None
            from drgn.helpers.linux.mm import virt_to_phys

            return int(virt_to_phys(mm.pgd))
        except (LookupError, ValueError, AttributeError):
            return None

    def translate(self, address: int) -> PageMapping | None:
        """Walk the stage 1 tables for ``address`` (4 KiB granule, 48-bit VA)."""
        table = self._table_base(address)
        if table is None:
            return None
        b = _DESCRIPTOR_BITS
        pxn_table = ro_table = False
        for level, shift in enumerate(_LEVEL_SHIFTS):
            index = (address >> shift) & 0x1FF
            desc = self._phys_word(table + 8 * index)
            if desc is None:
                return None
            if not desc & b["valid"]:
                return PageMapping(False, level, why=f"level {level} descriptor invalid ({desc:#x})")
            leaf = level == 3 or not desc & b["table"]
            if not leaf:
                pxn_table |= bool(desc & b["pxn_table"])
                ro_table |= bool(desc & b["ap_table_ro"])
                table = desc & _OA_MASK
                continue
            if level == 3 and not desc & b["table"]:
                return PageMapping(False, level, why=f"level 3 descriptor reserved ({desc:#x})")
            if level == 0:
                return PageMapping(False, level, why="level 0 block descriptor (invalid for 4 KiB pages)")
            size = 1 << shift
            phys = (desc & _OA_MASK & ~(size - 1)) | (address & (size - 1))
            return PageMapping(True, level, phys, size,
                            writable=not (desc & b["ap_ro"] or ro_table),
                            kernel_exec=not (desc & b["pxn"] or pxn_table),
                            user=bool(desc & b["ap_user"]))
        return None

    def slab_object(self, address: int) -> SlabObject | None:
        """The slab object holding ``address`` (drgn.helpers.linux.slab.slab_object_info)."""
        from drgn import FaultError
        from drgn.helpers.linux.slab import slab_object_info

        try:
            info = slab_object_info(self.prog, address)
        except (FaultError, LookupError, ValueError, NotImplementedError):
            return None
        if info is None:
            return None
        cache = info.slab_cache
        return SlabObject(cache.name.string_().decode("utf-8", "replace"), int(info.address),
                          int(cache.object_size), None if info.allocated is None else bool(info.allocated))

    def stack_bounds(self, task: Any = None) -> StackBounds | None:
        from drgn import FaultError

        task = task if task is not None else self.crashed_task()
        if task is None:
            return None
        try:
            base = int(task.stack.value_())
            name = f"{task.comm.string_().decode('utf-8', 'replace')}[{int(task.pid)}]"
        except (FaultError, LookupError, ValueError, AttributeError):
            return None
        return StackBounds(name, base, base + THREAD_SIZE)

    def task_fact(self, role: str, pid: int) -> MemoryFact | None:
        """A task of the report (e.g. the hung one): its task_struct, state, stack and saved SP."""
        from drgn import FaultError
        from drgn.helpers.linux.pid import find_task
        from drgn.helpers.linux.sched import task_state_to_char

        try:
            task = find_task(self.prog, pid)
            if not task:
                return None
            address = int(task.value_())
            state = task_state_to_char(task)
            saved_sp = int(task.thread.cpu_context.sp)
        except (FaultError, LookupError, ValueError, AttributeError):
            return None
        fact = self.probe(role, address)
        bounds = self.stack_bounds(task)
        notes = [f"state {state} ({_TASK_STATES.get(state, 'see fs/proc/array.c')})",
                 f"saved SP {saved_sp:#x} (thread.cpu_context, where it last switched out)"]
        return MemoryFact(role, address, fact.mapping, fact.words, fact.words_at, fact.word_bytes,
                          fact.slab, bounds, (*fact.notes, *notes))

    def probe(self, role: str, address: int, *, code: bool = False, slab: bool = True,
              stack: bool = False) -> MemoryFact:
        """Everything the core says about ``address``: mapping, words, slab object, stack bounds."""
        mapping = self.translate(address)
        notes: list[str] = []
        words: tuple[int, ...] = ()
        at: int | None = None
        size = 4 if code else 8
        if mapping is not None and mapping.mapped:
            at = (address & ~(size - 1)) - (2 * size if code else 0)
            words = self.read_words(at, 5 if code else 4, size)
            if not words:
                notes.append("mapped, but the page is not in the core")
        if mapping is None:
            notes.append("no page table walk (no swapper_pg_dir/kimage_voffset or task mm in the core)")
        obj = self.slab_object(address) if slab and address >> 55 & 1 else None
        bounds = self.stack_bounds() if stack else None
        if bounds is not None and not bounds.base - THREAD_SIZE <= address < bounds.end + THREAD_SIZE:
            bounds = None  # nowhere near the stack: its bounds say nothing about this address
        return MemoryFact(role, address, mapping, words, at, size, obj, bounds, tuple(notes))


def open_vmcore(path: str, vmlinux: str, *, modules_dir: str | None = None) -> Vmcore:
    """Check the core's headers, then open it with drgn and load the vmlinux's debug info."""
    header = read_header(path)
    from a64triage.symbols.rawelf import RawElf

    with RawElf(vmlinux) as image:
        vm_build = image.build_id
    if header.build_id and vm_build and vm_build != header.build_id:
        raise InputError(vmlinux, f"does not match the core: its build id is {vm_build}, "
                                  f"the core's kernel ({header.release}) has {header.build_id}")
    import drgn

    try:
        prog = _kdump_program(header) if header.format == "kdump-compressed" else drgn.Program()
        if header.format == "elf":
            prog.set_core_dump(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"drgn cannot open the core: {exc}") from None
    problems: list[str] = []
    paths = [vmlinux, *_module_files(prog, modules_dir)]
    try:
        prog.load_debug_info(paths)
    except drgn.MissingDebugInfoError as exc:
        problems.append(f"debug info: {str(exc).splitlines()[0]}")
    return Vmcore(header, vmlinux, prog, problems)


def _kdump_program(header: CoreHeader) -> Any:
    """A drgn Program over a kdump-compressed core read by kdump_compressed (not libkdumpfile,
    which refuses QEMU's empty utsname and 64 KiB blocks): its dumped pages as physical memory."""
    import drgn

    from a64triage.symbols.kdump_compressed import open_kdump

    kd = open_kdump(header.path)
    flags = drgn.PlatformFlags.IS_64_BIT | drgn.PlatformFlags.IS_LITTLE_ENDIAN
    prog = drgn.Program(drgn.Platform(drgn.Architecture.AARCH64, flags))

    def read(address: int, count: int, _offset: int, _physical: bool) -> bytes:
        return kd.read_physical(address, count)

    for start, pages in kd.runs():
        prog.add_memory_segment(start * kd.block_size, pages * kd.block_size, read, True)
    info = "".join(f"{k}={v}\n" for k, v in header.vmcoreinfo.items())
    prog.set_linux_kernel_custom(info, False)
    return prog


def _module_files(prog: Any, modules_dir: str | None) -> list[str]:
    """The .ko files of the core's loaded modules found under ``modules_dir``."""
    if modules_dir is None:
        return []
    from drgn import FaultError
    from drgn.helpers.linux.module import for_each_module

    from a64triage.symbols.files import ModuleIndex

    index = ModuleIndex(modules_dir.split(os.pathsep))
    out: list[str] = []
    try:
        for mod in for_each_module(prog):
            found = index.candidates(mod.name.string_().decode())
            if found and found[0].endswith(".ko"):
                out.append(found[0])
    except (FaultError, LookupError, ValueError):
        pass
    return out
