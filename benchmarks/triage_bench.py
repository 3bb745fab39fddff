"""Triage benchmark: recall and false alarms per category, overall recall, assess() latency.

Run from the repository root:  .venv/bin/python benchmarks/triage_bench.py
Reads tests/knowledge/triage_eval.yaml (hand-labelled messages) and knowledge/triage.yaml.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from knowledge.text import Abbreviations  # noqa: E402
from knowledge.triage import LEVELS, TriageRules  # noqa: E402

RANK = {level: n for n, level in enumerate(LEVELS)}
HELP = "(none: help cry)"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    –"


def main() -> int:
    start = time.perf_counter()
    triage = TriageRules.load(
        ROOT / "knowledge/triage.yaml", Abbreviations.load(ROOT / "knowledge/teencode.yaml")
    )
    load_ms = 1000 * (time.perf_counter() - start)
    cases: list[dict[str, Any]] = yaml.safe_load(
        (ROOT / "tests/knowledge/triage_eval.yaml").read_text(encoding="utf-8")
    )
    results = [(c, triage.assess(c["text"])) for c in cases]

    print(f"{len(cases)} messages; lexicon loaded in {load_ms:.0f} ms\n")
    ordinary = [(c, a) for c, a in results if c["level"] == "none"]
    print(f"{'category':<20}{'n':>4}{'recall':>9}{'cat ok':>9}{'misses':>8}{'false alarms':>15}")
    per_cat: dict[str, list[tuple[dict[str, Any], Any]]] = defaultdict(list)
    for case, result in results:
        if case["level"] != "none":
            per_cat[case["category"] or HELP].append((case, result))
    for category in [*triage.categories, HELP]:
        rows = per_cat.get(category, [])
        hit = sum(1 for c, a in rows if RANK[a.level] >= RANK[c["level"]])
        cat_ok = sum(1 for c, a in rows if a.category == c["category"])
        # False-alarm rate: level-none messages raised to an emergency in this category.
        n_alarms = sum(
            1 for _, a in ordinary if a.is_emergency and (a.category or HELP) == category
        )
        print(
            f"{category:<20}{len(rows):>4}{_pct(hit, len(rows)):>9}{_pct(cat_ok, len(rows)):>9}"
            f"{len(rows) - hit:>8}{_pct(n_alarms, len(ordinary)):>9} ({n_alarms})"
        )

    print()
    for level in ("critical", "urgent"):
        rows = [(c, a) for c, a in results if c["level"] == level]
        hit = sum(1 for c, a in rows if RANK[a.level] >= RANK[level])
        print(f"{level} recall: {_pct(hit, len(rows))} ({hit}/{len(rows)})")
        for c, a in rows:
            if RANK[a.level] < RANK[level]:
                print(f"    missed: {c['text']!r} -> {a.level}")
    alarms = [(c, a) for c, a in ordinary if a.is_emergency]
    print(
        f"false alarms on level-none messages: {_pct(len(alarms), len(ordinary))} "
        f"({len(alarms)}/{len(ordinary)})"
    )
    for c, a in alarms:
        print(f"    alarm: {c['text']!r} -> {a.level}/{a.category} {a.signals}")
    flagged = [(c, a) for c, a in results if c["level"] != "none"]
    wrong = [(c, a) for c, a in flagged if a.category != c["category"]]
    print(f"category correct on emergencies: {_pct(len(flagged) - len(wrong), len(flagged))}")
    for c, a in wrong:
        print(f"    category: {c['text']!r}: {c['category']} -> {a.category}")
    by_style: dict[str, list[bool]] = defaultdict(list)
    for c, a in results:
        ok = a.level == "none" if c["level"] == "none" else RANK[a.level] >= RANK[c["level"]]
        by_style[c["style"]].append(ok)
    print(
        "level right by style: "
        + ", ".join(
            f"{s} {_pct(sum(v), len(v)).strip()} (n={len(v)})" for s, v in sorted(by_style.items())
        )
    )

    texts = [c["text"] for c in cases]
    timings: list[float] = []
    for _ in range(20):
        for text in texts:
            t0 = time.perf_counter()
            triage.assess(text)
            timings.append(time.perf_counter() - t0)
    timings.sort()
    p50 = statistics.median(timings) * 1e6
    p99 = timings[int(len(timings) * 0.99)] * 1e6
    print(f"\nassess() latency over {len(timings)} calls: p50 {p50:.0f} µs, p99 {p99:.0f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
