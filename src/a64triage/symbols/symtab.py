"""Symbol tables from an ELF ``.symtab``, a System.map or a /proc/kallsyms dump.

Oops text names code as ``func+off/size``; this module turns such a name back
into an address (disambiguating duplicate local names by size, matching
compiler clone suffixes and the nVHE ``__kvm_nvhe_`` prefix) and an address back
into the symbol containing it.  The ELF reader does not use pyelftools
for ``.symtab``: a distribution vmlinux has ~150,000 symbols, so the table is
kept as flat integer lists (unpacked by ``memoryview.cast``) and a name is
decoded only when a symbol is returned; names are found by searching
``.strtab`` itself.  Opening Debian's vmlinux takes ~0.1 s this way.
"""

from __future__ import annotations

import bisect
import marshal
import os
import re
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from a64triage.errors import InputError

if TYPE_CHECKING:
    from a64triage.symbols.image import ImageLike

# Prefix of nVHE hyp symbols in vmlinux (arch/arm64/include/asm/hyp_image.h: kvm_nvhe_sym()).
NVHE_PREFIX = "__kvm_nvhe_"

_NVHE_BYTES = NVHE_PREFIX.encode()

# Compiler clone / split suffixes (GCC: .constprop.N, .isra.N, .part.N, .cold[.N];
# clang ThinLTO: .llvm.<hash>).  kallsyms prints them; some kernels strip .llvm.*.
_CLONE_SUFFIX = re.compile(r"(\.(?:constprop|isra|part|cold|llvm|lto_priv|localalias)(?:\.\d+)?)+$")

# ELF st_info values (gABI "Symbol Table").
_STT_NAMES = {0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE", 5: "COMMON", 6: "TLS"}
_STB_NAMES = {0: "LOCAL", 1: "GLOBAL", 2: "WEAK"}
_SHN_LORESERVE = 0xFF00
_SHN_ABS = 0xFFF1


class SymSource(StrEnum):
    ELF = "elf"
    SYSTEM_MAP = "System.map"
    KALLSYMS = "kallsyms"


@dataclass(frozen=True)
class Sym:
    """One code or data symbol.  ``size`` is 0 when the source does not give it."""

    name: str
    addr: int
    size: int
    kind: str  # "FUNC", "OBJECT", "NOTYPE" (ELF) or the nm letter ("T", "t", "d", ...)
    section: str | None = None
    is_global: bool = False
    module: str | None = None  # kallsyms "[mod]" column

    @property
    def is_code(self) -> bool:
        """FUNC/NOTYPE in ELF, t/T/w/W in System.map."""
        return self.kind in ("FUNC", "NOTYPE") or self.kind in ("T", "t", "W", "w")

    @property
    def end(self) -> int:
        return self.addr + self.size


def base_name(name: str) -> str:
    """``foo.constprop.0`` -> ``foo``; ``__kvm_nvhe_foo.isra.0`` -> ``foo``."""
    return _CLONE_SUFFIX.sub("", name).removeprefix(NVHE_PREFIX)


_CODE_KINDS = frozenset({"FUNC", "T", "t"})
_STT_FUNC = 2


def _rank(is_code: bool, is_global: bool, size: int) -> int:
    """Preference among aliases at one address (lower wins): functions, globals, sized."""
    return (0 if is_code else 4) + (0 if is_global else 2) + (0 if size else 1)


class SymbolTable:
    """Symbols sorted by address plus name lookups; ``Sym`` objects are made on demand.

    Storage is columnar: ``addr``/``size``/``info``/``shndx`` lists indexed by
    symbol number, names either decoded (text sources) or as ``.strtab``
    offsets (ELF), decoded lazily.
    """

    _strtab: bytes = b""  # ELF tables: names are offsets into this
    _nameoff: Sequence[int] = ()
    _info: Sequence[int] = ()  # st_info
    _shndx: Sequence[int] = ()
    _secnames: dict[int, str]

    def __init__(self, syms: Iterable[Sym], source: SymSource, origin: str) -> None:
        items = list(syms)
        self._setup(source, origin, [s.addr for s in items], [s.size for s in items],
                    kinds=[s.kind for s in items], glob=[s.is_global for s in items],
                    sections=[s.section for s in items], modules=[s.module for s in items],
                    names=[s.name for s in items])

    @classmethod
    def from_elf_columns(cls, origin: str, addr: Sequence[int], size: Sequence[int],
                         info: Sequence[int], shndx: Sequence[int], nameoff: Sequence[int],
                         strtab: bytes, section_names: dict[int, str], keys: list[int] | None,
                         best: Sequence[int] | None = None, addrs: Sequence[int] | None = None,
                         hashes: tuple[Sequence[int], Sequence[int]] | None = None) -> SymbolTable:
        table = cls.__new__(cls)
        table._strtab = strtab
        table._nameoff = nameoff
        table._info = info
        table._shndx = shndx
        table._secnames = section_names
        table._setup(SymSource.ELF, origin, addr, size, keys=keys, best=best, addrs=addrs,
                     hashes=hashes)
        return table

    def elf_columns(self) -> tuple[Sequence[int], ...]:
        """What ``from_elf_columns`` needs to rebuild this table (for the on-disk index)."""
        names, bases = self._hashes()
        return (self._addr, self._size, self._info, self._shndx, self._nameoff, self._ai,
                self._addrs, names, bases)

    def _setup(self, source: SymSource, origin: str, addr: Sequence[int], size: Sequence[int], *,
               kinds: list[str] | None = None, glob: list[bool] | None = None,
               sections: list[str | None] | None = None, modules: list[str | None] | None = None,
               names: list[str] | None = None, keys: list[int] | None = None,
               best: Sequence[int] | None = None, addrs: Sequence[int] | None = None,
               hashes: tuple[Sequence[int], Sequence[int]] | None = None) -> None:
        self.source = source
        self.origin = origin
        self._addr = addr
        self._size = size
        self._kinds = kinds
        self._glob = glob
        self._sections = sections
        self._modules = modules
        self._names = names
        if best is not None:
            self._ai: Sequence[int] = best
        else:
            if keys is None:
                assert kinds is not None and glob is not None
                keys = [a * 8 + _rank(k in _CODE_KINDS, g, z)
                        for a, k, g, z in zip(addr, kinds, glob, size, strict=True)]
            # sort (address, rank) pairs packed with the index into single ints: no key function
            shift = max(len(addr) - 1, 1).bit_length()
            mask = (1 << shift) - 1
            order = [p & mask for p in sorted([k << shift | i for i, k in enumerate(keys)])]
            # One symbol per address for address lookups (the best-ranked alias).
            ai: list[int] = []
            last = -1
            for i in order:
                if addr[i] != last:
                    ai.append(i)
                    last = addr[i]
            self._ai = ai
        self._addrs: Sequence[int] = addrs if addrs is not None else [addr[i] for i in self._ai]
        if source is not SymSource.ELF:  # no sizes: a symbol ends where the next one starts
            sizes = list(size)
            for j, i in enumerate(self._ai):
                nxt = self._addrs[j + 1] if j + 1 < len(self._addrs) else addr[i]
                sizes[i] = max(nxt - addr[i], 0)
            self._size = sizes
        self._by_name: dict[str, list[int]] | None = None
        self._by_base: dict[str, list[int]] | None = None
        self._name_hashes: Sequence[int] | None = hashes[0] if hashes else None
        self._base_hashes: Sequence[int] | None = hashes[1] if hashes else None
        self._memo: dict[str, list[int]] = {}

    # --- per-symbol access -----------------------------------------------------------------

    def _name(self, i: int) -> str:
        if self._names is not None:
            return self._names[i]
        off = self._nameoff[i]
        end = self._strtab.find(b"\0", off)
        return str(self._strtab[off:end].decode("utf-8", "replace"))

    def _sym(self, i: int) -> Sym:
        size = self._size[i]
        addr = self._addr[i]
        if not size:  # an alias without a size takes the size of the symbol at its address
            j = bisect.bisect_left(self._addrs, addr)
            if j < len(self._addrs) and self._addrs[j] == addr:
                size = self._size[self._ai[j]]
        if self._names is not None:
            assert self._kinds is not None and self._glob is not None
            assert self._sections is not None and self._modules is not None
            return Sym(self._names[i], addr, size, self._kinds[i], self._sections[i],
                       self._glob[i], self._modules[i])
        info = self._info[i]
        return Sym(self._name(i), addr, size, _STT_NAMES.get(info & 0xF, str(info & 0xF)),
                   self._secnames.get(self._shndx[i]), info >> 4 != 0)

    def __len__(self) -> int:
        return len(self._ai)

    def __iter__(self) -> Iterator[Sym]:
        return (self._sym(i) for i in self._ai)

    def at(self, addr: int) -> Sym | None:
        """The symbol at or below ``addr`` (which may still be past its end: check ``size``)."""
        j = bisect.bisect_right(self._addrs, addr) - 1
        if j < 0:
            return None
        return self._sym(self._ai[j])

    def next_after(self, sym: Sym) -> Sym | None:
        j = bisect.bisect_right(self._addrs, sym.addr)
        return self._sym(self._ai[j]) if j < len(self._ai) else None

    # --- name lookups ----------------------------------------------------------------------

    def _text_indexes(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        if self._by_name is None or self._by_base is None:
            assert self._names is not None
            by_name: dict[str, list[int]] = {}
            by_base: dict[str, list[int]] = {}
            for i, nm in enumerate(self._names):
                by_name.setdefault(nm, []).append(i)
                if "." in nm or nm.startswith(NVHE_PREFIX):
                    b = base_name(nm)
                    if b != nm:
                        by_base.setdefault(b, []).append(i)
            self._by_name, self._by_base = by_name, by_base
        return self._by_name, self._by_base

    @property
    def _shift(self) -> int:
        return max(len(self._addr) - 1, 1).bit_length()

    def _hashes(self) -> tuple[Sequence[int], Sequence[int]]:
        """Sorted ``crc32(name) << shift | i`` for names and for clone base names: bisectable.

        Built once per vmlinux and kept in the on-disk index, so a warm run
        finds a name in O(log n) without decoding the string table.
        """
        if self._name_hashes is None or self._base_hashes is None:
            shift = self._shift
            strs = self._strtab
            names: list[int] = []
            bases: list[int] = []
            for i, off in enumerate(self._nameoff):
                raw = strs[off:strs.find(b"\0", off)]
                names.append(zlib.crc32(raw) << shift | i)
                if b"." in raw or raw.startswith(_NVHE_BYTES):
                    b = base_name(raw.decode("utf-8", "replace"))
                    bases.append(zlib.crc32(b.encode("utf-8")) << shift | i)
            names.sort()
            bases.sort()
            self._name_hashes, self._base_hashes = names, bases
        return self._name_hashes, self._base_hashes

    def _by_hash(self, table: Sequence[int], key: str) -> list[int]:
        shift = self._shift
        h = zlib.crc32(key.encode("utf-8"))
        k = bisect.bisect_left(table, h << shift)
        out = []
        while k < len(table) and table[k] >> shift == h:
            out.append(table[k] & ((1 << shift) - 1))
            k += 1
        return out

    def _named_idx(self, name: str) -> list[int]:
        hit = self._memo.get(name)
        if hit is None:
            hit = self._named_idx_uncached(name)
            if len(self._memo) > 4096:  # bounded: a long-lived process sees many names
                self._memo.clear()
            self._memo[name] = hit
        return list(hit)

    def _named_idx_uncached(self, name: str) -> list[int]:
        if self._names is not None:
            return list(self._text_indexes()[0].get(name, ()))
        return [i for i in self._by_hash(self._hashes()[0], name) if self._name(i) == name]

    def _base_idx(self, base: str) -> list[int]:
        """Symbols whose name reduces to ``base`` (clone suffixes, nVHE prefix)."""
        if self._names is not None:
            return list(self._text_indexes()[1].get(base, ()))
        return [i for i in self._by_hash(self._hashes()[1], base) if base_name(self._name(i)) == base]

    def named(self, name: str) -> list[Sym]:
        return [self._sym(i) for i in self._named_idx(name)]

    def gap(self, sym: Sym) -> int:
        """Bytes from ``sym`` to the next symbol: the size kallsyms prints (padding included)."""
        nxt = self.next_after(sym)
        return nxt.addr - sym.addr if nxt is not None else sym.size

    def size_matches(self, sym: Sym, printed: int) -> bool:
        """Whether a printed ``/size`` fits ``sym``: kallsyms measures to the next symbol,
        so it may exceed st_size by alignment padding, never fall short of it."""
        if not sym.size or printed == sym.size:
            return True
        return sym.size <= printed <= max(self.gap(sym), sym.size)

    def find(self, name: str, size: int | None = None, module: str | None = None) -> list[Sym]:
        """Candidates for a printed name, best first.

        Tries the exact name, then with the nVHE prefix added or removed, then
        clone-suffix variants; among several, those whose size equals the printed
        size come first (duplicate static functions in different files).
        """
        tries = [name]
        if name.startswith(NVHE_PREFIX):
            tries.append(name.removeprefix(NVHE_PREFIX))
        else:
            tries.append(NVHE_PREFIX + name)
        found: list[Sym] = []
        for t in tries:
            found = self.named(t)
            if found:
                break
        if not found:
            b = base_name(name)
            found = [self._sym(i) for i in self._base_idx(b)] + (self.named(b) if b != name else [])
        if module is not None:
            found = [s for s in found if s.module in (None, module)]
        if size is not None:
            found.sort(key=lambda s: (s.size != size, not self.size_matches(s, size),
                                      _rank(s.is_code, s.is_global, s.size)))
        else:
            found.sort(key=lambda s: _rank(s.is_code, s.is_global, s.size))
        return found

    def range(self) -> tuple[int, int] | None:
        if not self._ai:
            return None
        last = self._sym(self._ai[-1])
        return self._addrs[0], last.end


def _keep(name: str) -> bool:
    if not name or (name.startswith(("$x", "$d")) and (len(name) == 2 or name[2] == ".")):
        return False
    return not name.startswith(".L")


_INDEX_VERSION = 4


def _index_path(image: ImageLike) -> str | None:
    bid = image.build_id
    if not bid or not re.fullmatch(r"[0-9a-f]{8,80}", bid):
        return None
    base = os.environ.get("A64TRIAGE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "a64triage")
    return os.path.join(base, "index", f"{bid}.symtab")


def _unpack(raw: object) -> array[int]:
    """A column of the index: kept as an ``array`` (no per-item objects until used)."""
    if not isinstance(raw, bytes):
        raise TypeError("index column is not bytes")
    col = array("Q")
    col.frombytes(raw)
    return col


def _load_index(image: ImageLike, path: str, strs: bytes) -> SymbolTable | None:
    try:
        with open(path, "rb") as fh:
            doc = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(doc, tuple) and len(doc) == 12 and doc[0] == _INDEX_VERSION
            and doc[1] == image.file_size and doc[2] == len(strs)):
        return None
    try:
        addr, size, info, shndx, nameoff, best, addrs, names, bases = (_unpack(b) for b in doc[3:])
    except (TypeError, ValueError):
        return None
    secnames = {s.index: s.name for s in image.sections}
    return SymbolTable.from_elf_columns(image.path, addr, size, info, shndx, nameoff, strs,
                                        secnames, None, best, addrs, (names, bases))


def _save_index(image: ImageLike, path: str, strs: bytes, table: SymbolTable) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as fh:
            marshal.dump((_INDEX_VERSION, image.file_size, len(strs),
                          *(array("Q", col).tobytes() for col in table.elf_columns())), fh)
        os.replace(tmp, path)
    except OSError:
        pass  # the index is an optimisation only


def from_elf(image: ImageLike, layout: dict[str, int] | None = None, *,
             cache: bool = False) -> SymbolTable:
    """All named code/data symbols of ``.symtab`` (mapping and section symbols dropped).

    ``layout`` (section name -> address) places the symbols of a relocatable
    object, whose values are section offsets.  ``cache`` keeps the sorted table
    in ``~/.cache/a64triage/index/<build-id>.symtab`` (marshal, not pickle: plain
    lists of ints only) so that the next run loads it without sorting.
    """
    tab = image.section(".symtab") or image.section(".dynsym")
    if tab is None or tab.entsize not in (0, 24):
        return SymbolTable((), SymSource.ELF, image.path)
    strtab = image.sections[tab.link] if 0 < tab.link < len(image.sections) else None
    if strtab is None:
        raise InputError(image.path, f"{tab.name} has no string table")
    strs = image.section_data(strtab)
    index = _index_path(image) if cache and layout is None else None
    if index is not None:
        table = _load_index(image, index, strs)
        if table is not None:
            return table
    data = image.section_data(tab)
    n = len(data) // 24
    words = memoryview(data[: n * 24]).cast("Q")
    w0 = words[0::3].tolist()  # st_name | st_info << 32 | st_other << 40 | st_shndx << 48
    values = words[1::3].tolist()
    sizes = words[2::3].tolist()
    secnames = {s.index: s.name for s in image.sections}
    bases = [layout.get(secnames.get(i, ""), -1) for i in range(len(image.sections))] \
        if layout is not None else None
    limit = len(strs)
    addr: list[int] = []
    size: list[int] = []
    info: list[int] = []
    shndx: list[int] = []
    nameoff: list[int] = []
    keys: list[int] = []
    for w, value, sz in zip(w0, values, sizes, strict=True):
        stt = (w >> 32) & 0xF
        sh = w >> 48
        if stt == 3 or stt == 4 or sh == 0 or (sh >= _SHN_LORESERVE and sh != _SHN_ABS):
            continue
        off = w & 0xFFFFFFFF
        if off >= limit:
            raise InputError(image.path, "symbol name offset beyond the string table")
        first = strs[off]
        if first == 0x24 or first == 0 or (first == 0x2E and strs[off + 1] == 0x4C):  # $x $d .L
            continue
        if bases is not None:
            base = bases[sh] if sh < len(bases) else -1
            if base < 0:
                continue
            value += base
        inf = (w >> 32) & 0xFF
        addr.append(value)
        size.append(sz)
        info.append(inf)
        shndx.append(sh)
        nameoff.append(off)
        # _rank(): FUNC first, then global, then sized
        keys.append(value * 8 + (0 if stt == _STT_FUNC else 4) + (0 if inf >> 4 else 2) + (0 if sz else 1))
    table = SymbolTable.from_elf_columns(image.path, addr, size, info, shndx, nameoff, strs,
                                         secnames, keys)
    if index is not None:
        _save_index(image, index, strs, table)
    return table


_MAP_LINE = re.compile(r"^([0-9a-fA-F]{8,16})\s+([A-Za-z?])\s+(\S+)(?:\s+\[(\S+)\])?\s*$")


def from_text(path: str, text: str) -> SymbolTable:
    """System.map or a /proc/kallsyms dump (``addr type name [module]`` per line).

    A dump taken without privilege has all addresses zero: that is rejected,
    since every lookup would be wrong.
    """
    syms: list[Sym] = []
    kallsyms = False
    bad = 0
    for line in text.splitlines():
        m = _MAP_LINE.match(line)
        if m is None:
            if line.strip():
                bad += 1
            continue
        addr, letter, name, mod = int(m.group(1), 16), m.group(2), m.group(3), m.group(4)
        if mod is not None:
            kallsyms = True
        if letter in "aAUuNn" or not _keep(name) or addr == 0xFFFFFFFFFFFFFFFF:
            continue
        syms.append(Sym(name, addr, 0, letter, None, letter.isupper(), mod))
    if not syms:
        raise InputError(path, "no symbols found (not a System.map or kallsyms dump)")
    if all(s.addr == 0 for s in syms):
        raise InputError(path, "all addresses are zero (kallsyms read without CAP_SYSLOG / kptr_restrict)")
    if bad > len(syms):
        raise InputError(path, "mostly not symbol lines (not a System.map or kallsyms dump)")
    kallsyms = kallsyms or path.endswith("kallsyms")
    return SymbolTable(syms, SymSource.KALLSYMS if kallsyms else SymSource.SYSTEM_MAP, path)


def load_text(path: str) -> SymbolTable:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(256 * 1024 * 1024)
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot read") from exc
    return from_text(path, text)
