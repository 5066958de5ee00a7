"""Memory read from a core (explain --vmcore) in the text, JSON and HTML renderings.

The facts are those `explain --vmcore` printed for the SLAB_FREE_DOUBLE core of
Debian's 6.1 arm64 kernel under QEMU (tests/e2e/test_vmcore.py makes such cores),
attached to the hostile_oops case so the renderers' escaping is exercised too.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import cases
import jsonschema

from a64triage.diagnose.types import Explanation
from a64triage.render import render
from a64triage.symbols.vmcore import MemoryFact, PageMapping, SlabObject, StackBounds

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "src" / "a64triage" / "schemas"
                     / "explain.schema.json").read_text(encoding="utf-8"))
REGS = ("the core's exception frame (pt_regs at 0xffff80000826ba90: pc 0xffffd69f23f62830, sp "
        "0xffff80000826bbe0, pstate 0x60000005) agrees with the oops text (32 registers compared)")
MEMORY = (
    MemoryFact("SP", 0xFFFF80000826BBE0, PageMapping(True, 3, 0x4A1B0BE0, 4096, writable=True),
               (0xFFFF80000826BC50, 0xFFFF6F308343C1F8), 0xFFFF80000826BBE0, 8,
               stack=StackBounds("init[88]", 0xFFFF800008268000, 0xFFFF80000826C000)),
    MemoryFact("x1", 0xFFFF6F308343C1F8, PageMapping(True, 3, 0x4343C1F8, 4096, writable=True),
               (0x12345678,), 0xFFFF6F308343C1F8, 8,
               slab=SlabObject("lkdtm-heap-<double_free>", 0xFFFF6F308343C1F8, 64, False)),
    MemoryFact("FAR", 0, PageMapping(False, 2, why="level 2 descriptor invalid (0x0)")),
)


def with_memory() -> Explanation:
    expl = cases.hostile_oops()
    first = replace(expl.reports[0], memory=MEMORY, core_registers=REGS)
    return replace(expl, reports=(first, *expl.reports[1:]))


def test_text_has_a_memory_section_after_the_registers() -> None:
    text = render(with_memory(), "text")
    assert text.index("Registers") < text.index("Memory (from the core)") < text.index("Call trace")
    flat = " ".join(text.split())
    assert "slab cache lkdtm-heap-<double_free>, object 0xffff6f308343c1f8 (+0x0 of 64), FREE" in flat
    assert "inside the stack of init[88] (0xffff800008268000-0xffff80000826c000)" in flat
    assert "FAR 0x0: not mapped (level 2 descriptor invalid (0x0))" in flat
    assert "agrees with the oops text" in flat


def test_json_memory_validates_and_keeps_every_fact() -> None:
    doc = json.loads(render(with_memory(), "json"))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    rep = doc["reports"][0]
    assert rep["core_registers"] == REGS
    sp, x1, far = rep["memory"]
    assert sp["stack"] == {"task": "init[88]", "base": "0xffff800008268000", "end": "0xffff80000826c000"}
    assert sp["permissions"] == "rw- kernel, no user access, 4 KiB page" and sp["phys"] == "0x4a1b0be0"
    assert x1["slab"] == {"cache": "lkdtm-heap-<double_free>", "object": "0xffff6f308343c1f8", "size": 64,
                          "allocated": False}
    assert far["mapped"] is False and far["words"] == [] and far["words_at"] is None
    assert all(m["text"] for m in rep["memory"])
    for report in doc["reports"][1:]:
        assert report["memory"] == [] and report["core_registers"] is None


def test_html_shows_memory_beside_the_registers_escaped() -> None:
    html = render(with_memory(), "html")
    block = html[html.index('<div class="regmem">'):]
    assert block.index("<h3>Registers</h3>") < block.index('<aside class="memory">')
    assert "lkdtm-heap-&lt;double_free&gt;" in block and "<double_free>" not in html
    assert re.search(r'<span class="mrole">x1 0xffff6f308343c1f8</span>', block)
