"""index.html: the static page of a batch's groups (no script, like every page we write).

"Sortable by count" without a script: the page is pre-rendered in each
order and the three files link to one another — ``index.html`` (most
reports first), ``index-by-cluster.html`` (groups under their fuzzy cluster,
biggest cluster first) and ``index-by-title.html`` (alphabetical).  Each group
links to its example's full ``explain`` page (``examples/ID.html``) and the
example log itself (``examples/ID.log``).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from a64triage.render.html import CSP
from a64triage.triage.groups import Group, GroupTable

PAGES: tuple[tuple[str, str], ...] = (
    ("index.html", "by count"),
    ("index-by-cluster.html", "by cluster"),
    ("index-by-title.html", "by title"),
)
MAX_ROWS = 5000  # groups listed per page (the rest are counted; groups.jsonl has them all)

_CSS = """
body{margin:0;background:#f6f7f9;color:#1d2330;font:15px/1.45 system-ui,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #d6dbe3;padding:5px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;word-break:break-all}
nav a,nav b{margin-right:14px}
.new{color:#b42318;font-weight:600}
h2{font-size:16px;margin:22px 0 6px}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _row(g: Group, links: Callable[[Group], tuple[str | None, str | None]], known: set[str] | None) -> str:
    page, log = links(g)
    title = _e(g.signature)
    if page:
        title = f'<a href="{_e(page)}">{title}</a>'
    log_link = f' <a href="{_e(log)}">log</a>' if log else ""
    mark = "" if known is None else (" <span class=new>new</span>" if g.signature not in known else "")
    kernels = ", ".join(sorted(g.kernels)[:3]) + (" …" if len(g.kernels) > 3 or g.more_kernels else "")
    return (f"<tr><td class=n>{g.count}</td><td>{title}{mark}{log_link}</td><td><code>{_e(g.cluster)}</code></td>"
            f"<td>{_e(g.type)}</td><td>{_e(kernels)}</td><td>{_e(g.first[1])}</td></tr>")


_HEAD = ("<tr><th>reports</th><th>signature (example's explain page)</th><th>cluster</th>"
         "<th>type</th><th>kernels</th><th>first input</th></tr>")


def render_index(table: GroupTable, page: str, *, summary: str,
                 links: Callable[[Group], tuple[str | None, str | None]],
                 known: set[str] | None = None) -> str:
    """One of ``PAGES``: every group, in that page's order."""
    nav = " ".join(f"<b>{label}</b>" if name == page else f'<a href="{name}">{label}</a>'
                   for name, label in PAGES)
    parts = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
             f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
             "<title>a64triage batch</title>", f"<style>{_CSS}</style></head><body><main>",
             "<h1>a64triage batch</h1>", f"<p>{_e(summary)}</p>", f"<nav>order: {nav}</nav>"]
    rows = 0

    def table_of(groups: list[Group]) -> None:
        nonlocal rows
        parts.append(f"<table>{_HEAD}")
        for g in groups:
            if rows >= MAX_ROWS:
                break
            parts.append(_row(g, links, known))
            rows += 1
        parts.append("</table>")

    if page == "index-by-cluster.html":
        clusters = sorted(table.clusters().items(), key=lambda kv: (-sum(g.count for g in kv[1]), kv[0]))
        for cluster, groups in clusters:
            if rows >= MAX_ROWS:
                break
            total = sum(g.count for g in groups)
            parts.append(f"<h2><code>{_e(cluster)}</code>: {total} report(s), {len(groups)} signature(s)</h2>")
            table_of(groups)
    elif page == "index-by-title.html":
        table_of(sorted(table.groups.values(), key=lambda g: g.signature))
    else:
        table_of(table.by_count())
    if len(table.groups) > rows:
        parts.append(f"<p>{len(table.groups) - rows} more group(s) in groups.jsonl</p>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
