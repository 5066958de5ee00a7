"""Precision and recall of the batch signatures against syzkaller's own merges.

    .venv/bin/python bench/cluster_quality.py [--corpus DIR]

Ground truth (syzkaller's documented behaviour, learnt from its test data): each case of
pkg/report/testdata/linux (vendored in tests/data/syzkaller/report, else
/work/shared/conformance/syzkaller/report) gives its report's TITLE and the ALT titles
syzkaller also files it under; syzbot merges two reports when one's TITLE or ALT equals
one of the other's.  Each case's log goes through our parser; its first report's exact
signature (our title) and fuzzy cluster (triage/signature.py) are compared pairwise:

    precision = pairs we join that syzkaller merges / pairs we join
    recall    = pairs syzkaller merges that we join / pairs syzkaller merges

over the cases where syzkaller and we both find a crash, leaving out the cases syzkaller
marks CORRUPTED (their titles end "in corrupted": a damaged report, not a bug identity).  Second part: the project's
45 QEMU logs (tests/data/e2e), truth = same LKDTM crash type (the file name before '-').
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from a64triage.console import parse_lines  # noqa: E402
from a64triage.triage.signature import SIGNATURE_VERSION, cluster_key  # noqa: E402

CORPORA = [ROOT / "tests" / "data" / "syzkaller" / "report", Path("/work/shared/conformance/syzkaller/report")]


def read_case(path: Path) -> tuple[set[str], list[str]] | None:
    """(TITLE and ALT titles, log lines) of one syzkaller case; None without a TITLE."""
    text = path.read_bytes().decode("utf-8", "replace").replace("\r", "")
    head, _, body = text.partition("\n\n")
    titles: set[str] = set()
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        if key in ("TITLE", "ALT") and value:
            titles.add(value.strip())
    if not any(line.startswith("TITLE: ") for line in head.splitlines()):
        return None
    if any(line.strip() == "CORRUPTED: Y" for line in head.splitlines()):
        return None  # "X in corrupted": syzbot files these apart, they name no bug to merge
    log, _, _ = body.partition("\nREPORT:\n")
    return titles, log.splitlines()


def pair_scores(truth: list[set[str]], ours: list[str]) -> tuple[float, float, int, int]:
    tp = fp = fn = 0
    for (ta, oa), (tb, ob) in combinations(zip(truth, ours, strict=True), 2):
        same_truth, same_ours = bool(ta & tb), oa == ob
        tp += same_truth and same_ours
        fp += same_ours and not same_truth
        fn += same_truth and not same_ours
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp + fn, tp + fp


def _line(name: str, scores: tuple[float, float, int, int]) -> str:
    p, r, merged, joined = scores
    return f"  {name:34s} precision {p:6.1%}  recall {r:6.1%}  ({joined} pairs joined, {merged} merged by truth)"


def syzkaller(corpus: Path) -> list[str]:
    truth: list[set[str]] = []
    exact: list[str] = []
    fuzzy: list[str] = []
    their_title: list[str] = []
    cases = found = 0
    for path in sorted(corpus.iterdir(), key=lambda p: (len(p.name), p.name)):
        case = read_case(path)
        if case is None:
            continue
        cases += 1
        titles, lines = case
        report = next(iter(parse_lines(lines)), None)
        if report is None:
            continue
        found += 1
        truth.append(titles)
        exact.append(report.title)
        fuzzy.append(cluster_key(report))
        their_title.append(next(t for t in sorted(titles) if t in titles))
    out = [f"syzkaller corpus {corpus}: {cases} uncorrupted cases with a crash, {found} found by the parser "
           f"({len({*fuzzy})} clusters, {len({*exact})} exact signatures)"]
    out.append(_line("exact signature (our title)", pair_scores(truth, exact)))
    out.append(_line(f"fuzzy cluster v{SIGNATURE_VERSION}", pair_scores(truth, fuzzy)))
    return out


def qemu(logs: Iterable[Path]) -> list[str]:
    truth: list[set[str]] = []
    exact: list[str] = []
    fuzzy: list[str] = []
    for log in sorted(logs):
        report = next(iter(parse_lines(log.read_text(encoding="utf-8", errors="replace").splitlines())), None)
        if report is None:
            continue
        truth.append({log.stem.split("-")[0]})
        exact.append(report.title)
        fuzzy.append(cluster_key(report))
    out = [f"QEMU logs: {len(truth)} logs, {len({*map(frozenset, truth)})} LKDTM crash types"]
    out.append(_line("exact signature (our title)", pair_scores(truth, exact)))
    out.append(_line(f"fuzzy cluster v{SIGNATURE_VERSION}", pair_scores(truth, fuzzy)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=next((c for c in CORPORA if c.is_dir()), CORPORA[0]))
    args = ap.parse_args()
    print("\n".join(syzkaller(args.corpus)))
    print("\n".join(qemu((ROOT / "tests" / "data" / "e2e").glob("*.log"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
