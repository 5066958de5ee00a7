"""Renderer tests: goldens, the mail column rule, the JSON schema and HTML escaping."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import cases
import jsonschema
import pytest
from conftest import Golden
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from a64triage.arm64.fields import Field, FieldTree
from a64triage.console.records import Frame, Report
from a64triage.diagnose.types import (
    Evidence,
    Explanation,
    FrameResult,
    Hypothesis,
    ReportExplanation,
)
from a64triage.disasm.types import Instruction
from a64triage.errors import InputError
from a64triage.relocs.findings import Finding, HazardClass, Severity
from a64triage.render import FORMATS, SCHEMA_VERSION, bitfield, explanation_to_json, render
from a64triage.symbols.types import SourceLocation, Symbolized

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "src" / "a64triage" / "schemas" / "explain.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
DISASM_ROW = re.compile(r"^(-->|  \*|   ) [0-9a-f]{16}  ")
EXT = {"text": "txt", "mail": "mail.txt", "json": "json"}


@pytest.mark.parametrize("fmt", ["text", "mail", "json"])
@pytest.mark.parametrize("case", sorted(cases.CASES))
def test_golden(case: str, fmt: str, golden: Golden) -> None:
    golden(f"{case}.{EXT[fmt]}", render(cases.CASES[case](), fmt))


def test_golden_colour(golden: Golden) -> None:
    golden("hyp_panic_2017.color.txt", render(cases.hyp_panic_2017(), "text", color=True))


def test_unknown_format_is_input_error() -> None:
    with pytest.raises(InputError):
        render(cases.empty(), "pdf")
    assert set(FORMATS) == {"text", "mail", "json", "html"}


# ------------------------------------------------------------------ text
def test_text_headline_and_marks() -> None:
    out = render(cases.hyp_panic_2017(), "text")
    head = out.splitlines()[2]
    assert "HYP panic" in head
    assert "Most likely: hyp-absolute-address (90%)" in out
    fault = [line for line in out.splitlines() if line.startswith("-->")]
    assert len(fault) == 1 and "ffff0000089e6fd8" in fault[0] and "mov w0, #0x24" in fault[0]
    lines = out.splitlines()
    hazard = [n for n, line in enumerate(lines) if line.startswith("  * ")]
    assert [lines[n].split()[3] for n in hazard] == ["ldr", "br"]
    assert "; jump table: 8-byte absolute entries" in lines[hazard[0] + 1]
    assert "EC=0x21 IL=1" in out and "IFSC=0x4" in out
    assert "arch/arm64/kvm/hyp/s2-setup.c:38" in out
    assert out.index("Evidence") < out.index("Registers") < out.index("Call trace")
    assert out.index("Disassembly") < out.index("Audit findings") < out.index("Next step")


def test_text_plain_has_no_escape_sequences_even_from_hostile_input() -> None:
    for make in cases.CASES.values():
        assert "\x1b" not in render(make(), "text")
    coloured = render(cases.hostile_oops(), "text", color=True)
    # our SGR sequences only: the log's own ESC bytes are shown as \x1b text
    assert "\\x1b[31mred" in coloured
    assert "\x1b[31mred" not in coloured


def test_text_ranks_hypotheses_and_shows_inline_frames() -> None:
    out = render(cases.hostile_oops(), "text")
    assert "Most likely: null-pointer-write (85%)" in out
    inline = out.index("an_extraordinarily_long_helper_function_name", out.index("Call trace"))
    frame = out.index("evil_write+0x1c/0x40 [evil_drv] ")
    assert inline < frame
    assert "drivers/misc/evil/<b>evil</b>_drv.c:17:9" in out[frame:].splitlines()[0]
    assert "[inline]" in out.splitlines()[out[:inline].count("\n")]


def test_renderers_keep_the_engines_order() -> None:
    """diagnose.engine.rank decides the order in one place: a specific cause before the generic
    BUG() it reported through, even when the runner-up's own confidence is the higher one.  No
    renderer re-sorts by confidence."""
    ex = cases.hostile_oops()
    rx = ex.reports[0]
    low, high = replace(rx.hypotheses[0], confidence=0.4), replace(rx.hypotheses[1], confidence=0.9)
    ex = replace(ex, reports=(replace(rx, hypotheses=(low, high)),))
    doc = explanation_to_json(ex)
    assert [h["class"] for h in doc["reports"][0]["hypotheses"]] == ["null-pointer-write", "use-after-free"]
    text = render(ex, "text")
    assert "Most likely: null-pointer-write (40%)" in text
    assert text.index("Other hypotheses") < text.index("use-after-free (90%)")
    assert "This looks like null-pointer-write (confidence 40%)" in " ".join(render(ex, "mail").split())
    html = render(ex, "html")
    assert html.index("null-pointer-write") < html.index("use-after-free")


def test_text_width_is_respected_for_prose() -> None:
    out = render(cases.hyp_panic_2017(), "text", width=60)
    # log lines and instruction rows stay verbatim; everything else wraps
    prose = [line for line in out.splitlines() if " | " not in line and not DISASM_ROW.match(line)]
    assert max(len(line) for line in prose) <= 60
    assert "R_AARCH64_ADR_PREL_PG_HI21" in out  # wrapped notes are not cut inside words


# ------------------------------------------------------------------ mail
@pytest.mark.parametrize("case", sorted(cases.CASES))
@pytest.mark.parametrize("width", [None, 72, 60, 200])
def test_mail_lines_never_exceed_72(case: str, width: int | None) -> None:
    out = render(cases.CASES[case](), "mail", width=width)
    limit = min(72, width or 72)
    for line in out.splitlines():
        assert len(line) <= limit, line
        assert line.isascii(), line
        assert "\t" not in line and "\x1b" not in line


def test_mail_quotes_the_log_lines_it_relies_on() -> None:
    out = render(cases.hyp_panic_2017(), "mail")
    quoted = [line[2:] for line in out.splitlines() if line.startswith("> ")]
    # line 6 and 7 come from report.lines, line 3 is outside the report: its text is quoted
    assert quoted == [
        "PS:800003c9 PC:ffff0000089e6fd8 ESR:86000004",
        "FAR:ffff0000089e6fd8 HPFAR:0000000009825000 PAR:0000000000000000",
        "kvm [1]: HYP VA range: 800000000000:ffffffffffff",
    ]
    assert "FAR equals PC" in out
    assert "-->" in out and "Suggested next step:" in out
    for bad in ("\u2500", "\u2502", "\u250c", "\x1b"):
        assert bad not in out


def test_mail_wraps_overlong_log_lines_as_quotes() -> None:
    out = render(cases.hostile_oops(), "mail")
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("> Unable to handle"))
    assert lines[i + 1].startswith(">     ") and "0000000000000000" in lines[i + 1]
    assert "cafe" in out  # non-ASCII folded to ASCII


_text = st.text(
    alphabet=st.characters(codec="utf-8", max_codepoint=0x2FFF), max_size=300
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_text, summary=_text, line=_text, word=st.text(min_size=80, max_size=200))
def test_mail_column_rule_holds_for_any_text(title: str, summary: str, line: str, word: str) -> None:
    base = cases.hyp_panic_2017()
    rx = base.reports[0]
    report = rx.report.__class__(**{**rx.report.__dict__, "title": title, "lines": (line, *rx.report.lines[1:])})
    hyp = Hypothesis("x", 0.5, summary + " " + word, (Evidence("log", line, 5), Evidence("note", word)), word)
    ex = Explanation(base.source + word, (ReportExplanation(report, (hyp,), rx.registers, rx.frames),),
                     warnings=(word,))
    for out_line in render(ex, "mail").splitlines():
        assert len(out_line) <= 72
        assert out_line.isascii()


# ------------------------------------------------------------------ json
@pytest.mark.parametrize("case", sorted(cases.CASES))
def test_json_validates_against_published_schema(case: str) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    doc = json.loads(render(cases.CASES[case](), "json"))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc == explanation_to_json(cases.CASES[case]())
    assert doc["schema_version"] == SCHEMA_VERSION == SCHEMA["version"]
    assert SCHEMA["$id"] == doc["$schema"]


def test_json_content() -> None:
    doc = explanation_to_json(cases.hyp_panic_2017())
    rep = doc["reports"][0]
    assert rep["span"] == [5, 23] and rep["kind"] == "hyp-panic"
    assert rep["hypotheses"][0]["class"] == "hyp-absolute-address"
    assert rep["hypotheses"][0]["evidence"][0] == {
        "kind": "log", "text": "PS:800003c9 PC:ffff0000089e6fd8 ESR:86000004", "line": 6
    }
    assert rep["registers"][0]["value"] == "0x86000004"
    hyp = rep["frames"][0]
    assert hyp["address"] == "0xffff0000089e6fd8" and hyp["function"] == "__init_stage2_translation"
    assert (hyp["file"], hyp["line"], hyp["offset"], hyp["size"]) == (
        "arch/arm64/kvm/hyp/s2-setup.c", 38, 0x34, 0x98)
    fault = [i for i in rep["disassembly"] if i["faulting"]]
    assert fault == [i for i in rep["disassembly"] if i["address"] == "0xffff0000089e6fd8"]
    assert fault[0]["word"] == "0x52800480"
    assert rep["findings"][0]["class"] == "absolute-table"
    assert rep["findings"][0]["severity"] == "fatal"
    inlined = explanation_to_json(cases.hostile_oops())["reports"][0]["frames"][0]
    assert inlined["function"] == "evil_write" and inlined["line"] == 17
    assert inlined["inlined"][0]["line"] == 12


def test_schema_rejects_wrong_shapes() -> None:
    doc = explanation_to_json(cases.hyp_panic_2017())
    validator = jsonschema.Draft202012Validator(SCHEMA)
    bad = json.loads(json.dumps(doc))
    bad["reports"][0]["frames"][0]["address"] = 0xFFFF0000089E6FD8  # a number, not "0x..."
    assert not validator.is_valid(bad)
    bad = json.loads(json.dumps(doc))
    bad["reports"][0]["hypotheses"][0]["confidence"] = 1.5
    assert not validator.is_valid(bad)
    bad = json.loads(json.dumps(doc))
    del bad["schema_version"]
    assert not validator.is_valid(bad)


# ------------------------------------------------------------------ html
class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    p.close()
    return p


def test_html_is_self_contained_with_csp() -> None:
    page = render(cases.hyp_panic_2017(), "html")
    tags = parse_html(page)
    names = {t for t, _ in tags.tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "form"}
    csp = [a for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0]["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    for _, attrs in tags.tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), value
    assert "url(" not in page and "@import" not in page


def test_html_escapes_every_input_string() -> None:
    page = render(cases.hostile_oops(), "html")
    tags = parse_html(page)
    names = [t for t, _ in tags.tags]
    assert "script" not in names and "img" not in names
    text = "".join(tags.text)
    assert cases.HOSTILE_COMM in text
    assert '"><img src=x onerror=alert(2)>' in text
    assert "include/linux/<img src=x onerror=alert(3)>.h" in text
    assert "<b>evil</b>_drv.c" in text
    assert "\x1b" not in page and "\x07" not in page
    for _, attrs in tags.tags:
        assert not any(k.startswith("on") for k in attrs), attrs
    # escaped in attribute values too (tooltips)
    assert "&lt;script&gt;" in page


def test_html_register_diagram_geometry() -> None:
    d = bitfield.layout(cases.ESR_2017)
    assert len(d.rows) == 1 and d.collapsed == ("bits [63:32] are all zero (RES0, ISS2)",)
    top = {b.name: (b.col, b.span, b.value) for b in d.rows[0].levels[0]}
    assert top == {"EC": (1, 6, 0x21), "IL": (7, 1, 1), "ISS": (8, 25, 4)}
    sub = {b.name: (b.col, b.span) for b in d.rows[0].levels[1] if not b.reserved}
    assert sub["IFSC"] == (27, 6) and sub["FnV"] == (22, 1)
    far = bitfield.layout(cases.FAR_2017)
    assert [r.hi for r in far.rows] == [63, 31]
    hi_box, lo_box = far.rows[0].levels[0][0], far.rows[1].levels[0][0]
    assert (hi_box.value, lo_box.value) == (0xFFFF0000, 0x089E6FD8) and hi_box.clipped


def test_html_shows_boxes_and_faulting_row() -> None:
    page = render(cases.hyp_panic_2017(), "html")
    tags = parse_html(page)
    boxes = [a for t, a in tags.tags if t == "div" and "box" in (a.get("class") or "").split()]
    titles = [b.get("title") or "" for b in boxes]
    assert any(t.startswith("EC[31:26] = 0x21: Instruction Abort") for t in titles)
    assert any(t.startswith("IFSC[5:0] = 0x4") for t in titles)
    ec = next(b for b in boxes if (b.get("title") or "").startswith("EC[31:26]"))
    assert "grid-column:1/span 6" in (ec.get("style") or "")
    rows = [a for t, a in tags.tags if t == "tr" and a.get("class") == "fault"]
    assert len(rows) == 1
    assert sum(1 for t, a in tags.tags if t == "tr" and a.get("class") == "hazard") == 2


def test_real_decoder_output_renders_if_available() -> None:
    arm64 = pytest.importorskip("a64triage.arm64")
    decode = getattr(arm64, "decode", None)
    if decode is None:
        pytest.skip("a64triage.arm64.decode not written yet")
    esr = decode("ESR_EL2", 0x86000004)
    base = cases.hyp_panic_2017()
    rx = base.reports[0]
    ex = Explanation(base.source, (ReportExplanation(rx.report, rx.hypotheses, (esr,)),))
    page = render(ex, "html")
    assert "IFSC" in page or "FSC" in page
    jsonschema.Draft202012Validator(SCHEMA).validate(explanation_to_json(ex))
    for line in render(ex, "mail").splitlines():
        assert len(line) <= 72


def _with_text(s: str) -> Explanation:
    """The hostile case with ``s`` in every field whose content never changes the page structure."""
    base = cases.hostile_oops()
    rx = base.reports[0]
    r = rx.report.__class__(**{**rx.report.__dict__, "title": s, "comm": s, "kernel_version": s,
                               "lines": tuple(s for _ in rx.report.lines)})
    hyps = tuple(
        Hypothesis(h.cls, h.confidence, s, tuple(Evidence("note", s) for _ in h.evidence), s)
        for h in rx.hypotheses
    )
    frames = tuple(
        fr.__class__(fr.frame.__class__(**{**fr.frame.__dict__, "function": s}), fr.symbolized)
        for fr in rx.frames
    )
    dis = tuple(i.__class__(**{**i.__dict__, "op_str": s, "note": s}) for i in rx.disassembly)
    rx2 = ReportExplanation(r, hyps, rx.registers, frames, dis, rx.findings, tuple(s for _ in rx.notes))
    return Explanation(s, (rx2,), s, tuple(s for _ in base.warnings))


def _structure(page: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(t, tuple(sorted(a))) for t, a in parse_html(page).tags]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=st.text(alphabet=st.sampled_from(list("<>\"'&/=; abcscriptimgonerror\x1b\x00\u2028")), min_size=1,
                 max_size=60))
def test_html_structure_does_not_depend_on_input_text(s: str) -> None:
    """Whatever the log says, the page has the same elements and attributes as with plain text."""
    assert _structure(render(_with_text(s), "html")) == _structure(render(_with_text("x"), "html"))


def test_html_links_reports_when_there_are_several() -> None:
    tags = parse_html(render(cases.two_reports(), "html")).tags
    links = [a["href"] for t, a in tags if t == "a" and (a.get("href") or "").startswith("#r") and "-L" not in (a.get("href") or "")]
    assert links == ["#r1", "#r2"]
    ids = {a.get("id") for t, a in tags if t == "section"}
    assert ids == {"r1", "r2"}


# ------------------------------------------------------------------ any input
_s = st.text(max_size=40)
_opt_s = st.none() | _s
_u64 = st.integers(0, 2**64 - 1)
_small = st.none() | st.integers(0, 2**20)


@st.composite
def _trees(draw: st.DrawFn) -> FieldTree:
    width = draw(st.sampled_from([8, 16, 32, 40, 64]))
    value = draw(st.integers(0, 2**width - 1))
    cuts = sorted(draw(st.sets(st.integers(1, width - 1), max_size=6)))
    bounds = [0, *cuts, width]
    fields = []
    for lo, hi in itertools.pairwise(bounds):
        v = (value >> lo) & ((1 << (hi - lo)) - 1)
        sub: tuple[Field, ...] = ()
        if hi - lo > 2 and draw(st.booleans()):
            mid = (lo + hi) // 2
            sub = (Field("A", hi - 1, mid, (value >> mid) & ((1 << (hi - mid)) - 1), draw(_s)),
                   Field("RES0", mid - 1, lo, (value >> lo) & ((1 << (mid - lo)) - 1)))
        fields.append(Field(draw(st.sampled_from(["EC", "RES0", "M[3:0]", draw(_s) or "F"])), hi - 1, lo, v,
                            draw(_s), sub))
    return FieldTree(draw(_s) or "REG", value, width, tuple(reversed(fields)), (draw(_s),), draw(_s))


_frames = st.builds(
    FrameResult,
    st.builds(Frame, function=_opt_s, offset=_small, size=_small, module=_opt_s, address=st.none() | _u64,
              marker=_opt_s, inline=st.booleans(), source=_opt_s, stack=_s, line_no=st.integers(0, 99)),
    st.none() | st.builds(Symbolized, _u64, _opt_s, _small, _small, _opt_s, _opt_s,
                          st.lists(st.builds(SourceLocation, _s, _opt_s, _small, _small, _opt_s),
                                   max_size=3).map(tuple), st.lists(_s, max_size=2).map(tuple)),
)
_insns = st.builds(Instruction, _u64, st.integers(0, 2**32 - 1), _s, _s, _opt_s, _opt_s, st.none() | _u64,
                   st.none() | st.builds(SourceLocation, _s, _opt_s, _small, _small, _opt_s), st.booleans(),
                   _opt_s)
_findings = st.builds(Finding, st.sampled_from(list(HazardClass)), _s, _opt_s, _small, _opt_s, _opt_s, _opt_s,
                      st.sampled_from(list(Severity)), _opt_s, _s, _opt_s, _small, st.none() | _u64, _opt_s, _s,
                      slot=_opt_s, pc=st.none() | _u64, code_section=_opt_s)
_hyps = st.builds(Hypothesis, st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
                  st.floats(0, 1), _s,
                  st.lists(st.builds(Evidence, st.sampled_from(["log", "register", "note", "audit"]), _s,
                                     st.none() | st.integers(1, 40)), max_size=4).map(tuple), _s)


@st.composite
def _explanations(draw: st.DrawFn) -> Explanation:
    reports = []
    for _ in range(draw(st.integers(0, 2))):
        first = draw(st.integers(1, 20))
        lines = tuple(draw(st.lists(_s, max_size=8)))
        report = Report(kind=draw(_s), title=draw(_s), span=(first, first + max(0, len(lines) - 1)),
                        comm=draw(_opt_s), cpu=draw(_small), lines=lines)
        reports.append(ReportExplanation(
            report,
            tuple(draw(st.lists(_hyps, max_size=3))),
            tuple(draw(st.lists(_trees(), max_size=2))),
            tuple(draw(st.lists(_frames, max_size=3))),
            tuple(draw(st.lists(_insns, max_size=4))),
            tuple(draw(st.lists(_findings, max_size=2))),
            tuple(draw(st.lists(_s, max_size=2))),
        ))
    return Explanation(draw(_s), tuple(reports), draw(_opt_s), tuple(draw(st.lists(_s, max_size=2))))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ex=_explanations(), width=st.none() | st.integers(1, 300), color=st.booleans())
def test_every_format_renders_any_explanation(ex: Explanation, width: int | None, color: bool) -> None:
    for fmt in FORMATS:
        out = render(ex, fmt, color=color, width=width)
        assert out.endswith("\n")
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(render(ex, "json")))
    assert all(len(line) <= 72 and line.isascii() for line in render(ex, "mail", width=width).splitlines())
    if not color:
        assert "\x1b" not in render(ex, "text", width=width)
