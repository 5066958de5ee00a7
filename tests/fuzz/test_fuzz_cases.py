"""Every input a fuzzer found that broke the tool, replayed through the target that found it.

One file per case under tests/data/fuzz/TARGET/ (TARGET: a name of fuzz/targets.py).  A
case passes when its target returns: a result or a clean ``InputError``.  A case named
after a defect still listed in fuzz/known.py (``d3-...`` for D3, ``d4-d5-...`` for D4/D5)
is an expected failure with the defect's owner; removing the row when the fix lands
turns it into a plain test.
"""

from __future__ import annotations

from pathlib import Path

import known
import pytest
import targets

CASES = sorted(p for p in (Path(__file__).resolve().parents[1] / "data" / "fuzz").glob("*/*")
               if p.is_file() and p.name != "README.md")


def _param(path: Path) -> object:
    target = path.parent.name
    marks = [pytest.mark.xfail(strict=True, reason=f"{k.defect} owned by the {k.owner} helper")
             for k in known.KNOWN if path.name.startswith(k.defect.lower().replace("/", "-") + "-")]
    return pytest.param(target, path, id=f"{target}/{path.name}", marks=marks)


def test_cases_name_a_target() -> None:
    assert CASES and {p.parent.name for p in CASES} <= set(targets.TARGETS)


@pytest.mark.parametrize(("target", "path"), [_param(p) for p in CASES])
def test_fuzz_case(target: str, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A64TRIAGE_CACHE", str(tmp_path / "cache"))  # a mutated ELF keeps its build id
    targets.TARGETS[target].run(path.read_bytes())
