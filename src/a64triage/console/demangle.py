"""Readable names for mangled symbols in call traces (Rust and C++ code in the kernel).

Rust-for-Linux code is built with Rust's v0 mangling (``_RNvMs3_NtCs..._11rust_binder
7processNtB5_7Process10update_ref``) and kallsyms prints the mangled name; syzkaller
titles such a frame by its demangled path without parameters (``<rust_binder::process::
Process>::update_ref``), as it does C++ (Itanium ABI) names (``_Z8fakeNameiii`` ->
``fakeName``).  Written from the grammars: Rust RFC 2603 "Rust Symbol Name Mangling v0"
and the Itanium C++ ABI, section 5.1 "External Names".

Only what a title needs is decoded: paths, inherent and trait impls, closures, generic
arguments and the common types.  Anything else (punycode identifiers, function-pointer
and ``dyn`` types, C++ templates and substitutions...) gives ``None``: the caller keeps
the name as printed.  Every read moves forward except v0 back-references, which point
strictly backwards; nesting depth and the number of paths and types read are bounded
(a budget linear in the name's length), so hostile names cost linear time.
"""

from __future__ import annotations

_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# v0 <basic-type> letters (RFC 2603, "Basic types").
_BASIC: dict[str, str] = {
    "a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32", "h": "u8", "i": "isize",
    "j": "usize", "l": "i32", "m": "u32", "n": "i128", "o": "u128", "s": "i16", "t": "u16", "u": "()",
    "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_",
}
_MAX_DEPTH = 64  # nested paths/types/back-references: deeper is no real symbol


class _Bad(Exception):
    """The name uses a part of the grammar this decoder does not read."""


class _V0:
    """A v0 symbol body (after ``_R``) read left to right."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.depth = 0
        self.budget = 4 * len(text) + 64  # paths and types read (back-references re-read)

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self) -> str:
        c = self.peek()
        if not c:
            raise _Bad
        self.i += 1
        return c

    def eat(self, c: str) -> bool:
        if self.peek() == c:
            self.i += 1
            return True
        return False

    def base62(self) -> int:
        """``_`` is 0; otherwise the digits' value plus one, then ``_``."""
        if self.eat("_"):
            return 0
        n = 0
        while not self.eat("_"):
            d = _BASE62.find(self.take())
            if d < 0:
                raise _Bad
            n = n * 62 + d
            if n > 1 << 128:  # crate hashes are 64-bit; more is no real symbol
                raise _Bad
        return n + 1

    def decimal(self) -> int:
        start = self.i
        while self.peek().isdigit():
            self.i += 1
        if self.i == start or self.i - start > 9 or (self.s[start] == "0" and self.i - start > 1):
            raise _Bad  # no length, a leading zero, or longer than any real name
        return int(self.s[start : self.i])

    def disambiguator(self) -> int:
        return self.base62() + 1 if self.eat("s") else 0

    def ident(self) -> tuple[str, int]:
        dis = self.disambiguator()
        if self.eat("u"):
            raise _Bad  # punycode
        n = self.decimal()
        self.eat("_")  # separates a name that starts with a digit or "_"
        name = self.s[self.i : self.i + n]
        if len(name) != n:
            raise _Bad
        self.i += n
        return name, dis

    def backref(self, read: str) -> str:
        start = self.i - 1  # the "B"
        at = self.base62()
        if at >= start:  # a back-reference points strictly backwards
            raise _Bad
        saved = self.i
        self.i = at
        out = self.path() if read == "path" else self.type()
        self.i = saved
        return out

    def enter(self) -> None:
        self.depth += 1
        self.budget -= 1
        if self.depth > _MAX_DEPTH or self.budget < 0:
            raise _Bad

    def path(self) -> str:
        self.enter()
        try:
            c = self.take()
            if c == "C":
                return self.ident()[0]
            if c == "M":  # inherent impl: <Type>
                self.disambiguator()
                self.path()
                return f"<{self.type()}>"
            if c == "X":  # trait impl: <Type as Trait>
                self.disambiguator()
                self.path()
                ty = self.type()
                return f"<{ty} as {self.path()}>"
            if c == "Y":  # trait definition: <Type as Trait>
                ty = self.type()
                return f"<{ty} as {self.path()}>"
            if c == "N":
                ns = self.take()
                parent = self.path()
                name, dis = self.ident()
                if ns.isupper():  # a special namespace: closures, shims
                    label = {"C": "closure", "S": "shim"}.get(ns, ns)
                    inner = f"{label}:{name}" if name else label
                    return f"{parent}::{{{inner}#{dis}}}"
                return f"{parent}::{name}" if name else parent
            if c == "I":
                base = self.path()
                args = []
                while not self.eat("E"):
                    args.append(self.generic_arg())
                return f"{base}::<{', '.join(args)}>"
            if c == "B":
                return self.backref("path")
            raise _Bad
        finally:
            self.depth -= 1

    def generic_arg(self) -> str:
        if self.eat("L"):
            self.base62()
            return "'_"
        if self.eat("K"):
            return self.const()
        return self.type()

    def const(self) -> str:
        if self.eat("p"):
            return "_"
        if self.eat("B"):
            raise _Bad
        c = self.take()
        if c not in _BASIC:
            raise _Bad
        neg = self.eat("n")
        digits = ""
        while not self.eat("_"):
            d = self.take()
            if d not in "0123456789abcdef":
                raise _Bad
            digits += d
        value = int(digits or "0", 16)
        if c == "b":
            return "true" if value else "false"
        return f"{'-' if neg else ''}{value}"

    def type(self) -> str:
        self.enter()
        try:
            c = self.peek()
            if not c:
                raise _Bad
            if c in _BASIC:
                self.i += 1
                return _BASIC[c]
            self.i += 1
            if c in "RQ":
                if self.eat("L"):
                    self.base62()
                return ("&" if c == "R" else "&mut ") + self.type()
            if c in "PO":
                return ("*const " if c == "P" else "*mut ") + self.type()
            if c == "A":
                ty = self.type()
                return f"[{ty}; {self.const()}]"
            if c == "S":
                return f"[{self.type()}]"
            if c == "T":
                items = []
                while not self.eat("E"):
                    items.append(self.type())
                return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
            if c == "B":
                return self.backref("type")
            self.i -= 1
            if c in "CMXYNI":
                return self.path()
            raise _Bad  # fn pointers ("F"), dyn traits ("D"), unknown
        finally:
            self.depth -= 1


def _rust_v0(body: str) -> str | None:
    v = _V0(body)
    if v.peek().isdigit():  # an encoding version: none is defined beyond the implicit first
        return None
    try:
        return v.path()  # an instantiating crate may follow: not part of the name
    except _Bad:
        return None


def _itanium(body: str) -> str | None:
    """``_Z`` names without parameters: ``<len><name>``, ``L<len><name>`` (internal linkage)
    and nested ``N...E`` names of source names (a Rust legacy ``17h<hash>`` tail dropped)."""
    i = 1 if body.startswith("L") else 0
    parts: list[str] = []
    nested = body[i : i + 1] == "N"
    if nested:
        i += 1
        while i < len(body) and body[i] in "rVKRO":  # cv- and ref-qualifiers of a member function
            i += 1
    while i < len(body):
        if nested and body[i] == "E":
            break
        if body.startswith("St", i) and not parts:
            parts.append("std")
            i += 2
            continue
        start = i
        while i < len(body) and body[i].isdigit():
            i += 1
        if start == i or i - start > 9:
            return None  # templates, substitutions, operators, ctors: not read; no name is that long
        n = int(body[start:i])
        name = body[i : i + n]
        if len(name) != n or n == 0:
            return None
        parts.append(name)
        i += n
        if not nested:
            break
    else:
        if nested:
            return None  # no closing "E"
    if nested and len(parts) > 1 and len(parts[-1]) == 17 and parts[-1][0] == "h" and all(
            c in "0123456789abcdef" for c in parts[-1][1:]):
        parts.pop()
    return "::".join(parts) if parts else None


def demangle(name: str) -> str | None:
    """The readable name of a mangled Rust (v0 or legacy) or C++ symbol, without its
    parameters; ``None`` when ``name`` is not mangled or uses what is not decoded here."""
    if len(name) > 2 and name.startswith("_R"):
        return _rust_v0(name[2:])
    if len(name) > 2 and name.startswith("_Z"):
        return _itanium(name[2:])
    return None
