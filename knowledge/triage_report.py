"""Figures for triage over a labelled file: recall per level, false alarms, the safety net,
and the same per category and per writing style.

Shared by ``benchmarks/triage_bench.py`` and ``hotline triage eval FILE``. The verdict comes
from a callable, so any triage (rules alone, both layers) can be measured the same way.

How a message counts:
- a ``critical`` message is found when triage says critical; "raised" when it says anything;
- an ``urgent`` message is found when triage says urgent or critical;
- a ``none`` message is a false alarm when triage says urgent or critical;
- the safety net covers a message that is raised or marked for review.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from knowledge.labelled import Labelled

RANK = {"none": 0, "urgent": 1, "critical": 2}


class Verdict(Protocol):
    @property
    def level(self) -> str: ...

    @property
    def category(self) -> str | None: ...

    @property
    def review(self) -> bool: ...


@dataclass
class Tally:
    n: int = 0
    found: int = 0  # at the labelled level (critical as critical; urgent as urgent or more)
    raised: int = 0  # at any level
    covered: int = 0  # raised or made a review item
    category_ok: int = 0
    negatives: int = 0  # of the n, labelled none
    alarms: int = 0  # none messages raised
    reviews: int = 0  # none messages made review items

    @property
    def positives(self) -> int:
        return self.n - self.negatives

    def add(self, message: Labelled, verdict: Verdict) -> None:
        self.n += 1
        got = RANK[verdict.level]
        if message.level == "none":
            self.negatives += 1
            self.alarms += got > 0
            self.reviews += got == 0 and verdict.review
            return
        self.found += got >= RANK[message.level]
        self.raised += got > 0
        self.covered += got > 0 or verdict.review
        self.category_ok += got > 0 and verdict.category == message.category


@dataclass
class Report:
    name: str
    levels: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    categories: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    styles: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    negatives: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[tuple[Labelled, str]] = field(default_factory=list)

    @property
    def critical_recall(self) -> float:
        return _ratio(self.levels["critical"].found, self.levels["critical"].n)

    @property
    def urgent_recall(self) -> float:
        return _ratio(self.levels["urgent"].found, self.levels["urgent"].n)

    @property
    def false_alarms(self) -> float:
        return _ratio(self.levels["none"].alarms, self.levels["none"].n)

    @property
    def covered(self) -> float:
        positives = [self.levels["critical"], self.levels["urgent"]]
        return _ratio(sum(t.covered for t in positives), sum(t.n for t in positives))


def evaluate(name: str, messages: Iterable[Labelled],
             assess: Callable[[str], Verdict]) -> Report:
    report = Report(name)
    for message in messages:
        verdict = assess(message.text)
        report.levels[message.level].add(message, verdict)
        if message.category:
            report.categories[message.category].add(message, verdict)
        else:
            report.negatives[message.negative or "other"].add(message, verdict)
        for style in message.styles:
            report.styles[style].add(message, verdict)
        got = RANK[verdict.level]
        if (message.level != "none" and got < RANK[message.level]) or (
            message.level == "none" and got > 0
        ):
            report.misses.append((message, verdict.level))
    return report


def lines(report: Report, *, show_misses: int = 0) -> list[str]:
    """The report as text: headline, per category, per negative kind, per style."""
    lv = report.levels
    out = [
        f"== {report.name}: {sum(t.n for t in lv.values())} messages "
        f"({lv['critical'].n} critical, {lv['urgent'].n} urgent, {lv['none'].n} none)",
        f"critical recall (as critical) {_pct(report.critical_recall)}   "
        f"critical raised at all {_pct(_ratio(lv['critical'].raised, lv['critical'].n))}",
        f"urgent recall (urgent or critical) {_pct(report.urgent_recall)}",
        f"false alarms (none raised) {_pct(report.false_alarms)} ({lv['none'].alarms})   "
        f"none made review items {_pct(_ratio(lv['none'].reviews, lv['none'].n))}",
        f"safety net: critical+urgent raised or review {_pct(report.covered)}",
        "",
        f"{'category':<22}{'n':>5}{'found':>8}{'raised':>8}{'net':>8}{'cat ok':>8}",
    ]
    for name, t in sorted(report.categories.items()):
        out.append(f"{name:<22}{t.n:>5}{_pct(_ratio(t.found, t.n)):>8}"
                   f"{_pct(_ratio(t.raised, t.n)):>8}{_pct(_ratio(t.covered, t.n)):>8}"
                   f"{_pct(_ratio(t.category_ok, t.raised)):>8}")
    out += ["", f"{'negative kind':<22}{'n':>5}{'alarms':>8}{'review':>8}"]
    for name, t in sorted(report.negatives.items()):
        out.append(f"{name:<22}{t.n:>5}{_pct(_ratio(t.alarms, t.n)):>8}"
                   f"{_pct(_ratio(t.reviews, t.n)):>8}")
    out += ["", f"{'style':<22}{'pos':>5}{'found':>8}{'net':>8}{'neg':>6}{'alarms':>8}"]
    for name, t in sorted(report.styles.items()):
        out.append(f"{name:<22}{t.positives:>5}{_pct(_ratio(t.found, t.positives)):>8}"
                   f"{_pct(_ratio(t.covered, t.positives)):>8}{t.negatives:>6}"
                   f"{_pct(_ratio(t.alarms, t.negatives)):>8}")
    if show_misses:
        out += ["", f"misses (first {show_misses}):"]
        for message, got in report.misses[:show_misses]:
            out.append(f"  [{message.level}->{got}] {message.category or '-'}: "
                       f"{message.text[:140]}")
    return out


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else float("nan")


def _pct(value: float) -> str:
    return "    –" if value != value else f"{100 * value:5.1f}%"
