"""Symbol tables from an ELF ``.symtab``, a System.map or a /proc/kallsyms dump.

Oops text names code as ``func+off/size``; this module turns such a name back
into an address (disambiguating duplicate local names by size, matching
compiler clone suffixes and the nVHE ``__kvm_nvhe_`` prefix) and an address back
into the symbol containing it.  A distribution vmlinux has ~150,000 symbols
and an oops names ~30, so nothing is done per symbol in Python on the way to
the first answer: ``.symtab`` is filtered and split into columns with bulk
operations (``from_elf``), a name is found by searching ``.strtab`` itself and
decoded only when its symbol is returned, and the address order is one sort,
built on the first address lookup.  The order, and from a kernel's second run
on name hash tables, are kept in an index keyed by build-id.  A command has
helper processes (``warmup``) look the log's names up beside it and write the
index and its hash tables.  On Debian's vmlinux: ~50 ms to open, ~35 ms for
the order, ~2 ms per name searched (see bench/symbolize_bench.py).
"""

from __future__ import annotations

import bisect
import marshal
import os
import re
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain, compress
from operator import itemgetter, ne
from typing import TYPE_CHECKING

from a64triage.errors import InputError
from a64triage.symbols import helperpipe
from a64triage.symbols.rawelf import STT_NAMES, RawElf, cstr, text

if TYPE_CHECKING:
    from a64triage.symbols.image import ImageLike

# Prefix of nVHE hyp symbols in vmlinux (arch/arm64/include/asm/hyp_image.h: kvm_nvhe_sym()).
NVHE_PREFIX = "__kvm_nvhe_"

_NVHE_BYTES = NVHE_PREFIX.encode()

# Compiler clone / split suffixes (GCC: .constprop.N, .isra.N, .part.N, .cold[.N];
# clang ThinLTO: .llvm.<hash>).  kallsyms prints them; some kernels strip .llvm.*.
_CLONE_SUFFIX = re.compile(r"(\.(?:constprop|isra|part|cold|llvm|lto_priv|localalias)(?:\.\d+)?)+$")


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

    Storage is columnar: ``addr``/``size``/``info``/``shndx`` sequences indexed
    by symbol number, names either decoded (text sources) or as ``.strtab``
    offsets (ELF), decoded lazily.  The address order is built on the first
    address lookup: a frame printed by name needs none unless its size must be
    checked against the next symbol.
    """

    _strtab: bytes = b""  # ELF tables: names are offsets into this
    _nameoff: Sequence[int] = ()
    _nameoff_raw: bytes = b""  # ELF: _nameoff as packed u32, searched with bytes.find
    _nameoff_set: set[int] | None = None  # ELF: the distinct _nameoff values, made on first use
    _info: Sequence[int] = ()  # st_info
    _shndx: Sequence[int] = ()
    _secnames: dict[int, str]
    _on_index: Callable[[SymbolTable], None] | None = None  # ELF: saves the on-disk index
    _hashes: tuple[Sequence[int], Sequence[int]] | None = None  # ELF: name, base-name hash tables
    _want_hashes = False  # ELF: build the hash tables on the first name lookup
    _helper: str | None = None  # ELF: this vmlinux's path while a command's helper looks names up

    def __init__(self, syms: Iterable[Sym], source: SymSource, origin: str) -> None:
        items = list(syms)
        self._setup(source, origin, [s.addr for s in items], [s.size for s in items],
                    kinds=[s.kind for s in items], glob=[s.is_global for s in items],
                    sections=[s.section for s in items], modules=[s.module for s in items],
                    names=[s.name for s in items])
        self._order()  # text sources: sizes come from the order

    @classmethod
    def from_elf_columns(cls, origin: str, addr: Sequence[int], size: Sequence[int],
                         info: Sequence[int], shndx: Sequence[int], nameoff: Sequence[int],
                         strtab: bytes, section_names: dict[int, str],
                         order: tuple[Sequence[int], Sequence[int]] | None = None,
                         hashes: tuple[Sequence[int], Sequence[int]] | None = None) -> SymbolTable:
        table = cls.__new__(cls)
        table._strtab = strtab
        table._nameoff = nameoff
        table._nameoff_raw = (nameoff if isinstance(nameoff, array) else array("I", nameoff)).tobytes()
        table._info = info
        table._shndx = shndx
        table._secnames = section_names
        table._hashes = hashes
        table._setup(SymSource.ELF, origin, addr, size, order=order)
        return table

    def elf_columns(self) -> tuple[Sequence[int], ...]:
        """What ``from_elf_columns`` needs to rebuild this table (for the on-disk index)."""
        order, in_order = self._order()
        names, bases = self._hashes or ((), ())
        return (self._addr, self._size, self._info, self._shndx, self._nameoff, order, in_order,
                names, bases)

    def _setup(self, source: SymSource, origin: str, addr: Sequence[int], size: Sequence[int], *,
               kinds: list[str] | None = None, glob: list[bool] | None = None,
               sections: list[str | None] | None = None, modules: list[str | None] | None = None,
               names: list[str] | None = None,
               order: tuple[Sequence[int], Sequence[int]] | None = None) -> None:
        self.source = source
        self.origin = origin
        self._addr = addr
        self._size = size
        self._kinds = kinds
        self._glob = glob
        self._sections = sections
        self._modules = modules
        self._names = names
        self._sorted = order
        self._by_name: dict[str, list[int]] | None = None
        self._by_base: dict[str, list[int]] | None = None
        self._memo: dict[str, list[int]] = {}

    def _order(self) -> tuple[Sequence[int], Sequence[int]]:
        """(symbol numbers, their addresses) sorted by address; aliases stay, by symbol number.

        Which alias stands for an address (``_best_at``) is decided per lookup
        among the few entries with that address, so building the order is one
        sort of the address column and nothing per symbol.
        """
        if self._sorted is not None:
            return self._sorted
        addr = self._addr
        order = sorted(range(len(addr)), key=addr.__getitem__)  # stable: ties by symbol number
        self._sorted = (order, list(map(addr.__getitem__, order)))
        if self.source is not SymSource.ELF:  # no sizes: a symbol ends where the next one starts
            sizes = list(self._size)
            firsts = self._firsts()
            for j, i in enumerate(firsts):
                nxt = addr[firsts[j + 1]] if j + 1 < len(firsts) else addr[i]
                sizes[i] = max(nxt - addr[i], 0)
            self._size = sizes
        if self._on_index is not None:
            self._on_index(self)
        return self._sorted

    def _rank_of(self, i: int) -> int:
        """``_rank()`` of symbol ``i`` (text sources give no sizes: all rank as unsized)."""
        if self._kinds is not None and self._glob is not None:
            return _rank(self._kinds[i] in _CODE_KINDS, self._glob[i], 0)
        return _INFO_RANK[self._info[i]] + (not self._size[i])

    def _best_at(self, j: int) -> int:
        """The symbol standing for the address at position ``j`` of the order: best-ranked alias."""
        order, in_order = self._order()
        v = in_order[j]
        lo = bisect.bisect_left(in_order, v)
        if lo + 1 == len(in_order) or in_order[lo + 1] != v:
            return order[lo]
        hi = bisect.bisect_right(in_order, v, lo)
        return min(order[lo:hi], key=lambda i: (self._rank_of(i), i))

    def _firsts(self) -> list[int]:
        """The symbol at each distinct address, by address."""
        in_order = self._order()[1]
        starts = compress(range(len(in_order)), map(ne, in_order, chain((None,), in_order)))
        return [self._best_at(j) for j in starts]

    # --- per-symbol access -----------------------------------------------------------------

    def _name(self, i: int) -> str:
        if self._names is not None:
            return self._names[i]
        return cstr(self._strtab, self._nameoff[i])

    def _sym(self, i: int) -> Sym:
        size = self._size[i]
        addr = self._addr[i]
        if not size:  # an alias without a size takes the size of the symbol at its address
            in_order = self._order()[1]
            j = bisect.bisect_left(in_order, addr)
            if j < len(in_order) and in_order[j] == addr:
                size = self._size[self._best_at(j)]
        if self._names is not None:
            assert self._kinds is not None and self._glob is not None
            assert self._sections is not None and self._modules is not None
            return Sym(self._names[i], addr, size, self._kinds[i], self._sections[i],
                       self._glob[i], self._modules[i])
        info = self._info[i]
        return Sym(self._name(i), addr, size, STT_NAMES.get(info & 0xF, str(info & 0xF)),
                   self._secnames.get(self._shndx[i]), info >> 4 != 0)

    def __len__(self) -> int:
        """Distinct symbol addresses."""
        return len(self._firsts())

    @property
    def is_empty(self) -> bool:
        """No symbols at all (cheaper than ``len()``: needs no address order)."""
        return not self._addr

    def __iter__(self) -> Iterator[Sym]:
        return (self._sym(i) for i in self._firsts())

    def at(self, addr: int) -> Sym | None:
        """The symbol at or below ``addr`` (which may still be past its end: check ``size``)."""
        j = bisect.bisect_right(self._order()[1], addr) - 1
        return self._sym(self._best_at(j)) if j >= 0 else None

    def next_after(self, sym: Sym) -> Sym | None:
        in_order = self._order()[1]
        j = bisect.bisect_right(in_order, sym.addr)
        return self._sym(self._best_at(j)) if j < len(in_order) else None

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

    def _with_name_at(self, offsets: Iterable[int]) -> list[int]:
        """Symbol numbers whose name starts at one of these ``.strtab`` offsets.

        Most offsets a search of ``.strtab`` finds are the tails of longer names
        (``panic`` in ``nmi_panic``) that no symbol points at: a set of the name
        offsets rules those out before the packed column is scanned for the rest.
        """
        if self._nameoff_set is None:
            self._nameoff_set = set(self._nameoff)
        known = self._nameoff_set
        raw = self._nameoff_raw
        out: list[int] = []
        for off in offsets:
            if off not in known:
                continue
            pat = off.to_bytes(4, "little")
            k = raw.find(pat)
            while k >= 0:  # bytes.find scans at memory speed; keep the aligned hits
                if not k & 3:
                    out.append(k >> 2)
                k = raw.find(pat, k + 1)
        return sorted(set(out))

    def _occurrences(self, needle: bytes) -> Iterator[int]:
        strs = self._strtab
        k = strs.find(needle)
        while k >= 0:
            yield k
            k = strs.find(needle, k + 1)

    def _memoized(self, key: str, compute: Callable[[], list[int]]) -> list[int]:
        """Name lookups are remembered (keys: a name, or NUL + a base name), and may have
        been done already by this command's helper process (``warmup``)."""
        hit = self._memo.get(key)
        if hit is None and self._helper is not None:
            self._take_helper_lookups()
            hit = self._memo.get(key)
        if hit is None:
            hit = compute()
            if len(self._memo) > 4096:  # bounded: a long-lived process sees many names
                self._memo.clear()
            self._memo[key] = hit
        return list(hit)

    def warm_up(self) -> None:
        """While a command's helper looks names up (``warmup``), build the address order
        that frames need for their size checks, rather than wait for its answers idle."""
        if self._helper is not None:
            self._order()

    def _take_helper_lookups(self) -> None:
        """Merge the lookups the helper made on its own copy of this table (same file, same
        columns), once: checked against the columns, ignored on any mismatch."""
        path, self._helper = self._helper, None
        raw = helperpipe.from_helper(path) if path is not None else None
        try:
            n, memo = marshal.loads(raw) if raw else (0, None)
        except (EOFError, ValueError, TypeError):
            return
        if n != len(self._addr) or not isinstance(memo, dict):
            return
        for key, idx in memo.items():
            if not (isinstance(key, str) and isinstance(idx, list)
                    and all(isinstance(i, int) and 0 <= i < n for i in idx)):
                return
            if not key.startswith("\0") and any(self._name(i) != key for i in idx):
                return
        self._memo.update(memo)

    def _named_idx(self, name: str) -> list[int]:
        return self._memoized(name, lambda: self._named_idx_uncached(name))

    def _name_hashes(self) -> tuple[Sequence[int], Sequence[int]] | None:
        """Sorted ``crc32(name) << 32 | i`` for names and for clone base names: bisectable.

        Built only for a build-id seen before (the table came from the on-disk
        index): decoding 150k names costs more than searching ``.strtab`` for the
        few names of one oops, so a first run never pays for it; the next runs
        of the same kernel (a CI job, a bisect) load it with the index.  A
        command's second run has its helper build it (``build_index``), a
        library user builds it at its first name lookup.
        """
        if self._hashes is None and self._want_hashes:
            strs = self._strtab
            names: list[int] = []
            bases: list[int] = []
            for i, off in enumerate(self._nameoff):
                raw = strs[off:strs.find(b"\0", off)]
                names.append(zlib.crc32(raw) << 32 | i)
                if b"." in raw or raw.startswith(_NVHE_BYTES):
                    b = base_name(text(raw))
                    if b.encode("utf-8") != raw:
                        bases.append(zlib.crc32(b.encode("utf-8")) << 32 | i)
            names.sort()
            bases.sort()
            self._hashes = (names, bases)
            self._want_hashes = False
            if self._on_index is not None:
                self._on_index(self)
        return self._hashes

    def _add_hashes(self) -> None:
        """Build the name hash tables now (and save them with the index)."""
        self._want_hashes = True
        self._name_hashes()

    @staticmethod
    def _by_hash(table: Sequence[int], key: str) -> list[int]:
        h = zlib.crc32(key.encode("utf-8"))
        k = bisect.bisect_left(table, h << 32)
        out = []
        while k < len(table) and table[k] >> 32 == h:
            out.append(table[k] & 0xFFFFFFFF)
            k += 1
        return out

    def _named_idx_uncached(self, name: str) -> list[int]:
        """Exact name.  ELF: through the hash table when there is one, else found in
        ``.strtab`` itself (a name may be the tail of a longer string, as linkers merge
        string tails), then the symbols that point there."""
        if self._names is not None:
            return list(self._text_indexes()[0].get(name, ()))
        if not name or "\0" in name:
            return []
        hashes = self._name_hashes()
        if hashes is not None:
            return [i for i in self._by_hash(hashes[0], name) if self._name(i) == name]
        return self._with_name_at(self._occurrences(name.encode("utf-8") + b"\0"))

    def _base_idx(self, base: str) -> list[int]:
        """Symbols whose name reduces to ``base`` (clone suffixes, nVHE prefix)."""
        if self._names is not None:
            return list(self._text_indexes()[1].get(base, ()))
        if not base or "\0" in base:
            return []
        return self._memoized("\0" + base, lambda: self._base_idx_uncached(base))

    def _base_idx_uncached(self, base: str) -> list[int]:
        hashes = self._name_hashes()
        if hashes is not None:
            return [i for i in self._by_hash(hashes[1], base) if base_name(self._name(i)) == base]
        raw = base.encode("utf-8")
        strs = self._strtab
        starts = set()
        for k in self._occurrences(raw + b"."):  # foo.constprop.0, maybe __kvm_nvhe_ before
            starts.add(k)
            if strs[k - len(_NVHE_BYTES):k] == _NVHE_BYTES:
                starts.add(k - len(_NVHE_BYTES))
        starts.update(self._occurrences(_NVHE_BYTES + raw + b"\0"))
        offsets = []
        for k in starts:
            nm = cstr(strs, k)
            if nm != base and base_name(nm) == base:
                offsets.append(k)
        return self._with_name_at(offsets)

    def named(self, name: str) -> list[Sym]:
        return [self._sym(i) for i in self._named_idx(name)]

    def gap(self, sym: Sym) -> int:
        """Bytes from ``sym`` to the next symbol: the size kallsyms prints (padding included)."""
        nxt = self.next_after(sym)
        return nxt.addr - sym.addr if nxt is not None else sym.size

    def size_matches(self, sym: Sym, printed: int, *, relocatable: bool = False) -> bool:
        """Whether a printed ``/size`` fits ``sym``: kallsyms measures to the next symbol,
        so it may exceed st_size by alignment padding, never fall short of it.

        In a relocatable object (a module) the last symbol of a section has no
        known neighbour: at run time the next symbol kallsyms sees is whatever the
        loader placed after the section (kernel/module/kallsyms.c
        find_kallsyms_symbol), so any size from st_size up fits.
        """
        if not sym.size or printed == sym.size:
            return True
        if printed < sym.size:
            return False
        if relocatable:
            nxt = self.next_after(sym)
            if nxt is None or nxt.section != sym.section:
                return True
        return printed <= max(self.gap(sym), sym.size)

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
        in_order = self._order()[1]
        if not in_order:
            return None
        return in_order[0], self._sym(self._best_at(len(in_order) - 1)).end


def _keep(name: str) -> bool:
    if not name or (name.startswith(("$x", "$d")) and (len(name) == 2 or name[2] == ".")):
        return False
    return not name.startswith(".L")


_INDEX_VERSION = 6
# addr size info shndx nameoff, the address order (symbol numbers, addresses), name and base hashes
_INDEX_CODES = ("Q", "Q", "B", "H", "I", "I", "Q", "Q", "Q")


def _index_path(image: ImageLike) -> str | None:
    bid = image.build_id
    if not bid or not re.fullmatch(r"[0-9a-f]{8,80}", bid):
        return None
    from a64triage.symbols.files import cache_dir

    return cache_dir("index", f"{bid}.symtab")


def _load_index(image: ImageLike, path: str, strs: bytes, source: str) -> SymbolTable | None:
    """The table saved by an earlier run for this build-id (None when absent or stale).

    ``source`` is the digest of the bytes the table is built from (``.symtab`` and
    its string table): a file rebuilt with the same build id but other symbols
    (a hand-made build id, a patched binary) gets a new table, not the old names.
    """
    try:
        with open(path, "rb") as fh:
            doc = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(doc, tuple) and len(doc) == 3 + len(_INDEX_CODES) and doc[0] == _INDEX_VERSION
            and doc[1] == source
            and all(isinstance(raw, bytes) for raw in doc[3:]) and doc[2] == _checksum(doc[3:])):
        return None  # other bytes, an older format, or damaged: rebuilt and saved again
    cols: list[array[int]] = []
    try:
        for code, raw in zip(_INDEX_CODES, doc[3:], strict=True):
            col = array(code)
            col.frombytes(raw)
            cols.append(col)
    except (TypeError, ValueError):
        return None
    addr, size, info, shndx, nameoff, order, in_order, names, bases = cols
    m = len(addr)
    if any(len(c) != m for c in (size, info, shndx, nameoff, order, in_order)) or len(bases) > m \
            or len(names) not in (0, m):
        return None
    secnames = {s.index: s.name for s in image.sections}
    table = SymbolTable.from_elf_columns(image.path, addr, size, info, shndx, nameoff, strs, secnames,
                                         (order, in_order), (names, bases) if names else None)
    table._on_index = _index_saver(path, source)
    if not names:  # a build-id seen before: worth a name hash table
        table._want_hashes = True  # built at the first name a command's helper did not look up
        table._helper = _helper_of(image)  # it looks the log's names up beside us, then adds them
    return table


def _checksum(cols: Iterable[bytes]) -> int:
    """Adler-32 over the columns: a damaged index is rebuilt, never trusted (it is our own file,
    so sizes and a checksum are check enough; adler32 runs at memory speed)."""
    value = 1
    for raw in cols:
        value = zlib.adler32(raw, value)
    return value


def _index_saver(path: str, source: str) -> Callable[[SymbolTable], None]:
    def save(table: SymbolTable) -> None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.tmp{os.getpid()}"
            cols = [(col if isinstance(col, array) else array(code, col)).tobytes()
                    for code, col in zip(_INDEX_CODES, table.elf_columns(), strict=True)]
            with open(tmp, "wb") as fh:
                marshal.dump((_INDEX_VERSION, source, _checksum(cols), *cols), fh)
            os.replace(tmp, path)
        except OSError:
            pass  # the index is an optimisation only
    return save


def _is(byte: int) -> bytes:
    """A ``bytes.translate`` table: 1 for ``byte``, 0 for the others."""
    return bytes(int(i == byte) for i in range(256))


# bytes.translate tables for the bulk filter in from_elf (each maps a byte to 0 or 1)
_STT_KEEP = bytes(0 if i & 0xF in (3, 4) else 1 for i in range(256))  # not SECTION / FILE
_NAME_KEEP = bytes(0 if i in (0, 0x24) else 1 for i in range(256))  # "" and $x/$d mapping symbols
_IS_DOT, _IS_ZERO, _IS_FF, _IS_F1 = (_is(c) for c in (0x2E, 0, 0xFF, 0xF1))
# _rank() of st_info: FUNC first (+4 otherwise), then global (+2 for local)
_INFO_RANK = bytes((0 if i & 0xF == _STT_FUNC else 4) + (2 if i >> 4 == 0 else 0) for i in range(256))


def from_elf(image: ImageLike, layout: dict[str, int] | None = None, *,
             cache: bool = False) -> SymbolTable:
    """All named code/data symbols of ``.symtab`` (mapping and section symbols dropped).

    ``layout`` (section name -> address) places the symbols of a relocatable
    object, whose values are section offsets.  ``cache`` keeps the columns,
    the address order and (from the second run on) name hash tables in
    ``~/.cache/a64triage/index/<build-id>.symtab`` (marshal of packed arrays, not
    pickle), written when they are first built.

    The symbol entries are filtered and split into columns in bulk: fields are
    strided ``memoryview`` slices, the keep/drop tests are ``bytes.translate``
    tables combined as big integers, and ``itertools.compress`` picks the kept
    entries; no Python code runs per symbol.
    """
    tab = image.section(".symtab") or image.section(".dynsym")
    if tab is None or tab.entsize not in (0, 24):
        return SymbolTable((), SymSource.ELF, image.path)
    strtab = image.sections[tab.link] if 0 < tab.link < len(image.sections) else None
    if strtab is None:
        raise InputError(image.path, f"{tab.name} has no string table")
    strs = image.section_data(strtab)
    n = tab.size // 24
    index = _index_path(image) if cache and layout is None else None
    source = image.digest((tab, strtab)) if index is not None else ""
    if index is not None:
        table = _load_index(image, index, strs, source)
        if table is not None:
            return table
    data = image.section_data(tab)
    mv = memoryview(data)[: n * 24]
    offs = mv.cast("I")[0::6].tolist()
    if not n or max(offs) >= len(strs):
        if n:
            raise InputError(image.path, "symbol name offset beyond the string table")
        return SymbolTable((), SymSource.ELF, image.path)
    info = mv[4::24].tobytes()
    lo, hi = mv[6::24].tobytes(), mv[7::24].tobytes()  # st_shndx
    padded = strs + b"\0"
    # first byte of each name (itemgetter of many indexes returns a tuple, of one a scalar)
    first = bytes(itemgetter(*offs)(padded)) if n > 1 else bytes([padded[offs[0]]])

    def bits(b: bytes, table: bytes) -> int:
        return int.from_bytes(b.translate(table), "little")

    ones = int.from_bytes(b"\x01" * n, "little")
    labels = bytearray(n)  # .L local labels: look at the second byte of names starting with "."
    for i in compress(range(n), first.translate(_IS_DOT)):
        labels[i] = padded[offs[i] + 1] == 0x4C
    drop = (int.from_bytes(labels, "little")
            | bits(lo, _IS_ZERO) & bits(hi, _IS_ZERO)  # SHN_UNDEF
            | bits(hi, _IS_FF) & (ones ^ bits(lo, _IS_F1)))  # SHN_LORESERVE.., but SHN_ABS
    keep_bits = bits(info, _STT_KEEP) & bits(first, _NAME_KEEP) & (ones ^ drop)
    keep = keep_bits.to_bytes(n, "little")
    q = mv.cast("Q")
    addr: list[int] = list(compress(q[1::3].tolist(), keep))
    size: list[int] = list(compress(q[2::3].tolist(), keep))
    shndx: list[int] = list(compress(mv.cast("H")[3::12].tolist(), keep))
    kinfo = bytes(compress(info, keep))
    nameoff: list[int] = list(compress(offs, keep))
    secnames = {s.index: s.name for s in image.sections}
    if layout is not None:  # relocatable object: place by section, drop unplaced sections
        bases = [layout.get(secnames.get(i, ""), -1) for i in range(len(image.sections))]
        placed = [i for i, sh in enumerate(shndx) if sh < len(bases) and bases[sh] >= 0]
        addr = [addr[i] + bases[shndx[i]] for i in placed]
        size, shndx, nameoff = ([col[i] for i in placed] for col in (size, shndx, nameoff))
        kinfo = bytes(kinfo[i] for i in placed)
    table = SymbolTable.from_elf_columns(image.path, addr, size, kinfo, shndx, nameoff, strs, secnames)
    if index is not None:
        table._helper = _helper_of(image)  # it looks names up beside us and saves the index
        if table._helper is None:
            table._on_index = _index_saver(index, source)
    return table


def _helper_of(image: ImageLike) -> str | None:
    """The path to take name lookups from (``SymbolTable._helper``): a command's helper's."""
    return image.path if helperpipe.has_helper(image.path) else None


def build_index(path: str, names: Iterable[str], send: Callable[[bytes], object]) -> None:
    """What a command's ``warmup`` helper does with its own copy of the symbol table: look
    ``names`` up (as the command will: same code, same columns) and ``send`` the results;
    then save the index for later runs: with its address order the first time, with
    the name hash tables the second.  Nothing to do when the cache is complete."""
    with RawElf(path) as image:
        table = from_elf(image, cache=True)
        if table._on_index is None or table._hashes is not None:  # no build-id, or nothing to add
            send(b"")
            return
        table._want_hashes = False  # not before the command has its answers
        for name in names:
            table.find(name)
        send(marshal.dumps((len(table._addr), table._memo)))
        if table._sorted is None:  # built here: save it with its address order
            table._order()
        else:  # loaded, a build-id seen before: add the name hash tables (saves it again)
            table._add_hashes()


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
