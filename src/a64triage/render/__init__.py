"""The render stage: text, mail, JSON and HTML views of an :class:`Explanation`.

Renderers never decide anything about the crash; they lay out what diagnose/
found.  Shared wording lives in :mod:`a64triage.render.common`.
"""

from __future__ import annotations

from a64triage.diagnose.types import Explanation
from a64triage.errors import InputError
from a64triage.render.html import render_html
from a64triage.render.jsonout import SCHEMA_VERSION, explanation_to_json, render_json
from a64triage.render.mail import render_mail
from a64triage.render.text import render_text

FORMATS: tuple[str, ...] = ("text", "mail", "json", "html")

__all__ = ["FORMATS", "SCHEMA_VERSION", "explanation_to_json", "render"]


def render(explanation: Explanation, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """Render ``explanation`` as ``fmt`` (text|mail|json|html).

    ``color`` only affects ``text``; ``width`` is the terminal width for
    ``text`` and an upper bound (never above 72) for ``mail``.
    """
    if fmt == "text":
        return render_text(explanation, color=color, width=width)
    if fmt == "mail":
        return render_mail(explanation, width=width)
    if fmt == "json":
        return render_json(explanation)
    if fmt == "html":
        return render_html(explanation)
    raise InputError("--format", f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
