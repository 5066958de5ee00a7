"""HTML rendering: one self-contained page (inline CSS, no script, no external fetch).

Every string that came from the input (log lines, comm names, symbols, file
names, relocation text...) goes through :func:`_e` (``html.escape`` with
quotes), and a Content-Security-Policy meta tag forbids scripts and remote
resources, so a hostile console log cannot inject markup into the page.
"""

from __future__ import annotations

import html

from a64triage.arm64.fields import FieldTree
from a64triage.diagnose.types import Evidence, Explanation, ReportExplanation
from a64triage.render import bitfield
from a64triage.render import common as c

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root{--fg:#1d2330;--muted:#5d6675;--line:#d6dbe3;--bg:#f6f7f9;--card:#fff;--accent:#1f5fbf;
--bad:#b42318;--badbg:#fde8e6;--warn:#8a5a00;--warnbg:#fff4d6;--ok:#1a7f37;--set:#e3edfb;--res:#eef0f3}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
code,pre,.mono,td.mono{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:19px;margin:0;word-break:break-word}
h3{font-size:15px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:26px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--muted);margin:0 0 16px}
.warnings{background:var(--warnbg);border:1px solid #f0d58c;border-radius:8px;padding:8px 14px;margin:12px 0}
.warnings li{color:var(--warn)}
section.report{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin:22px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
.kind{display:inline-block;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;background:#e8ecf3;color:#34405a;border-radius:5px;padding:1px 7px;margin-right:8px;vertical-align:middle}
.ctx{color:var(--muted);margin:6px 0 0}
.headline{margin:16px 0 0;border-left:5px solid var(--bad);background:var(--badbg);border-radius:6px;padding:12px 16px}
.headline .cls{font-weight:700;font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--bad)}
.headline p{margin:6px 0 0}
.conf{display:inline-flex;align-items:center;gap:6px;font-weight:600;margin-left:8px}
.bar{display:inline-block;width:90px;height:8px;background:#e3e6eb;border-radius:4px;overflow:hidden;vertical-align:middle}
.bar span{display:block;height:100%;background:var(--accent)}
.hyp{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:10px 0}
.hyp.top{border-color:#e8a29c}
.hyp .cls{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:700}
.hyp ul{margin:6px 0 0;padding-left:20px}
.hyp ul.evl{padding-left:0;list-style:none}
.ev{margin:3px 0;display:grid;grid-template-columns:82px 1fr;align-items:baseline}
.evk{font-size:11px;font-weight:600;text-transform:uppercase;color:var(--muted)}
.ev code{background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:0 4px;white-space:pre-wrap;word-break:break-all}
.next{margin:8px 0 0;padding:8px 12px;background:#eaf6ee;border-left:4px solid var(--ok);border-radius:5px}
.reg{margin:14px 0 20px}
.regmem{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:18px;align-items:start}
.memory{border-left:3px solid var(--muted);padding-left:12px}
.memory li{margin:6px 0}.memory .mrole{font-weight:700;margin-right:6px}
.memory code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:90%;word-break:break-all}
@media (max-width:900px){.regmem{grid-template-columns:1fr}}
.reg .rname{font-weight:700}
.reg .rval{font-family:ui-monospace,Menlo,Consolas,monospace;margin-left:8px}
.reg .rsum{color:var(--muted);margin-left:10px}
.bf{display:grid;gap:0;margin:6px 0 2px;font-family:ui-monospace,Menlo,Consolas,monospace}
.bn{display:flex;justify-content:space-between;font-size:10px;color:var(--muted);padding:0 3px;border-left:1px solid transparent}
.box{border:1px solid #8c96a8;margin-left:-1px;margin-top:-1px;min-height:42px;padding:3px 2px;text-align:center;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;background:#fff}
.box b{display:block;font-size:11px;font-weight:600;overflow:hidden;text-overflow:ellipsis}
.box i{display:block;font-style:normal;font-size:12px}
.box.set{background:var(--set)}
.box.res{background:repeating-linear-gradient(135deg,var(--res) 0 4px,#fff 4px 8px);color:#8b93a1}
.box.l1,.box.l2,.box.l3{min-height:36px;border-style:solid;border-color:#aab3c2}
.box.clip b::after{content:"\\2026"}
.collapsed{font-size:12px;color:var(--muted)}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);padding:4px 8px}
td{padding:3px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
table.legend{width:auto;min-width:60%}table.legend td{font-size:13px}
table.legend td:last-child{width:100%}
table.legend td.mono{white-space:nowrap}
tr.inline td{color:var(--muted);font-style:italic}
tr.srcline td{color:var(--ok);font-size:12px;border-bottom:none;padding-top:8px}
td.src{color:var(--ok)}
td.ln{color:var(--ok);text-align:right}
tr.fault td{background:var(--badbg);font-weight:600}
tr.fault td.mk{color:var(--bad)}
tr.hazard td{background:var(--warnbg)}
td.mk{width:44px;font-weight:700;color:var(--warn);white-space:nowrap}
table.disasm td.mono{white-space:nowrap}
table.disasm td.ann{white-space:normal;width:100%}
h3 code{text-transform:none;letter-spacing:0;font-size:14px}
td.ann{color:var(--muted);white-space:normal;font-size:13px}
tr.fault td.ann{color:var(--bad)}
.sev{font-weight:700;text-transform:uppercase;font-size:12px}
.sev.fatal{color:var(--bad)}.sev.warning{color:var(--warn)}.sev.info{color:var(--accent)}
pre.log{background:#10151f;color:#d9dee7;border-radius:8px;padding:10px 0;overflow-x:auto;line-height:1.5}
pre.log span.l{display:block;padding:0 14px;white-space:pre}
pre.log span.l.hit{background:#4a2a12;color:#ffd9a8}
pre.log span.n{display:inline-block;min-width:44px;color:#6b7688;user-select:none}
.notes li{color:var(--muted)}
.toc{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px 10px 34px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:30px}
"""


def _e(text: object) -> str:
    """Escape anything that may have come from the input (text and attribute safe)."""
    return html.escape(c.clean(str(text)), quote=True)


def render_html(explanation: Explanation) -> str:
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>a64triage: {_e(explanation.source)}</title>",
        f"<style>{CSS}</style></head><body><main>",
        f"<h1>a64triage explain: {_e(explanation.source)}</h1>",
        '<p class="sub">'
        + (
            f"symbols and source lines from <code>{_e(explanation.vmlinux)}</code>"
            if explanation.vmlinux
            else "no vmlinux given: symbols as the log printed them"
        )
        + f" &middot; {len(explanation.reports)} report(s)</p>",
    ]
    if explanation.warnings:
        out.append('<div class="warnings"><b>Warnings</b><ul>')
        out.extend(f"<li>{_e(w)}</li>" for w in explanation.warnings)
        out.append("</ul></div>")
    if not explanation.reports:
        out.append("<p>No crash report found in this log.</p>")
    if len(explanation.reports) > 1:
        out.append('<ol class="toc">')
        for i, rx in enumerate(explanation.reports, 1):
            top = next((h for _, h in c.iter_hypotheses(rx)), None)
            guess = f" &mdash; <code>{_e(top.cls)}</code> {c.percent(top.confidence)}" if top else ""
            out.append(f'<li><a href="#r{i}">{_e(rx.report.headline)}</a>{guess}</li>')
        out.append("</ol>")
    for i, rx in enumerate(explanation.reports, 1):
        out.append(_report(rx, i))
    out.append("<footer>generated by a64triage &middot; static page, no scripts</footer>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _conf(conf: float) -> str:
    pct = c.percent(conf)
    return f'<span class="conf">{pct} <span class="bar"><span style="width:{pct}"></span></span></span>'


def _report(rx: ReportExplanation, index: int) -> str:
    r = rx.report
    rid = f"r{index}"
    first, last = r.span
    parts: list[str] = [f'<section class="report" id="{rid}">']
    parts.append(f'<h2><span class="kind">{_e(r.kind)}</span>{_e(r.headline)}</h2>')
    ctx = c.context_line(r)
    parts.append(f'<p class="ctx">{_e(ctx) + " &middot; " if ctx else ""}log lines {first}&ndash;{last}</p>')
    if r.corrupted:
        parts.append(f'<p class="warnings">Report damaged: {_e(r.corrupted)}</p>')
    ranked = [h for _, h in c.iter_hypotheses(rx)]
    if ranked:
        top = ranked[0]
        parts.append(
            f'<div class="headline">Most likely: <span class="cls">{_e(top.cls)}</span>{_conf(top.confidence)}'
            f"<p>{_e(top.summary)}</p></div>"
        )
        if top.next_step:
            parts.append(f'<div class="next"><b>Next step:</b> {_e(top.next_step)}</div>')
        parts.append("<h3>Hypotheses and evidence</h3>")
        for n, h in enumerate(ranked, 1):
            parts.append(
                f'<div class="hyp{" top" if n == 1 else ""}"><span class="cls">{n}. {_e(h.cls)}</span>'
                f"{_conf(h.confidence)}<div>{_e(h.summary)}</div>"
            )
            if h.evidence:
                parts.append('<ul class="evl">')
                parts.extend(_evidence(rx, ev, rid) for ev in h.evidence)
                parts.append("</ul>")
            if h.next_step and n > 1:
                parts.append(f"<div><i>next step:</i> {_e(h.next_step)}</div>")
            parts.append("</div>")
    else:
        parts.append("<p>No hypothesis: nothing in this report matched a known cause.</p>")
    if rx.memory or rx.core_registers is not None:  # the core's memory beside the registers
        parts.append('<div class="regmem"><div><h3>Registers</h3>')
        parts.extend(_register(t) for t in rx.registers)
        parts.append(f"</div>{_memory(rx)}</div>")
    elif rx.registers:
        parts.append("<h3>Registers</h3>")
        parts.extend(_register(t) for t in rx.registers)
    if rx.frames:
        parts.append("<h3>Call trace</h3>")
        parts.append(_frames(rx))
    if rx.disassembly:
        funcs = c.disasm_functions(rx.disassembly)
        parts.append(
            "<h3>Disassembly" + (f" &middot; <code>{_e(', '.join(funcs))}</code>" if funcs else "") + "</h3>"
        )
        parts.append(_disassembly(rx))
    if rx.findings:
        parts.append("<h3>Audit findings</h3>")
        parts.append(_findings(rx))
    if rx.notes:
        parts.append('<h3>Notes</h3><ul class="notes">')
        parts.extend(f"<li>{_e(n)}</li>" for n in rx.notes)
        parts.append("</ul>")
    if r.lines:
        parts.append("<h3>Log excerpt</h3>")
        parts.append(_log(rx, rid))
    parts.append("</section>")
    return "\n".join(parts)


def _evidence(rx: ReportExplanation, ev: Evidence, rid: str) -> str:
    line, comment = c.evidence_quote(rx.report, ev)
    where = ""
    if ev.line_no is not None:
        first, last = rx.report.span
        if first <= ev.line_no <= last:
            where = f' <a href="#{rid}-L{ev.line_no}">line {ev.line_no}</a>'
        else:
            where = f" line {ev.line_no}"
    body = ""
    if line is not None:
        body = f"<code>{_e(line)}</code>"
    if comment:
        body += (" &mdash; " if body else "") + _e(comment)
    return f'<li class="ev"><span class="evk">{_e(ev.kind)}</span><span>{body}{where}</span></li>'


def _memory(rx: ReportExplanation) -> str:
    items = []
    if rx.core_registers is not None:
        items.append(f'<li><span class="mrole">registers</span>{_e(rx.core_registers)}</li>')
    for m in rx.memory:
        text = m.describe()
        head, _, rest = text.partition(": ")
        items.append(f'<li><span class="mrole">{_e(head)}</span><code>{_e(rest)}</code></li>')
    return f'<aside class="memory"><h3>Memory (from the core)</h3><ul>{"".join(items)}</ul></aside>'


def _register(tree: FieldTree) -> str:
    d = bitfield.layout(tree)
    out = [
        '<div class="reg">',
        f'<div><span class="rname">{_e(tree.register)}</span><span class="rval">{_e(c.register_value(tree))}</span>'
        + (f'<span class="rsum">{_e(tree.summary)}</span>' if tree.summary else "")
        + "</div>",
    ]
    for row in d.rows:
        out.append(
            f'<div class="bf" style="grid-template-columns:repeat({row.columns},minmax(0,1fr))">'
        )
        for box in row.levels[0] if row.levels else ():
            nums = f"<span>{box.hi}</span>" + (f"<span>{box.lo}</span>" if box.hi != box.lo else "")
            out.append(f'<div class="bn" style="grid-row:1;grid-column:{box.col}/span {box.span}">{nums}</div>')
        for level, boxes in enumerate(row.levels):
            for box in boxes:
                cls = ["box", f"l{level}"]
                if box.reserved:
                    cls.append("res")
                elif box.value:
                    cls.append("set")
                value = str(box.value) if box.span == 1 else f"0x{box.value:x}"
                bits = f"[{box.field_hi}]" if box.field_hi == box.field_lo else f"[{box.field_hi}:{box.field_lo}]"
                tip = box.name if box.name.endswith("]") else f"{box.name}{bits}"
                if box.clipped:
                    tip += f" (bits [{box.hi}:{box.lo}] shown)"
                tip += f" = {value}" + (f": {box.meaning}" if box.meaning else "")
                out.append(
                    f'<div class="{" ".join(cls)}" style="grid-row:{level + 2};grid-column:{box.col}/span {box.span}"'
                    f' title="{_e(tip)}"><b>{_e(box.name)}</b><i>{_e(value)}</i></div>'
                )
        out.append("</div>")
    for note in d.collapsed:
        out.append(f'<div class="collapsed">{_e(note)}</div>')
    fields = c.compact_fields(tree)
    legend = [fl for fl in fields if fl.explained]
    if legend:
        out.append('<table class="legend"><tr><th>field</th><th>value</th><th>meaning</th></tr>')
        for fl in legend:
            out.append(
                f'<tr><td class="mono">{_e(fl.name_bits)}</td>'
                f'<td class="mono">{_e(c.field_value(fl.field))}</td><td>{_e(fl.field.meaning)}</td></tr>'
            )
        out.append("</table>")
    rest = [fl for fl in fields if not fl.explained]
    if rest:
        listing = " ".join(f"{fl.label}={c.field_value(fl.field)}" for fl in rest)
        out.append(f'<div class="collapsed">also: <code>{_e(listing)}</code> (hover a box for its meaning)</div>')
    for note in tree.notes:
        out.append(f'<div class="collapsed">{_e(note)}</div>')
    out.append("</div>")
    return "\n".join(out)


def _frames(rx: ReportExplanation) -> str:
    out = ['<table class="frames"><tr><th>stack</th><th>frame</th><th>source</th><th>address</th></tr>']
    for fr in rx.frames:
        v = c.frame_view(fr)
        for loc in v.inlined:
            where = c.location_text(loc) or ""
            out.append(
                f'<tr class="inline"><td>{_e(v.frame.stack)}</td><td class="mono">{_e(loc.function)} [inline]</td>'
                f'<td class="mono src">{_e(where)}</td><td></td></tr>'
            )
            if loc.text:
                out.append(f'<tr class="inline"><td></td><td colspan="3" class="mono">{_e(loc.text.strip())}</td></tr>')
        marker = f" ({_e(v.frame.marker)})" if v.frame.marker else ""
        inline = " [inline]" if v.frame.inline else ""
        out.append(
            f'<tr><td>{_e(v.frame.stack)}</td><td class="mono">{_e(v.label)}{marker}{inline}</td>'
            f'<td class="mono src">{_e(v.source or "")}</td><td class="mono">{_e(c.hexa(v.address) or "")}</td></tr>'
        )
        if v.location and v.location.text:
            out.append(f'<tr><td></td><td colspan="3" class="mono">{_e(v.location.text.strip())}</td></tr>')
        for n in v.notes:
            out.append(f'<tr><td></td><td colspan="3" class="ann">note: {_e(n)}</td></tr>')
    out.append("</table>")
    return "\n".join(out)


def _disassembly(rx: ReportExplanation) -> str:
    hazards = c.finding_addresses(rx.findings)
    with_lines = any(i.source and i.source.line for i in rx.disassembly)
    head = "<th>line</th>" if with_lines else ""
    out = [f'<table class="disasm"><tr><th></th>{head}<th>address</th><th>word</th><th>instruction</th><th>notes</th></tr>']
    cols = 5 if with_lines else 4
    last: tuple[str | None, int | None] | None = None
    for ins in rx.disassembly:
        src = ins.source
        key = (src.file, src.line) if src else None
        if src and key != last and (src.text or last is None or src.file != last[0]):
            text = f" &nbsp; {_e(src.text.strip())}" if src.text else ""
            where = c.location_text(src) or ""
            out.append(f'<tr class="srcline"><td></td><td colspan="{cols}" class="mono">{_e(where)}{text}</td></tr>')
        last = key or last
        line_td = ""
        if with_lines:
            tip = _e(c.location_text(src) or "") if src else ""
            line_td = f'<td class="mono ln" title="{tip}">{src.line if src and src.line else ""}</td>'
        cls = "fault" if ins.faulting else ("hazard" if c.is_hazard(ins, hazards) else "")
        mark = "--&gt;" if ins.faulting else ("!" if cls == "hazard" else "")
        notes = c.instruction_notes(ins, hazards)
        out.append(
            f'<tr class="{cls}"><td class="mk mono">{mark}</td>{line_td}<td class="mono">{ins.address:016x}</td>'
            f'<td class="mono">{ins.word:08x}</td><td class="mono">{_e(c.instruction_text(ins))}</td>'
            f'<td class="ann">{_e("; ".join(notes))}</td></tr>'
        )
    out.append("</table>")
    return "\n".join(out)


def _findings(rx: ReportExplanation) -> str:
    out = [
        '<table class="findings"><tr><th>severity</th><th>class</th><th>where</th>'
        "<th>instruction / relocation</th><th>why &amp; fix</th></tr>"
    ]
    for g in c.group_findings(rx.findings):
        f = g.finding
        why = " ".join(x for x in (f.why, f.safe_by and f"Safe by: {f.safe_by}.") if x)
        out.append(
            f'<tr><td class="sev {_e(f.severity)}">{_e(f.severity)}</td><td class="mono">{_e(f.cls)}</td>'
            f'<td class="mono">{_e(f.region)}: {_e(g.where)}<br><span class="src">{_e(g.source)}</span></td>'
            f'<td class="mono">{_e(g.detail())}</td><td>{_e(why)}<br><b>Fix:</b> {_e(f.fix)}</td></tr>'
        )
    out.append("</table>")
    return "\n".join(out)


def _log(rx: ReportExplanation, rid: str) -> str:
    hits = c.quoted_line_numbers(rx)
    out = ['<pre class="log">']
    for n, line in rx.report.numbered_lines():
        cls = "l hit" if n in hits else "l"
        out.append(f'<span class="{cls}" id="{rid}-L{n}"><span class="n">{n}</span>{_e(line)}</span>')
    out.append("</pre>")
    return "".join(out)
