"""Where the debug files of a kernel build come from: one way in for every command.

A command (or the vmcore reader) describes the build it needs, a ``BuildQuery``
(the vmlinux GNU build id, the release ``uname -r`` prints, the ``linux_banner``
text), and ``find_debug_files`` answers with the files, ``DebugFiles``, whatever
their source.  Sources, tried in this order (the cheap and certain first):

1. the paths the user gave (``--vmlinux``),
2. files already on this machine: our cache (``buildid/<id>/``, ``release/<rel>/``),
   separate debug trees by build id (``/usr/lib/debug/.build-id/xx/yyyy.debug``,
   GDB's layout), and by release the places distributions install them
   (``/usr/lib/debug/boot/vmlinux-REL`` ...),
3. debuginfod servers by build id (``debuginfod``: elfutils' protocol),
4. the distribution's debug package by release (``debian``, with ``fetch``).

Whatever the source, a vmlinux whose build id or banner disagrees with the
query is refused (``force`` uses it anyway): symbolizing against another build
gives plausible, wrong file:line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from a64triage.errors import InputError

# lib/dump_stack.c dump_stack_print_info() (v5.14+, CONFIG_STACKTRACE_BUILD_ID appends
# BUILD_ID_FMT " %20phN"): "CPU: 0 PID: 88 Comm: init Tainted: G  OE  6.1.0-56-cloud-arm64
# #1 Debian 6.1.192-2 <40 hex digits>"; v6.10+ prints "CPU: 0 UID: 0 PID: ...".
# The patterns start with their literal (no \b): sre then skips to each occurrence of it,
# where a leading \b makes it try every position (a batch reads every log's build: 10x).
_CPU_LINE = re.compile(r"CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: .{0,20}? (?:Not tainted|Tainted: [A-Z ]*?)"
                       r"\s*(?P<release>\d+\.\d+\S*)(?P<rest>[^\n]*)")
_BUILD_ID = re.compile(r"(?<![0-9a-f])([0-9a-f]{40})\s*$")
# init/version.c linux_banner: "Linux version REL (builder) (compiler) #N ..."
_BANNER = re.compile(r"Linux version (?P<release>\S+) \((?P<rest>[^\n]*)")
# lib/vsprintf.c %pSb (kernel/kallsyms.c sprint_backtrace_build_id): "func+off/size [mod <id>]"
_MODULE_BUILD_ID = re.compile(r"\[(?P<mod>[\w-]{1,64}) (?P<id>[0-9a-f]{40})\]")
_HEX_ID = re.compile(r"[0-9a-f]{8,80}")
LOCAL_DEBUG_ROOT = Path("/usr/lib/debug")


def default_cache_dir() -> Path:
    """``$A64TRIAGE_CACHE``, else ``$XDG_CACHE_HOME/a64triage``, else ``~/.cache/a64triage``."""
    from a64triage.symbols.files import cache_dir

    return Path(cache_dir())


def env_debuginfod_urls() -> tuple[str, ...]:
    """``DEBUGINFOD_URLS``: space-separated server URLs (elfutils' convention)."""
    return tuple(u for u in os.environ.get("DEBUGINFOD_URLS", "").split() if u)


@dataclass(frozen=True)
class BuildQuery:
    """The kernel build whose debug files are wanted; any field may be unknown."""

    build_id: str | None = None  # hex GNU build id of vmlinux
    release: str | None = None  # uname -r
    banner: str | None = None  # linux_banner text ("Linux version ...")
    modules: tuple[tuple[str, str], ...] = ()  # (module name, its build id) from "[mod <id>]" frames

    def describe(self) -> str:
        parts = [f"build id {self.build_id}" if self.build_id else "",
                 f"release {self.release}" if self.release else ""]
        return ", ".join(p for p in parts if p) or "an unknown build"


@dataclass(frozen=True)
class DebugFiles:
    """The debug files of one build; ``origin`` says where they came from."""

    vmlinux: Path
    modules: tuple[Path, ...] = ()  # directories (or files) holding its modules
    origin: str = ""  # "path", "cache", "local", "debuginfod <url>", "debian <package>"


@dataclass(frozen=True)
class SourceOptions:
    """What the user allowed and gave: explicit paths, servers, network, cache."""

    vmlinux: Path | None = None
    modules: tuple[Path, ...] = ()
    debug_dirs: tuple[Path, ...] = ()
    debuginfod_urls: tuple[str, ...] = field(default_factory=env_debuginfod_urls)
    offline: bool = False  # use nothing but files already here (the cache included)
    fetch: bool = False  # may download the distribution's debug package by release
    cache_dir: Path = field(default_factory=default_cache_dir)
    force: bool = False  # use a vmlinux that does not match the query
    local_roots: tuple[Path, ...] = (Path("/"),)  # where distribution paths are looked for


@dataclass(frozen=True)
class SymbolRequest:
    """The symbol-source options as plain data: what a command asked for, before any log is read.

    It travels to batch workers (pickled, on Dask to other machines), so the defaults that
    depend on the machine (``cache_dir``, ``debuginfod_urls``: None) are taken where the
    lookup runs.  ``release`` is ``"auto"`` for each log's own release."""

    vmlinux: Path | None = None
    modules: tuple[Path, ...] = ()
    debug_dirs: tuple[Path, ...] = ()
    release: str | None = None  # REL, "auto", or None
    build_id: str | None = None  # valid hex (``valid_build_id``)
    debuginfod_urls: tuple[str, ...] | None = None  # None: $DEBUGINFOD_URLS where it runs
    offline: bool = False
    fetch: bool = False
    cache_dir: Path | None = None  # None: default_cache_dir() where it runs
    force: bool = False

    def check(self) -> None:
        """Options that cannot work fail before any log is read, one line each."""
        rel = self.release
        if rel is not None and rel != "auto" and (not rel or "/" in rel or rel.startswith(".")):
            raise InputError("--kernel-release", f"{rel!r} is not a kernel release")
        if self.build_id is not None:
            valid_build_id(self.build_id)
        if self.vmlinux is not None and not self.vmlinux.is_file():
            raise InputError(str(self.vmlinux), "no such file")
        for flag, dirs in (("--debug-dir", self.debug_dirs), ("--modules", self.modules)):
            for d in dirs:
                if not d.is_dir():
                    raise InputError(f"{flag} {d}", "no such directory")
                if not os.access(d, os.R_OK | os.X_OK):
                    raise InputError(f"{flag} {d}", "cannot read the directory")

    @property
    def _names_build(self) -> bool:
        """A vmlinux, a release or a build id was given: every log is looked up."""
        return bool(self.vmlinux or self.release or self.build_id)

    @property
    def explicit(self) -> bool:
        """A source was named: a failing lookup is the user's error, not a note."""
        return bool(self._names_build or self.debug_dirs or self.debuginfod_urls)

    def _by_build_id(self) -> bool:
        """A build id the log prints is worth a lookup: a debug tree or a server to ask."""
        return bool(self.debug_dirs or (not self.offline and (self.debuginfod_urls or env_debuginfod_urls())))

    def may_look(self) -> bool:
        """Whether any log could need a lookup (else its build need not even be read)."""
        return self._names_build or self._by_build_id()

    def options(self) -> SourceOptions:
        return SourceOptions(
            vmlinux=self.vmlinux, modules=self.modules, debug_dirs=self.debug_dirs,
            debuginfod_urls=self.debuginfod_urls or env_debuginfod_urls(), offline=self.offline,
            fetch=self.fetch, cache_dir=self.cache_dir or default_cache_dir(), force=self.force)

    def query(self, text: str) -> BuildQuery:
        """The build asked for: the options, else what the log says (its release only with auto)."""
        logged = log_query(text)
        release = self.release
        if release == "auto":
            release = logged.release
            if release is None:
                raise InputError("--kernel-release auto", "the log prints no release "
                                 "(no 'CPU: ... Comm:' line, no 'Linux version' banner): give REL")
        build_id = valid_build_id(self.build_id) if self.build_id else logged.build_id
        return BuildQuery(build_id, release or logged.release, logged.banner, logged.modules)

    def wants_lookup(self, q: BuildQuery) -> bool:
        """Whether to look for debug files at all: a path, a release or a build id was given,
        or the log carries a build id and a debug tree or debuginfod server is there to ask."""
        return self._names_build or bool(q.build_id and self._by_build_id())


def log_query(text: str) -> BuildQuery:
    """What a console log says about its build: the ``CPU: ... Comm:`` line (release and,
    with CONFIG_STACKTRACE_BUILD_ID, the build id) and the boot banner."""
    build_id = release = banner = None
    for m in _CPU_LINE.finditer(text):
        if not _word_start(text, m.start()):
            continue
        release = release or m.group("release")
        bid = _BUILD_ID.search(m.group("rest"))
        if bid:
            build_id = bid.group(1)
            break
    bm = next((m for m in _BANNER.finditer(text) if _word_start(text, m.start())), None)
    if bm:
        banner = bm.group(0).strip()
        release = release or bm.group("release")
    return BuildQuery(build_id, release, banner, tuple(module_build_ids(text).items()))


def _word_start(text: str, at: int) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_")


def module_build_ids(text: str) -> dict[str, str]:
    """Module name -> build id, from ``[mod <build id>]`` frames."""
    return {m.group("mod").replace("-", "_"): m.group("id") for m in _MODULE_BUILD_ID.finditer(text)}


def valid_build_id(value: str) -> str:
    v = value.strip().lower()
    if not _HEX_ID.fullmatch(v) or len(v) % 2:
        raise InputError("--build-id", f"{value!r} is not a hex GNU build id")
    return v


# --- the matching check -----------------------------------------------------------------


def mismatch(path: Path, query: BuildQuery) -> str | None:
    """Why the vmlinux at ``path`` is not the build asked for (None when it may be)."""
    from a64triage.symbols import kernel

    have, banner = _identity(path)
    if query.build_id and have:
        if have != query.build_id:
            return f"its build id is {have}, the log needs {query.build_id}"
        return None
    if not query.release and not query.banner:
        return None
    if banner is None:
        return None  # nothing to compare: the symbol-level checks still warn
    rel = kernel.banner_release(banner)
    if query.release and rel and rel != query.release:
        return f"it is release {rel}, the log needs {query.release}"
    if query.banner:
        wanted = query.banner.split(" (", 1)[0]
        missing = [t for t in kernel.version_tokens(query.banner) if t not in banner]
        if missing:
            return f"its banner lacks {' '.join(missing)}: the log needs \"{wanted} ... {' '.join(missing)}\""
    return None


_IDENTITIES: dict[tuple[str, int, int], tuple[str | None, str | None]] = {}


def _identity(path: Path) -> tuple[str | None, str | None]:
    """A vmlinux's build id and ``linux_banner``, read once per file and process: a batch
    checks one --vmlinux against every build its corpus names (10 ms each to read)."""
    from a64triage.symbols import kernel
    from a64triage.symbols.rawelf import RawElf

    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    found = _IDENTITIES.get(key)
    if found is None:
        with RawElf(str(path)) as image:
            found = (image.build_id, kernel.banner_of(image))
        if len(_IDENTITIES) >= 64:
            _IDENTITIES.clear()
        _IDENTITIES[key] = found
    return found


def _checked(path: Path, query: BuildQuery, options: SourceOptions, origin: str) -> DebugFiles:
    why = None if options.force else mismatch(path, query)
    if why:
        raise InputError(str(path), f"not the kernel that printed the log: {why} (--force to use it anyway)")
    return DebugFiles(path, _module_dirs(path, query, options) + _modules_by_build_id(query, options),
                      origin)


def _modules_by_build_id(query: BuildQuery, options: SourceOptions) -> tuple[Path, ...]:
    """Directories holding ``NAME.ko`` debug files of the modules the log names with a build id:
    from the debug trees, the cache or debuginfod (a module not found stays a warning)."""
    out: list[Path] = []
    for name, bid in query.modules:
        found = next((p for p in build_id_paths(bid, options) if p.is_file()), None)
        if found is None and options.debuginfod_urls and not options.offline:
            from a64triage.symbols import debuginfod

            try:
                found = debuginfod.fetch(bid, "debuginfo", options).path
            except InputError:
                continue  # reported as "module NAME not found" when its frames are symbolized
        if found is None:
            continue
        link = options.cache_dir / "modules" / bid / f"{name}.ko"
        try:
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() and not link.exists():  # its target was removed from the cache
                link.unlink()
            if not link.exists():
                link.symlink_to(found.resolve())
        except OSError:
            continue
        out.append(link.parent)
    return tuple(out)


def _module_dirs(vmlinux: Path, query: BuildQuery, options: SourceOptions) -> tuple[Path, ...]:
    """Module trees that go with a vmlinux: the user's, then the release's debug and module trees."""
    dirs = list(options.modules)
    rel = query.release
    if rel:
        # a vmlinux unpacked from a package: <root>/usr/lib/debug/boot/vmlinux-REL
        for root in dict.fromkeys([*options.local_roots, *_package_root(vmlinux)]):
            for d in (root / "usr/lib/debug/lib/modules" / rel, root / "lib/modules" / rel):
                if d.is_dir():
                    dirs.append(d)
    return tuple(dict.fromkeys(dirs))


def _package_root(vmlinux: Path) -> list[Path]:
    parts = vmlinux.parts
    for i in range(len(parts) - 3):
        if parts[i:i + 3] == ("usr", "lib", "debug"):
            return [Path(*parts[:i]) if i else Path("/")]
    return []


# --- the sources --------------------------------------------------------------------------


def build_id_paths(build_id: str, options: SourceOptions) -> list[Path]:
    """Where a file with this build id would already be: our cache, then debug trees."""
    out = [options.cache_dir / "buildid" / build_id / "debuginfo"]
    for root in (*options.debug_dirs, *(r / "usr/lib/debug" for r in options.local_roots)):
        out.append(root / ".build-id" / build_id[:2] / f"{build_id[2:]}.debug")
    return out


def release_paths(release: str, options: SourceOptions) -> list[Path]:
    """Where distributions put the vmlinux of a release (Debian/Ubuntu, Fedora, a build tree),
    then our cache of fetched packages."""
    out: list[Path] = []
    for root in options.local_roots:
        out += [root / "usr/lib/debug/boot" / f"vmlinux-{release}",
                root / "usr/lib/debug/lib/modules" / release / "vmlinux",
                root / "boot" / f"vmlinux-{release}",
                root / "lib/modules" / release / "build/vmlinux"]
    name = Path("usr/lib/debug/boot") / f"vmlinux-{release}"
    out.append(options.cache_dir / "release" / release / name)
    # trees scripts/debian_kernel.py unpacked (debian/<abi>/dbg/)
    out += sorted((options.cache_dir / "debian").glob(f"*/dbg/{name}"))
    return out


def _first_match(paths: Iterable[Path], query: BuildQuery, options: SourceOptions,
                 origin: Callable[[Path], str], refused: list[str]) -> DebugFiles | None:
    for p in paths:
        if not p.is_file():
            continue
        try:
            return _checked(p, query, options, origin(p))
        except InputError as exc:
            refused.append(str(exc))
    return None


def _fetched(url: str) -> str:
    """A file debuginfod.fetch found in the cache (another process fetched it meanwhile) is the cache's."""
    return "cache" if url == "cache" else f"debuginfod {url}"


def _origin(options: SourceOptions) -> Callable[[Path], str]:
    def name(p: Path) -> str:
        return "cache" if options.cache_dir in p.parents else "local"
    return name


def find_debug_files(query: BuildQuery, options: SourceOptions | None = None) -> DebugFiles:
    """The vmlinux (with DWARF when it can be had) and module trees of the build ``query``
    describes; an ``InputError`` saying what is missing and how to get it."""
    options = options or SourceOptions()
    if options.vmlinux is not None:
        path = options.vmlinux
        if not path.is_file():
            raise InputError(str(path), "no such file")
        return _with_dwarf(_checked(path, query, options, "path"), query, options)
    refused: list[str] = []
    if query.build_id:
        found = _first_match(build_id_paths(query.build_id, options), query, options,
                             _origin(options), refused)
        if found:
            return found
    if query.release:
        found = _first_match(release_paths(query.release, options), query, options,
                             _origin(options), refused)
        if found:
            return found
    if query.build_id and options.debuginfod_urls and not options.offline:
        from a64triage.symbols import debuginfod

        got = debuginfod.fetch(query.build_id, "debuginfo", options)
        return _checked(got.path, query, options, _fetched(got.url))
    if query.release and options.fetch and not options.offline:
        from a64triage.symbols import debian

        tree = debian.fetch_dbg(query.release, options.cache_dir / "release" / query.release)
        found = _first_match(release_paths(query.release, options), query, options,
                             lambda _p: f"debian {debian.dbg_package(query.release or '')}", refused)
        if found:
            return found
        raise InputError(str(tree), f"the debug package for {query.release} has no vmlinux")
    raise InputError("vmlinux", _missing(query, options, refused))


def _missing(query: BuildQuery, options: SourceOptions, refused: list[str]) -> str:
    """One line: what was looked for, and the option that would get it."""
    if refused:
        return refused[0]
    if query.build_id is None and query.release is None:
        return ("the log names no kernel build (no 'CPU: ... Comm:' line or banner): "
                "give --vmlinux, --kernel-release REL or --build-id ID")
    what = query.describe()
    if options.offline:
        return f"no debug files for {what} in the cache ({options.cache_dir}) or on this machine (--offline)"
    hints = []
    if query.build_id and not options.debuginfod_urls:
        hints.append("--debuginfod URL (or DEBUGINFOD_URLS)")
    if query.release and not options.fetch:
        hints.append("--fetch (Debian's debug package)")
    hints.append("--vmlinux FILE")
    return f"no vmlinux with debug info for {what} on this machine: try {' or '.join(hints)}"


def _with_dwarf(files: DebugFiles, query: BuildQuery, options: SourceOptions) -> DebugFiles:
    """A stripped vmlinux given by path: its DWARF by its build id from the cache, the debug
    trees or a debuginfod server (the stripped file still gives the symbols if none)."""
    from a64triage.symbols.rawelf import RawElf

    with RawElf(str(files.vmlinux)) as image:
        if image.has_dwarf or not image.build_id:
            return files
        bid = image.build_id
    for p in build_id_paths(bid, options):
        if p.is_file():
            return DebugFiles(p, files.modules, f"{files.origin} + {_origin(options)(p)}")
    if options.debuginfod_urls and not options.offline:
        from a64triage.symbols import debuginfod

        got = debuginfod.fetch(bid, "debuginfo", options)
        return DebugFiles(got.path, files.modules, f"{files.origin} + {_fetched(got.url)}")
    return files
