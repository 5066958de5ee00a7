"""The Symbolizer: oops frames and raw addresses -> function, offset, file:line, inline chain.

What an arm64 oops really contains drives the design: ``func+off/size [module]``
names (no addresses since v4.16), raw addresses only in old traces, register
dumps and hyp panics, and the KASLR offset in a ``Kernel Offset:`` line printed
*after* the trace.  Names are resolved through the symbol table (so the KASLR
offset does not matter for them); raw addresses have the offset removed first.
Module frames are resolved inside the module's own ``.ko``, whose sections we lay
out at private addresses because the load address is not in the log.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from a64triage.console.records import Frame, Report
from a64triage.errors import InputError
from a64triage.symbols import dwarf, files, kernel, symtab
from a64triage.symbols.image import ImageLike
from a64triage.symbols.rawelf import RawElf
from a64triage.symbols.symtab import Sym, SymbolTable, SymSource
from a64triage.symbols.types import SourceLocation, Symbolized

# Private addresses for module sections: above any arm64 kernel image address.
MODULE_BASE = 0xFFFF_F000_0000_0000
MODULE_STRIDE = 0x0000_0000_1000_0000

# arm64 exception entry vectors (arch/arm64/kernel/entry.S, entry-common.c): the frame
# after one of these in a 5.x/6.x trace is the interrupted PC, not a return address.
_ENTRY_FRAMES = ("el1h_64_sync", "el1h_64_irq", "el1h_64_fiq", "el1h_64_error",
                 "el0t_64_sync", "el0t_64_irq", "el0t_64_fiq", "el0t_64_error",
                 "el0t_32_sync", "el0t_32_irq", "el0t_32_fiq", "el0t_32_error",
                 "el1_sync", "el1_irq", "el1_error", "el0_sync", "el0_irq", "el0_error")


@dataclass
class LoadedObject:
    """One ELF file we symbolize against: vmlinux or a module."""

    name: str | None  # module name, None for vmlinux
    path: str
    image: ImageLike | None
    table: SymbolTable
    lines: dwarf.LineBackend | None = None
    layout: dict[str, int] | None = None
    debug_path: str | None = None
    problems: list[str] = field(default_factory=list)
    dwarf_broken: bool = False

    def display(self, addr: int) -> int:
        """The address as the user knows it: section offset in a module, else itself."""
        where = self.section_of(addr) if self.layout is not None else None
        return addr - where[1] if where else addr

    def section_of(self, addr: int) -> tuple[str, int] | None:
        """(section name, its start) holding ``addr`` (layout or link-time address)."""
        if self.layout is not None:
            best: tuple[str, int] | None = None
            for name, base in self.layout.items():
                sec = self.image.section(name) if self.image else None
                if sec is not None and base <= addr < base + sec.size:
                    best = (name, base)
            return best
        if self.image is None:
            return None
        sec = self.image.section_at(addr)
        return (sec.name, sec.addr) if sec else None

    def read(self, addr: int, size: int) -> bytes | None:
        """Bytes at a link-time (or, for objects, layout) address."""
        if self.image is None:
            return None
        if self.layout is None:
            return self.image.read(addr, size)
        where = self.section_of(addr)
        if where is None:
            return None
        sec = self.image.section(where[0])
        if sec is None or sec.type == "SHT_NOBITS":
            return None
        data = self.image.section_data(sec)
        return data[addr - where[1]: addr - where[1] + size]


# Branch-with-link encodings (Arm ARM C6.2 "BL", "BLR", "BLRAA, BLRAAZ, BLRAB, BLRABZ"):
# (mask, value) pairs of the instruction before a return address.
_CALL_ENCODINGS = ((0xFC000000, 0x94000000),  # BL imm26
                   (0xFEFFF000, 0xD63F0000))  # BLR / BLRAA(Z) / BLRAB(Z)


def follows_call(obj: LoadedObject, addr: int) -> bool:
    """Whether the word before ``addr`` is a call (unknown bytes count as a call)."""
    raw = obj.read(addr - 4, 4)
    if raw is None or len(raw) != 4:
        return True
    word = int.from_bytes(raw, "little")
    return any(word & mask == value for mask, value in _CALL_ENCODINGS)


def is_return_frame(trace: tuple[Frame, ...], index: int) -> bool:
    """Whether the address of trace entry ``index`` is a return address.

    The first entry of a trace and entries marked ``(P)`` by the 6.x unwinder
    are the PC itself; so is the entry after an exception-entry frame.
    """
    frame = trace[index]
    if frame.marker == "P" or index == 0:
        return False
    prev = trace[index - 1].function or ""
    return not prev.startswith(_ENTRY_FRAMES)


class Symbolizer:
    """Resolves addresses and printed frames against one kernel build."""

    def __init__(self, vmlinux: str | None = None, *, system_map: str | None = None,
                 kallsyms: str | None = None, modules_dirs: Iterable[str] = (),
                 kaslr_offset: int | None = None, source_dir: str | None = None,
                 debug_dirs: Iterable[str] = ()) -> None:
        self.default_kaslr_offset = kaslr_offset  # given by the user: every log's, unless it says
        self.source_dir = source_dir
        self.opening_problems: list[str] = []  # one-line warnings about the inputs, found opening them
        self._module_problems: dict[str, list[str]] = {}  # module key -> warnings from looking it up
        self.bug_problems: list[str] = []  # from reading __bug_table (read on first use)
        self._drgn: dwarf.DrgnLines | None = None
        self._source_cache: dict[str, list[str] | None] = {}
        self._modules: dict[str, LoadedObject | None] = {}
        self._bugs: dict[int, tuple[str, int]] | None = None
        self.vmlinux: LoadedObject | None = None
        roots = list(debug_dirs)
        if vmlinux is not None:
            self.vmlinux = self._open_vmlinux(vmlinux)
            root = files.debug_root_of(vmlinux)
            if root:
                roots.append(root)
        for path in (system_map, kallsyms):
            if path is None:
                continue
            table = symtab.load_text(path)
            if self.vmlinux is None:
                self.vmlinux = LoadedObject(None, path, None, table)
            elif self.vmlinux.table.is_empty:
                self.vmlinux.table = table
        if self.vmlinux is None:
            raise InputError("symbolize", "nothing to symbolize with: give a vmlinux, System.map or kallsyms")
        if self.vmlinux.table.is_empty:
            raise InputError(self.vmlinux.path, "stripped: no symbol table (give --system-map or --kallsyms)")
        mod_dirs = [d for d in modules_dirs if d]
        for d in mod_dirs:
            root = files.debug_root_of(d)
            if root:
                roots.append(root)
        if os.path.isdir("/usr/lib/debug"):
            roots.append("/usr/lib/debug")
        self.debug_roots = list(dict.fromkeys(roots))
        # Debian's -dbg tree mirrors lib/modules/<ver>: search it too.
        release = self.release
        for root in self.debug_roots:
            for ver in {release, *(os.path.basename(os.path.normpath(d)) for d in mod_dirs)}:
                if ver and os.path.isdir(os.path.join(root, "lib", "modules", ver)):
                    mod_dirs.append(os.path.join(root, "lib", "modules", ver))
        self.module_index = files.ModuleIndex(list(dict.fromkeys(mod_dirs)))

    # --- opening files ------------------------------------------------------------------

    def _shared_drgn(self) -> dwarf.DrgnLines:
        if self._drgn is None:
            self._drgn = dwarf.DrgnLines()
        return self._drgn

    def _attach_debug(self, obj: LoadedObject, image: RawElf, paths: tuple[str, ...],
                      roots: list[str]) -> None:
        """DWARF for ``obj``: its own, else a separate debug file found from one of ``paths``
        (by build-id first, then by ``.gnu_debuglink`` next to each path)."""
        debug: ImageLike = image
        if not image.has_dwarf:
            dbg = None
            for i, path in enumerate(paths):
                dbg = files.find_debug_file(path, image.build_id if i == 0 else None, image.debuglink, roots)
                if dbg is not None or not image.debuglink:
                    break
            if dbg:
                try:
                    debug = RawElf(dbg)
                    obj.debug_path = dbg
                except InputError as exc:
                    obj.problems.append(str(exc))
        attach_lines(obj, debug, self._shared_drgn)

    def _open_vmlinux(self, path: str) -> LoadedObject:
        image = RawElf(path)
        if image.is_relocatable:
            raise InputError(path, "a relocatable object, not a linked vmlinux (use disasm --object)")
        table = symtab.from_elf(image, cache=True)
        obj = LoadedObject(None, path, image, table)
        self._attach_debug(obj, image, (path,),
                           [r for r in (files.debug_root_of(path), "/usr/lib/debug") if r])
        table.warm_up()
        self.opening_problems.extend(obj.problems)
        return obj

    def _module(self, name: str) -> LoadedObject | None:
        key = files.module_key(name)
        if key in self._modules:
            return self._modules[key]
        obj = None
        problems: list[str] = []
        for cand in self.module_index.candidates(key):
            try:
                plain = files.decompressed(cand)
                image = RawElf(plain)
            except InputError as exc:
                problems.append(str(exc))
                continue
            if not image.is_relocatable:
                problems.append(f"{cand}: not a relocatable module")
                continue
            layout = dwarf.section_layout(image, MODULE_BASE + MODULE_STRIDE * len(self._modules))
            obj = LoadedObject(key, cand, image, symtab.from_elf(image, layout), layout=layout)
            self._attach_debug(obj, image, (plain, cand), self.debug_roots)
            break
        if obj is None:
            where = ", ".join(self.module_index.dirs) or "no --modules directory given"
            self._module_problems[key] = [f"module {name} not found ({where})" +
                                          (f": {problems[0]}" if problems else "")]
        else:
            self._module_problems[key] = list(obj.problems)
        self._modules[key] = obj
        return obj

    def module_problems(self, name: str) -> list[str]:
        """Warnings from looking module ``name`` up (it is looked up now if it was not yet)."""
        self._module(name)
        return self._module_problems.get(files.module_key(name), [])

    @property
    def problems(self) -> list[str]:
        """Every warning so far: opening, the modules looked up, ``__bug_table``.  A command
        that shares the Symbolizer between logs takes each log's from its ``LogSymbols``."""
        out = list(self.opening_problems)
        for found in self._module_problems.values():
            out.extend(p for p in found if p not in out)
        return out + [p for p in self.bug_problems if p not in out]

    def open_log(self, kaslr_offset: int | None = None) -> LogSymbols:
        """The per-log state for one log symbolized against this build."""
        return LogSymbols(self, kaslr_offset if kaslr_offset is not None else self.default_kaslr_offset)

    # --- facts about the build ----------------------------------------------------------

    @property
    def banner(self) -> str | None:
        obj = self.vmlinux
        if obj is None or obj.image is None:
            return None
        return kernel.linux_banner(obj.image, obj.table)

    @property
    def release(self) -> str | None:
        b = self.banner
        return kernel.banner_release(b) if b else None

    @property
    def build_id(self) -> str | None:
        obj = self.vmlinux
        return obj.image.build_id if obj and obj.image else None

    @property
    def image(self) -> ImageLike | None:
        """The vmlinux ELF (None when only System.map/kallsyms was given)."""
        return self.vmlinux.image if self.vmlinux else None

    @property
    def backend(self) -> str:
        obj = self.vmlinux
        return obj.lines.name if obj and obj.lines else "none"

    def check_match(self, report: Report) -> list[str]:
        """Warnings when the vmlinux is not the kernel that printed the report.

        A report whose own lines name another architecture (console/arches.py) came
        from another kernel whatever its banner says: an arm64 vmlinux has no
        symbol at an x86 address, only a wrong nearest one (syzkaller's x86 logs
        print no release for the banner check to refuse).
        """
        if report.arch != "arm64":
            return [f"the report is from an {report.arch} kernel (its own lines say so), "
                    "the vmlinux an arm64 one"]
        return kernel.banner_mismatch(self.banner, report.kernel_version, report.build)

    def symbol(self, name: str) -> Sym | None:
        assert self.vmlinux is not None
        found = self.vmlinux.table.find(name)
        return found[0] if found else None

    def module_symbol(self, module: str, name: str) -> tuple[LoadedObject, Sym] | None:
        obj = self._module(module)
        if obj is None:
            return None
        found = obj.table.find(name)
        return (obj, found[0]) if found else None

    def bug_site(self, addr: int) -> tuple[str, int] | None:
        """``(file, line)`` of the BUG()/WARN() whose ``brk`` is at link address ``addr``."""
        if self._bugs is None:
            img = self.image
            try:
                self._bugs = kernel.bug_sites(img) if img is not None else {}
            except InputError as exc:
                self.bug_problems.append(str(exc))
                self._bugs = {}
        return self._bugs.get(addr)

    def kaslr_from_report(self, report: Report) -> int | None:
        """The KASLR offset: the ``Kernel Offset:`` line, else computed from printed addresses.

        An address printed next to ``func+off`` gives ``address - (sym + off)``;
        the most common value wins.  Hyp frames print link-time addresses and
        module frames have their own base, so both are left out.
        """
        if report.kernel_offset is not None:
            return report.kernel_offset
        assert self.vmlinux is not None
        votes: Counter[int] = Counter()
        frames = [report.pc, report.lr, *report.call_trace]
        for fr in frames:
            if fr is None or fr.address is None or fr.function is None or fr.offset is None:
                continue
            if fr.module or fr.stack == "hyp" or fr.function.startswith(symtab.NVHE_PREFIX):
                continue
            cands = self.vmlinux.table.find(fr.function, fr.size)
            if cands:
                votes[fr.address - (cands[0].addr + fr.offset)] += 1
        if not votes:
            return None
        offset, _n = votes.most_common(1)[0]
        return offset if offset >= 0 else None

    # --- lookups ------------------------------------------------------------------------

    def _source_text(self, file: str | None, line: int | None) -> str | None:
        if self.source_dir is None or file is None or not line:
            return None
        lines = self._source_cache.get(file)
        if file not in self._source_cache:
            lines = None
            parts = file.lstrip("./").split("/")
            for i in range(min(len(parts), 6)):
                cand = os.path.join(self.source_dir, *parts[i:])
                if os.path.isfile(cand):
                    try:
                        with open(cand, encoding="utf-8", errors="replace") as fh:
                            lines = fh.read(16 * 1024 * 1024).splitlines()
                    except OSError:
                        lines = None
                    break
            self._source_cache[file] = lines
        if lines is None or line > len(lines):
            return None
        return lines[line - 1].rstrip()

    def _locations(self, obj: LoadedObject, addr: int, notes: list[str],
                   sym_name: str | None = None) -> tuple[SourceLocation, ...]:
        if obj.lines is None:
            return ()
        try:
            locs = obj.lines.locate(addr)
        except InputError as exc:
            notes.append(f"{exc}: no file:line")
            return ()
        if not locs:
            where = os.path.basename(obj.debug_path or obj.path)
            sec = obj.section_of(addr) if obj.layout is not None else None
            if obj.lines.name == "pyelftools" and sec is not None and sec[0] != ".text":
                notes.append(f"no file:line for {sec[0]} of a module without drgn "
                             "(pip install drgn)")
            else:
                notes.append(f"no line information there in {where}")
        if locs and locs[-1].function == "??" and sym_name:
            locs = (*locs[:-1], replace(locs[-1], function=sym_name))
        if self.source_dir is not None:
            locs = tuple(replace(loc, text=self._source_text(loc.file, loc.line)) for loc in locs)
        return locs

    def _resolve(self, obj: LoadedObject, link: int, is_return: bool, notes: list[str],
                 sym: Sym | None = None) -> Symbolized:
        """Common tail: symbol containment checks and the DWARF lookup at ``link``."""
        if is_return and obj.image is not None and not follows_call(obj, link):
            # e.g. the exception-return frame of a 4.x trace (`panic+0x0`): a PC, not a return
            notes.append(f"0x{obj.display(link):x} does not follow a call: looked up as a PC")
            is_return = False
            if sym is None:
                sym = obj.table.at(link)
        look = link - 4 if is_return else link
        if sym is None:
            sym = obj.table.at(look)
        module = obj.name
        if sym is None:
            notes.append(f"0x{link:x} is below every symbol")
            return Symbolized(link, None, None, None, module, notes=tuple(notes))
        offset = link - sym.addr
        size = sym.size or None
        section = sym.section
        if obj.image is not None and obj.layout is None:
            sec = obj.image.section_at(look)
            if sec is None:
                notes.append(f"0x{link:x} is in no section of {os.path.basename(obj.path)}")
            else:
                section = sec.name
        if sym.size and offset > sym.size:
            notes.append(f"offset 0x{offset:x} is beyond {sym.name}'s size 0x{sym.size:x}: "
                         "the PC is not in that function (executing data, or the wrong vmlinux)")
        elif is_return and sym.size and offset == sym.size:
            notes.append(f"return address just past the end of {sym.name}: a call to a noreturn "
                         "function (panic, BUG) at its end; attributed to the caller")
        locs = self._locations(obj, look, notes, sym.name) if not (sym.size and offset > sym.size) else ()
        if obj.layout is not None:  # report module addresses as section offsets
            base = obj.layout.get(sym.section or "", 0)
            link, look = link - base, look - base
        return Symbolized(link, sym.name, offset, size, module, section, locs, tuple(notes), look)

    def symbolize_address(self, addr: int, *, is_return: bool = False,
                          runtime: bool = True, kaslr_offset: int | None = None) -> Symbolized:
        """A vmlinux address; ``runtime`` addresses have the KASLR offset removed first
        (``kaslr_offset``: the log's, see ``LogSymbols``; else the one given when opening)."""
        assert self.vmlinux is not None
        if kaslr_offset is None:
            kaslr_offset = self.default_kaslr_offset
        notes: list[str] = []
        link = addr
        if runtime and self.vmlinux.table.source is not SymSource.KALLSYMS:
            if kaslr_offset is None:
                rng = self.vmlinux.table.range()
                if rng and not rng[0] <= addr < rng[1] + 0x100000:
                    notes.append("KASLR offset unknown and the address is outside vmlinux: "
                                 "give --kaslr-offset or a log with 'Kernel Offset:'")
            else:
                link = addr - kaslr_offset
        if self.vmlinux.dwarf_broken:
            notes.append("DWARF unusable: function+offset only")
        return self._resolve(self.vmlinux, link, is_return, notes)

    def symbolize_frame(self, frame: Frame, *, is_return: bool = True,
                        kaslr_offset: int | None = None) -> Symbolized:
        """A printed frame: by name (+module) when there is one, else by address."""
        notes: list[str] = []
        if frame.module:
            return self._symbolize_module_frame(frame, is_return)
        assert self.vmlinux is not None
        hyp = frame.stack == "hyp"
        if frame.function is None:
            if frame.address is None:
                return Symbolized(0, None, None, None, notes=("frame has neither name nor address",))
            return self.symbolize_address(frame.address, is_return=is_return, runtime=not hyp,
                                          kaslr_offset=kaslr_offset)
        cands = self.vmlinux.table.find(frame.function, frame.size)
        if not cands:
            if frame.address is not None:
                res = self.symbolize_address(frame.address, is_return=is_return, runtime=not hyp,
                                             kaslr_offset=kaslr_offset)
                return replace(res, notes=(f"{frame.function} not in the symbol table; "
                                           "used the printed address", *res.notes))
            return Symbolized(0, frame.function, frame.offset, frame.size,
                              notes=(f"{frame.function} not in the symbol table of "
                                     f"{os.path.basename(self.vmlinux.path)}",))
        sym = cands[0]
        table = self.vmlinux.table
        if frame.size is not None and not table.size_matches(sym, frame.size):
            notes.append(f"{frame.function} is 0x{sym.size:x} bytes in vmlinux but 0x{frame.size:x} "
                         "in the log: vmlinux does not match the kernel that crashed")
        elif len(cands) > 1 and frame.size is not None and table.size_matches(cands[1], frame.size):
            notes.append(f"{len(cands)} symbols named {frame.function} of that size; took the first")
        if self.vmlinux.dwarf_broken:
            notes.append("DWARF unusable: function+offset only")
        link = sym.addr + (frame.offset or 0)
        if is_return and not frame.offset:
            # %pS of a return address after a noreturn call that ends the previous
            # function names the next symbol at +0x0: find the caller by address.
            return self._resolve(self.vmlinux, link, True, notes)
        return self._resolve(self.vmlinux, link, is_return, notes, sym=sym)

    def _symbolize_module_frame(self, frame: Frame, is_return: bool) -> Symbolized:
        assert frame.module is not None
        obj = self._module(frame.module)
        if obj is None:
            return Symbolized(0, frame.function, frame.offset, frame.size, frame.module,
                              notes=(f"module {frame.module} not found",))
        if frame.function is None:
            return Symbolized(0, None, None, None, frame.module,
                              notes=("module frame without a name: the load address is unknown",))
        cands = obj.table.find(frame.function, frame.size)
        if not cands:
            return Symbolized(0, frame.function, frame.offset, frame.size, obj.name,
                              notes=(f"{frame.function} not in {os.path.basename(obj.path)}",))
        notes: list[str] = []
        sym = cands[0]
        if frame.size is not None and not obj.table.size_matches(sym, frame.size, relocatable=True):
            notes.append(f"{frame.function} is 0x{sym.size:x} bytes in {os.path.basename(obj.path)} "
                         f"but 0x{frame.size:x} in the log: a different build of the module")
        if obj.lines is None and not obj.dwarf_broken:
            notes.append(f"no DWARF for module {obj.name}: function+offset only")
        if is_return and not frame.offset:
            return self._resolve(obj, sym.addr, True, notes)
        return self._resolve(obj, sym.addr + (frame.offset or 0), is_return, notes, sym=sym)

    def symbolize_report(self, report: Report) -> list[tuple[Frame, Symbolized]]:
        """pc, lr and every call-trace frame of one report (a one-report log)."""
        return self.open_log().symbolize_report(report)


@dataclass
class LogSymbols:
    """One log's state over a ``Symbolizer`` that several logs may share (the vmlinux,
    its index and drgn's debug info opened once): the log's KASLR offset and its
    warnings, which are those a fresh run over this log alone would print (the
    opening problems, then those of the modules this log names, in order)."""

    symbolizer: Symbolizer
    kaslr_offset: int | None = None
    warnings: list[str] = field(default_factory=list)
    _touched: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.add_warnings(self.symbolizer.opening_problems)

    def add_warnings(self, items: Iterable[str]) -> None:
        self.warnings.extend(w for w in items if w not in self.warnings)

    def use_report(self, report: Report) -> None:
        """The KASLR offset from this report when the log has none yet."""
        if self.kaslr_offset is None:
            self.kaslr_offset = self.symbolizer.kaslr_from_report(report)

    def touch_module(self, name: str) -> None:
        """Look module ``name`` up and take its warnings (once per log)."""
        key = files.module_key(name)
        if key not in self._touched:
            self._touched.add(key)
            self.add_warnings(self.symbolizer.module_problems(name))

    def symbolize_frame(self, frame: Frame, *, is_return: bool = True) -> Symbolized:
        if frame.module:
            self.touch_module(frame.module)
        return self.symbolizer.symbolize_frame(frame, is_return=is_return, kaslr_offset=self.kaslr_offset)

    def symbolize_address(self, addr: int, *, is_return: bool = False, runtime: bool = True) -> Symbolized:
        return self.symbolizer.symbolize_address(addr, is_return=is_return, runtime=runtime,
                                                 kaslr_offset=self.kaslr_offset)

    def bug_site(self, addr: int) -> tuple[str, int] | None:
        site = self.symbolizer.bug_site(addr)
        self.add_warnings(self.symbolizer.bug_problems)
        return site

    def check_match(self, report: Report) -> list[str]:
        return self.symbolizer.check_match(report)

    def symbolize_report(self, report: Report) -> list[tuple[Frame, Symbolized]]:
        """pc, lr and every call-trace frame of a report, with the right return-address rule."""
        self.use_report(report)
        out: list[tuple[Frame, Symbolized]] = []
        if report.pc is not None:
            out.append((report.pc, self.symbolize_frame(report.pc, is_return=False)))
        if report.lr is not None:
            out.append((report.lr, self.symbolize_frame(report.lr, is_return=True)))
        for i, fr in enumerate(report.call_trace):
            if fr.inline:
                continue
            out.append((fr, self.symbolize_frame(fr, is_return=is_return_frame(report.call_trace, i))))
        return out


def attach_lines(obj: LoadedObject, debug: ImageLike,
                 shared: Callable[[], dwarf.DrgnLines] | None) -> None:
    """Give ``obj`` a DWARF backend over ``debug`` (itself or its separate debug file)."""
    try:
        obj.lines = dwarf.open_backend(debug, obj.layout, shared)
    except InputError as exc:
        obj.problems.append(f"{exc}: function+offset only")
        obj.dwarf_broken = True
    if obj.lines is None and debug.has_dwarf is False and not obj.problems:
        obj.problems.append(f"{debug.path}: no DWARF: function+offset only, no file:line")


def load_object(path: str) -> LoadedObject:
    """One object file (.o, .ko, a linked image) on its own, for ``disasm --object``.

    A relocatable object's sections get distinct private addresses (``layout``);
    ``LoadedObject.section_offset`` turns them back into what objdump shows.
    """
    from a64triage.symbols.elf import ElfImage  # pyelftools: relocations for the listing

    image = ElfImage(files.decompressed(path))
    layout = dwarf.section_layout(image, MODULE_BASE) if image.is_relocatable else None
    obj = LoadedObject(None, path, image, symtab.from_elf(image, layout), layout=layout)
    shared: dwarf.DrgnLines | None = None

    def make() -> dwarf.DrgnLines:
        nonlocal shared
        if shared is None:
            shared = dwarf.DrgnLines()
        return shared

    attach_lines(obj, image, make)
    return obj


def open_symbolizer(vmlinux: str | None = None, *, system_map: str | None = None,
                    kallsyms: str | None = None, modules_dir: str | None = None,
                    kaslr_offset: int | None = None, source_dir: str | None = None,
                    debug_dirs: Iterable[str] = ()) -> Symbolizer:
    """Open the symbol sources; ``modules_dir`` may list several directories (os.pathsep)."""
    dirs = modules_dir.split(os.pathsep) if modules_dir else []
    for d in dirs:
        if not os.path.exists(d):
            raise InputError(d, "no such modules directory")
    if source_dir is not None and not os.path.isdir(source_dir):
        raise InputError(source_dir, "no such source directory")
    return Symbolizer(vmlinux, system_map=system_map, kallsyms=kallsyms, modules_dirs=dirs,
                      kaslr_offset=kaslr_offset, source_dir=source_dir, debug_dirs=debug_dirs)
