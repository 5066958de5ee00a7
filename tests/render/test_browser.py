"""The HTML page in a real browser: headless Chromium renders it, screenshots it and
dumps the DOM it built, which must show the crash and nothing a hostile log injected."""

from __future__ import annotations

import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import cases
import pytest

from a64triage.render import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)"),
]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT = 120  # seconds; a cold start on a busy 2-core box takes a few


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT}s: {' '.join(cmd)}")


class _Dom(HTMLParser):
    """Element names, classes and text of the DOM Chromium serialised."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in ("style", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    def has_class(self, cls: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.elements if cls in (a.get("class") or "").split()]


def _dump_dom(tmp: Path, page: str) -> _Dom:
    path = tmp / "page.html"
    path.write_text(page, encoding="utf-8")
    res = _chromium(tmp, "--dump-dom", path.as_uri())
    assert res.returncode == 0, res.stderr[-2000:]
    dom = _Dom()
    dom.feed(res.stdout)
    dom.close()
    assert dom.elements, "chromium produced no DOM"
    return dom


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_hyp_panic_page_shows_the_crash(tmp_path: Path) -> None:
    dom = _dump_dom(tmp_path, render(cases.hyp_panic_2017(), "html"))
    text = " ".join(dom.text)
    assert "Kernel panic - not syncing: HYP panic" in text
    assert "hyp-absolute-address" in text
    boxes = dom.has_class("box")
    titles = [b.get("title") or "" for b in boxes]
    assert any(t.startswith("EC[31:26] = 0x21") for t in titles)
    assert any(t.startswith("IL[25] = 1") for t in titles)
    assert any(t.startswith("IFSC[5:0] = 0x4") for t in titles)
    assert len(boxes) >= 30  # ESR, SPSR, FAR and HPFAR diagrams
    fault = dom.has_class("fault")
    assert len(fault) == 1
    assert "ffff0000089e6fd8" in text and "mov w0, #0x24" in text
    assert len(dom.has_class("hazard")) == 2
    assert not {t for t, _ in dom.elements} & {"script", "img", "iframe", "object", "embed"}


def test_hostile_log_cannot_inject_markup(tmp_path: Path) -> None:
    dom = _dump_dom(tmp_path, render(cases.hostile_oops(), "html"))
    tags = {t for t, _ in dom.elements}
    assert "script" not in tags and "img" not in tags
    for _, attrs in dom.elements:
        assert not any(k.startswith("on") for k in attrs), attrs
    text = "".join(dom.text)
    assert cases.HOSTILE_COMM in text  # shown as text, not run
    assert '"><img src=x onerror=alert(2)>' in text
    assert "include/linux/<img src=x onerror=alert(3)>.h" in text
    assert "</pre><script>x</script>" in text
    # the comm name in the title/heading did not end the <pre> early or add elements
    pres = [t for t, _ in dom.elements if t == "pre"]
    assert len(pres) == 1


def test_screenshot_renders(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(render(cases.hyp_panic_2017(), "html"), encoding="utf-8")
    png = tmp_path / "shot.png"
    res = _chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", page.as_uri())
    assert res.returncode == 0 and png.exists(), res.stderr[-2000:]
    assert _png_size(png) == (1280, 2000)
    assert png.stat().st_size > 50_000  # a page with content, not a blank canvas
