"""Line hygiene: turn raw console/mail/syslog text into clean kernel log lines.

Real crash logs arrive mangled: timestamps with odd spacing, CONFIG_PRINTK_CALLER
ids, printk levels, syslog/journald/dmesg -T prefixes, Android kmsg prefixes,
mail quoting, quoted-printable encoding, hard wraps, CRLF, ANSI colours and
invalid UTF-8.  Everything here streams one raw line at a time with a bounded
look-behind of one line, and every regex is anchored and runs on at most
``MAX_LINE`` characters, so hostile input cannot cause super-linear work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Final, NamedTuple

from a64triage.console import patterns as P

MAX_LINE: Final = 4096  # characters of one raw line we look at; the rest is dropped

# Prefixes, tried in order at the start of a line (each anchored, bounded).
_ANSI: Final = re.compile(r"\x1b\[[0-9;?]{0,32}[ -/]{0,4}[@-~]|\x1b[@-Z\\-_]")
_QUOTE: Final = re.compile(r"^(?:[ \t]{0,2}[>|](?=[ \t>|]|$)[ \t]?)+")
_SYSLOG: Final = re.compile(
    r"^(?:\S{1,12} {1,2}\d{1,2}|\d{4}-\d\d-\d\d[T ]?)\s{0,3}\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
    r"(?:[+-]\d\d:?\d\d|Z)?\s{1,4}(?:\S{1,64}\s{1,4})?kernel:\s?"
)
_BRACKET_DATE: Final = re.compile(
    r"^\[(?:[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}"
    r"|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?)\]\s?"
)
_BARE_KERNEL: Final = re.compile(r"^\s{0,4}kernel:\s?")
_KMSG: Final = re.compile(r"^\d{1,2},\d{1,20},\d{1,20},[-c][^;]{0,32};")
_LEVEL: Final = re.compile(r"^<\d{1,2}>")
_TIMESTAMP: Final = re.compile(r"^\[\s{0,12}(\d{1,10}\.\d{1,9})(?:@(\d{1,4}))?\]")
# A printk timestamp ("%5lu.%06lu]", kernel/printk/printk.c print_time) whose "[" went into
# another CPU's line when two CPUs printed at once, character by character.
_TS_TORN: Final = re.compile(r"^\d{1,10}\.\d{6}\](?=[ \t\[])")
_TS_CALLER: Final = re.compile(  # _TIMESTAMP, blanks, then an optional _CALLER and blanks: the usual printk prefix
    r"\[\s{0,12}(\d{1,10}\.\d{1,9})(?:@(\d{1,4}))?\]([ \t]*)(?:\[\s{0,8}([TC][0-9]{1,8})\]([ \t]*))?"
)
# What _TS_CALLER reads of most lines with none of its optional groups to fill: printk's own
# stamp (kernel/printk/printk.c print_time(): "[%5lu.%06lu]", ASCII), blanks, and no caller id
# after them (no "[" next).  Where it matches, _TS_CALLER ends at the same place with no
# caller id and no "@" (tests/console/test_fastpath.py); any other line is _TS_CALLER's.
_TS_PLAIN: Final = re.compile(r"\[ {0,12}+[0-9]{1,10}+\.[0-9]{1,9}+\][ \t]*+(?!\[)")
_CALLER: Final = re.compile(r"^\s?\[\s{0,8}([TC][0-9]{1,8})\]")  # printk prints ASCII digits (print_caller())
_SYSLOG_BANNER: Final = re.compile(r"^Message from syslogd@")
_MID_HINT: Final = re.compile(r"\[\s{0,12}\d{1,10}\.\d{6}\]")  # necessary for _MID_TIMESTAMP; literal "[" makes search cheap
_MID_TIMESTAMP: Final = re.compile(r"(?<=\S)\s{0,4}(?=(?:<\d{1,2}>)?\[\s{0,12}\d{1,10}\.\d{6}\])")
_ELISION: Final = re.compile(
    r"^(?:(?:\.\s?){3,}|…+|\[\s?\.{3}\s?\]|<\s?\.{3}\s?>|[<\[(]?\s?-*\s?snip(?:ped)?\b.{0,40}[>\])]?"
    # the words whole ("[ BUG: syz-executor/1 still has locks held! ]" is no "cut" marker)
    r"|\[[^\]]{0,100}(?:\.\.\.|…|\b(?:snip|repeat|omit|trimm|removed|elided|cut))[^\]]{0,100}\])$",
    re.IGNORECASE,
)
_ELISION_FIRST: Final = ".\u2026[<(-sS\u017f"  # first characters _ELISION can match (IGNORECASE "s" includes U+017F)
_QUOTE_FIRST: Final = (">", "|")
_DOUBLE_SPACED: Final = 3  # lines alternating blank / not blank after which a log counts as double-spaced
_QP_RUN: Final = re.compile(r"(?:=[0-9A-F]{2})+")
_QP_HINT: Final = re.compile(r"=3D|=20$|=09$")  # "=20" mid-line is too common in logs ("fqs=2029")

# Lines that clearly start a kernel message: never glued to a hard-wrapped line.
_LOG_START: Final = re.compile(
    r"^(?:\[<|x\d{1,2}\s?:|[A-Z][A-Za-z ]{1,30}:|"
    r"Call trace|Code:|CPU:|---\[|-{4,}|={4,}|kvm \[|BUG:|WARNING:|INFO:|Kernel|Unable|"
    r"Internal|Modules|Hardware|pc :|lr :|sp :|pstate|\(|\s*$)"
)


@dataclass(frozen=True, slots=True)
class LogLine:
    """One cleaned kernel log line.

    ``no`` is the 1-based number of the raw input line it started on, so
    evidence can always point back at the original text.
    """

    no: int
    text: str
    caller: str | None = None  # "T123" / "C0" (CONFIG_PRINTK_CALLER, Android "@cpu")
    stamped: bool = False  # carried a kernel timestamp or a syslog prefix
    elided: bool = False  # an author's "...", "<snip>" marker


def elision(text: str) -> bool:
    """Is this cleaned line an author's elision marker ("...", "<snip>")?  (The first
    character settles most lines without the regex.)"""
    return bool(text) and text[0] in _ELISION_FIRST and _ELISION.match(text) is not None


def _decode(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        raw = raw[: MAX_LINE * 4].decode("utf-8", errors="replace")
    return raw[:MAX_LINE]


def _qp_decode(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return bytes.fromhex(m.group(0).replace("=", "")).decode("utf-8", errors="replace")

    return _QP_RUN.sub(repl, text)


class Line:
    """The parser's internal twin of ``LogLine`` (same fields).  A plain class with slots:
    compiled (mypyc) it is a C struct, built by one call and its fields read directly, where
    a NamedTuple cost a second tuple per line and a lookup per field read (3% of a dense
    log's instructions); plain, its slots read as fast as a tuple's fields."""

    __slots__ = ("caller", "elided", "no", "stamped", "text")

    def __init__(self, no: int, text: str, caller: str | None, stamped: bool, elided: bool) -> None:
        self.no = no
        self.text = text
        self.caller = caller
        self.stamped = stamped
        self.elided = elided

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Line):
            return NotImplemented
        return (self.no, self.text, self.caller, self.stamped, self.elided) == (
            other.no, other.text, other.caller, other.stamped, other.elided)

    def __repr__(self) -> str:
        return f"Line({self.no!r}, {self.text!r}, {self.caller!r}, {self.stamped!r}, {self.elided!r})"


def _strip_prefixes(text: str) -> tuple[str, str | None, bool]:
    """Remove mail quoting, syslog/kmsg prefixes, levels, timestamps, caller ids.

    The common lines (``[ 1.234] message``, indented or not, and lines with no
    prefix at all) are settled here with one regex; anything else goes through
    the general loop (``_strip_general``), which gives the same result for them.
    """
    rounds = 8
    if text[:1] in (" ", "\t"):
        text = text.lstrip(" \t")  # one round of the general loop
        rounds = 7
    c = text[:1]
    if c == "[":
        m = _TS_CALLER.match(text)
        if m is not None:
            rest = text[m.end() :]
            c = rest[:1]
            callid = m.group(4)
            caller = callid if callid is not None else None if m.group(2) is None else "C" + m.group(2)
            if not c or (c not in "[<>|" and not c.isdigit() and "kernel:" not in rest[:160]):
                return rest.strip(), caller, True
            # The general loop's rounds so far: timestamp, blanks, caller id, blanks.
            used = 1 + (1 if m.group(3) else 0) + (0 if callid is None else 1 + (1 if m.group(5) else 0))
            return _strip_general(rest, caller, True, rounds - used)
    elif c and c not in " \t><|" and not c.isdigit() and "kernel:" not in text[:160]:
        return text.strip(), None, False
    return _strip_general(text, None, False, rounds)


def _strip_general(text: str, caller: str | None, stamped: bool, rounds: int) -> tuple[str, str | None, bool]:
    """Prefixes nest (quote > syslog > level > timestamp > caller); dispatch on
    the first character so a line costs one or two matches, and stop after a
    bounded number of rounds."""
    for _ in range(rounds):
        c = text[:1]
        m: re.Match[str] | None = None
        if c in (" ", "\t"):
            text = text.lstrip(" \t")  # pasted logs are often indented (markdown, mail)
            continue
        if c in (">", "|"):
            m = _QUOTE.match(text)
        elif c == "[":
            m = _TIMESTAMP.match(text)
            if m is not None:
                stamped = True
                if m.group(2) is not None:
                    caller = "C" + m.group(2)
            else:
                m = _CALLER.match(text)
                if m is not None:
                    caller = m.group(1)
                else:
                    m = _BRACKET_DATE.match(text)
                    stamped = stamped or m is not None
        elif c == "<":
            m = _LEVEL.match(text)
        elif c and "kernel:" in text[:160]:
            if text.startswith("kernel:"):
                m = _BARE_KERNEL.match(text)
                if m is not None and len(text) > m.end() and text[m.end()] not in "[<":
                    m = None
            else:
                m = _SYSLOG.match(text)
                stamped = stamped or m is not None
        elif c.isdigit():
            m = _KMSG.match(text) or _TS_TORN.match(text)
            stamped = stamped or m is not None
        if m is None or m.end() == 0:
            break
        text = text[m.end() :]
    return text.strip(), caller, stamped


_WHOLE_FRAME: Final = re.compile(
    r"^(?:\[<[0-9a-f]{8,16}>\]\s{1,8})?[\w.$]{1,256}\+0x[0-9a-f]{1,16}/0x[0-9a-f]{1,16}"
    r"(?:\s{1,4}\[[\w\- ]{1,120}\])?(?:\s{1,4}\([PLFCT]\))?(?:\s{1,4}\S{1,300}:\d{1,7})?(?:\s{1,4}\[inline\])?$"
)


def _wrapped(prev_len: int, prev_text: str, text: str) -> bool:
    """Would a mail client have wrapped here?  The previous physical line plus the
    next word must overflow a ~72-column fill (format=flowed / Thunderbird / mutt),
    and two complete call-trace entries are never one wrapped line."""
    first_word = text.split(None, 1)[0] if text.strip() else ""
    if prev_len < 40 or prev_len + 1 + len(first_word) < 72:
        return False
    return not (_WHOLE_FRAME.match(prev_text) and _WHOLE_FRAME.match(text))


def _known(text: str) -> tuple[object, int] | None:
    """The grammar's row recognising ``text`` (a header, a body line or a call-trace
    entry) and where its match ends; None for a line the grammar does not know."""
    hit = P.match_header(text)
    if hit is not None:
        return hit[0], hit[1].end()
    name, m = P.match_body(text) if text else (None, None)
    if m is not None:
        return name, m.end()
    for rx in _FRAMES:
        fm = rx.match(text)
        if fm is not None:
            return rx, fm.end()
    return None


_FRAMES: Final = (P.FRAME_MODERN, P.FRAME_INLINE, P.FRAME_ARM32, P.FRAME_ARM32_NEW, P.FRAME_ADDR_ONLY)
_TOKEN_HEX: Final = re.compile(r"[(<]?[0-9a-fA-F?]{4,16}[)>]?")
_TOKEN_WORD: Final = re.compile(r"[\w.\-]+(?:\([A-Z+-]{1,8}\))?")


def _shape(token: str) -> int:
    return 1 if _TOKEN_HEX.fullmatch(token) else 2 if _TOKEN_WORD.fullmatch(token) else 3


def _continues(held: str, text: str, prefix_lost: bool, flowed: bool = False) -> bool:
    """Is ``text`` the rest of ``held``, cut by a mail client or a bug tracker?

    The grammar decides (issue #16 D7: a report lost its last line to the noise
    after it).  ``text`` continues ``held`` when the joined line is a known row
    that reaches past ``held`` and ``held`` alone was no complete line of that row
    ("...at virtual" / "address 0000000000000008"; "CPU: 0 PID: 1 Comm: s2idle
    Not tainted" / "6.19.0-rc5 #1"), or, only when ``text`` lacks the prefix
    (timestamp, quote) the previous line carried, when neither is known, or when
    ``held`` is an open-ended row (Modules, Code) and ``text`` has the shape of
    its last token, or when ``held`` ended in a space, the soft line break of a
    format=flowed mail (RFC 3676 4.2; Thunderbird: "Hardware name: ... (rev5 - " /
    "rev8) (DT)").  A complete known line followed by a line the grammar does
    not take (``FAR: 0x8`` then ``hello``) is never joined.
    """
    joined = _known(held + " " + text)
    if not prefix_lost and (joined is None or joined[1] <= len(held)):
        return False  # what the rest gives then, without reading ``held`` alone
    alone = _known(held)
    if joined is not None and joined[1] > len(held):
        if alone is None or alone[1] < len(held) or alone[0] is not joined[0]:
            return True
        return prefix_lost and (flowed or _shape(held.rsplit(None, 1)[-1]) == _shape(text.split(None, 1)[0]))
    if not prefix_lost or _known(text) is not None:
        return False
    return alone is None or alone[1] < len(held)


_GLUED_TRACE: Final = re.compile(r"(?<=[0-9a-f])Call Trace:$")


def _split_trace_start(pieces: Iterable[tuple[str, str | None, bool]]) -> Iterator[tuple[str, str | None, bool]]:
    """x86's old show_stack printed the stack words, then "Call Trace:" with no newline
    before it ("... 0000000000000000Call Trace:"): two lines (syzkaller finds the keyword
    anywhere in a line)."""
    for text, caller, stamped in pieces:
        m = _GLUED_TRACE.search(text) if text.endswith("Call Trace:") else None
        if m is None:
            yield text, caller, stamped
        else:
            yield text[: m.start()].rstrip(), caller, stamped
            yield "Call Trace:", caller, stamped


def _split_header(held: str, text: str) -> bool:
    """Are ``held`` and ``text`` the two pieces of one header (formats' ``split``)?"""
    return P.SPLIT_HEAD.match(held) is not None and P.match_header(held) is None \
        and P.match_header(held + "\n" + text) is not None


def clean_lines(lines: Iterable[str | bytes]) -> Iterator[LogLine]:
    """Yield cleaned log lines, re-joining hard-wrapped mail lines.

    A line is glued to the previous one when the log is timestamped, the
    previous line was long (a mail client wraps at ~72-80 columns), and this
    line has no timestamp and does not look like the start of a message.
    """
    for line in clean(lines):
        yield LogLine(line.no, line.text, line.caller, line.stamped, line.elided)


class Skip(NamedTuple):
    """Stands for ``n`` raw lines the caller knows to be ordinary stamped lines
    (see parser.parse_blocks): they are counted, not cleaned.  ``Skip(0)`` stands for
    no line: it only gives out the held line, so that the caller knows every line it
    sent has reached the parser (parser._with_skips' body runs)."""

    n: int


@dataclass
class CleanState:
    """What a line skipper must know about ``clean``: ``quiet`` is False while a
    quoted-printable soft break is pending; ``qp`` once the log turned out to be
    QP-encoded (from then on any line with "=" may decode to something else);
    ``fast_raw`` the last line taken by the short path."""

    quiet: bool = True
    qp: bool = False
    # The last raw line the short path below took (it gave out every earlier line first, and
    # holds this one alone): a skipper that sees its own line here knows the parser's state is
    # the state just before that line (parser._with_skips' idle runs).
    fast_raw: str | None = None


def _short_text(physical: str, end: int, qp: bool) -> str | None:
    """The text of a stamped line (``end``: where its ``_TS_CALLER`` match ends) when
    ``clean``'s short path takes it (unless the held line may be the first piece of a split
    header), else None.  Every condition sends what the general code treats otherwise (CR,
    ANSI, QP, syslog banner, nested prefixes, an empty rest, a second record glued on) to it."""
    rest = physical[end:]
    c = rest[:1]
    text = rest.strip()
    if (
        text
        and c not in "[<>|"
        and not c.isdigit()
        and (text.find("[", 1) == -1 or _MID_HINT.search(text, 1) is None)
        and "\r" not in physical
        and "\x1b" not in physical
        and not physical.endswith("=")
        and ("=" not in physical or (not qp and _QP_HINT.search(physical) is None))
        and "kernel:" not in rest[:160]
        and "Message from syslogd@" not in physical
        and not text.endswith("Call Trace:")  # maybe glued to stack words
    ):
        return text
    return None


def plain_stamped(raw: str, qp: bool) -> str | None:
    """The text ``clean``'s short path makes of ``raw`` when it takes it with no caller id
    (the held line not being a split header's first piece), else None: parser._with_skips
    asks it of the lines it would skip."""
    if raw[:1] != "[" or len(raw) > MAX_LINE:
        return None
    physical = raw.rstrip("\r\n")
    plain = _TS_PLAIN.match(physical)
    if plain is not None:
        return _short_text(physical, plain.end(), qp)
    m = _TS_CALLER.match(physical)
    if m is None or m.group(2) is not None or m.group(4) is not None:
        return None
    return _short_text(physical, m.end(), qp)


def clean(lines: Iterable[str | bytes | Skip], state: CleanState | None = None, fast: bool = True) -> Iterator[Line]:
    """``clean_lines`` as ``Line`` objects (the parser's input).

    One loop decodes, strips line ends/ANSI, undoes quoted-printable soft breaks
    and strips prefixes, with the common cases inlined (a log has millions of
    lines); a ``None`` sentinel at the end flushes a pending soft break through
    the same code.  A ``Skip`` item (only sent while ``state.quiet``) flushes the
    held line and advances the line count.  With ``fast``, the most common line of
    all (a decoded ``[ 12.345] text`` with nothing to repair) is settled by a short
    path that gives what the general code gives (tests/console/test_fastpath.py
    runs both).
    """
    held: Line | None = None
    held_raw_len = 0
    held_flowed = False  # the held line's raw text ended in a space (format=flowed soft break)
    held_quoted = False
    gap: Line | None = None  # a blank line held back in a double-spaced log
    alternating = 0  # lines in a row alternating between blank and not
    last_blank = False
    qp = False
    pending: tuple[int, str] | None = None
    st = state if state is not None else CleanState()
    count = 0
    for raw in chain(lines, (None,)):
        count += 1
        no = count
        if (
            fast
            and raw.__class__ is str
            and raw[:1] == "["
            and pending is None
            and len(raw) <= MAX_LINE
        ):
            # A stamped line with nothing to repair: never glued to the held line, which it
            # therefore gives out.  Every condition here sends what the general code below
            # would treat otherwise (CR, ANSI, QP, syslog banner, nested prefixes, an empty
            # rest, a second record glued on) to it.
            assert isinstance(raw, str)
            physical = raw.rstrip("\r\n")
            caller = None
            m = _TS_PLAIN.match(physical)
            if m is None:
                m = _TS_CALLER.match(physical)
                if m is not None:
                    callid = m.group(4)
                    caller = callid if callid is not None else None if m.group(2) is None else "C" + m.group(2)
            if m is not None:
                text = _short_text(physical, m.end(), qp)
                if text is not None and (held is None or not held.text.startswith(P.SPLIT_LITERALS)):  # maybe a split header
                    if held is not None:
                        yield held
                    if gap is not None:
                        yield gap
                        gap = None
                    held = Line(no, text, caller, True, elision(text))
                    held_raw_len = len(physical)
                    held_flowed = physical.endswith(" ")
                    held_quoted = False
                    alternating = alternating + 1 if last_blank else 0
                    last_blank = False
                    st.fast_raw = raw
                    continue
        # ---- physical line: decode, line ends, ANSI, quoted-printable soft breaks
        if raw is None:
            if pending is None:
                break
            no, physical = pending
            pending = None
        elif raw.__class__ is Skip:
            assert isinstance(raw, Skip)
            if held is not None:
                yield held  # the skipped lines are stamped: none would have been glued to it
                held = None
            if gap is not None:
                yield gap
                gap = None
            count += raw.n - 1
            continue
        else:
            assert not isinstance(raw, Skip)
            text = (raw[:MAX_LINE] if isinstance(raw, str) else _decode(raw)).rstrip("\r\n")
            if "\r" in text:
                text = text.replace("\r", "")
            if "\x1b" in text:
                text = _ANSI.sub("", text)
            if not text.endswith("="):
                if not qp:
                    if "=" in text and _QP_HINT.search(text):
                        qp = st.qp = True
                        text = _qp_decode(text)
                elif "=" in text:
                    text = _qp_decode(text)
                if pending is not None:
                    no, physical = pending[0], (pending[1] + text)[:MAX_LINE]
                    pending = None
                    st.quiet = True
                else:
                    physical = text
            else:
                if not qp and _QP_HINT.search(text):
                    qp = True
                # In a QP body every line-final "=" is a soft break (RFC 2045 6.7 rule 5: a
                # literal "=" is "=3D"); before the body is known to be QP, a QP-length line
                # (encoders fill to 76) ending in " =" is one too ("...at virtual =" /
                # "address ...=20"), "==" is a separator of "=" signs.
                soft = qp or (not text.endswith(("==", "\t=")) and 70 <= len(text) <= 77)
                if soft:
                    qp = True
                if qp:
                    body = text[:-1] if soft else text
                    body = _qp_decode(body) if "=" in body else body
                else:
                    body = text
                if pending is not None:
                    pending = (pending[0], (pending[1] + body)[:MAX_LINE])
                else:
                    pending = (no, body)
                st.qp = qp
                if soft:
                    st.quiet = False
                    continue
                no, physical = pending
                pending = None
                st.quiet = True
        # ---- prefixes (see _strip_prefixes)
        if "Message from syslogd@" in physical and _SYSLOG_BANNER.match(physical.lstrip("> ")):
            continue
        first, caller, stamped = _strip_prefixes(physical)
        quoted = physical[:1] in _QUOTE_FIRST or physical.lstrip(" \t")[:1] in _QUOTE_FIRST
        pieces: tuple[tuple[str, str | None, bool], ...] = ((first, caller, stamped),)
        if first.find("[", 1) != -1 and _MID_HINT.search(first, 1) and _MID_TIMESTAMP.search(first, 1):
            # Two printk records glued together (pr_cont races, pasted logs that lost newlines).
            parts = [p for p in _MID_TIMESTAMP.split(first) if p.strip()]
            if len(parts) > 1:
                pieces = ((parts[0].strip(), caller, stamped), *(_strip_prefixes(p) for p in parts[1:]))
        if "e:" in first or len(pieces) > 1:
            pieces = tuple(_split_trace_start(pieces))
        # ---- hard-wrap gluing
        blank = not physical.strip(" \t>|")  # the raw line: a stamp-only line is no blank
        alternating = alternating + 1 if blank != last_blank else 0  # counted per physical line
        last_blank = blank
        for text, caller, stamped in pieces:
            if (held is not None and stamped and held.stamped and caller == held.caller and text
                    and held.text.startswith(P.SPLIT_LITERALS) and _split_header(held.text, text)):
                # One printk record whose header named a task with a newline in its comm
                # ("INFO: task ab" / "cd:123 blocked for more than 143 seconds."): one line.
                held = Line(held.no, held.text + "\n" + text, held.caller, True, False)
                held_raw_len = len(physical)
                continue
            elided = elision(text)
            if not text and held is not None and held.text and alternating >= _DOUBLE_SPACED and gap is None:
                # A double-spaced log (a blank line after every line, as some bug trackers and
                # mail clients paste): the blank is held back, so a wrapped line's rest after
                # it can still be joined; it is given out as usual otherwise.
                gap = Line(no, text, caller, stamped, False)
                continue
            if (
                held is not None
                and not stamped
                and text
                and not elided
                and held.text
                and _wrapped(held_raw_len, held.text, text)
                and not _LOG_START.match(text)
                and _continues(held.text, text, held.stamped or (held_quoted and not quoted), held_flowed)
            ):
                joiner = "" if held.text.endswith((" ", "/", "+")) else " "
                held = Line(held.no, (held.text + joiner + text)[:MAX_LINE], held.caller, True, False)
                held_raw_len = len(physical)  # a long continuation may itself have wrapped
                held_flowed = physical.endswith(" ")
                gap = None
                continue
            if held is not None:
                yield held
            if gap is not None:
                yield gap
                gap = None
            held = Line(no, text, caller, stamped, elided)
            held_raw_len = len(physical)
            held_flowed = physical.endswith(" ")
            held_quoted = quoted
    if held is not None:
        yield held
    if gap is not None:
        yield gap
