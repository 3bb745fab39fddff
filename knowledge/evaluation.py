"""Accuracy of a search function on a labelled question set (tests and the benchmark share it).

A case is a question, its style (accented / unaccented / teencode / unanswerable) and the ids
of every article that answers it (none for unanswerable questions). "Confident-wrong" is the
failure that hurts people: the bot answers directly with an article that does not answer the
question. For an unanswerable question any confident answer is wrong.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

STYLES = ("accented", "unaccented", "teencode", "unanswerable")


@dataclass(frozen=True)
class Case:
    question: str
    style: str
    expect: frozenset[str]


@dataclass(frozen=True)
class Ranked:
    """What an evaluated search returned: ids best first, and whether it would answer."""

    ids: Sequence[str]
    confident: bool


@dataclass(frozen=True)
class StyleScore:
    style: str
    total: int
    top1: int
    top3: int
    confident: int
    confident_wrong: int

    def rate(self, count: int) -> float:
        return count / self.total if self.total else 0.0

    @property
    def top1_rate(self) -> float:
        return self.rate(self.top1)

    @property
    def top3_rate(self) -> float:
        return self.rate(self.top3)

    @property
    def confident_wrong_rate(self) -> float:
        return self.rate(self.confident_wrong)


@dataclass(frozen=True)
class Report:
    scores: dict[str, StyleScore]
    misses: tuple[tuple[Case, Ranked], ...]

    @property
    def answerable(self) -> StyleScore:
        parts = [s for name, s in self.scores.items() if name != "unanswerable"]
        return StyleScore(
            "answerable",
            sum(s.total for s in parts),
            sum(s.top1 for s in parts),
            sum(s.top3 for s in parts),
            sum(s.confident for s in parts),
            sum(s.confident_wrong for s in parts),
        )


def load_cases(path: Path) -> list[Case]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    cases = []
    for i, item in enumerate(raw):
        style = str(item["style"])
        if style not in STYLES:
            raise ValueError(f"{path}: case {i}: unknown style {style!r}")
        cases.append(Case(str(item["q"]), style, frozenset(map(str, item.get("expect") or []))))
    return cases


def evaluate(cases: Iterable[Case], search: Callable[[str], Ranked]) -> Report:
    tallies: dict[str, list[int]] = {s: [0, 0, 0, 0, 0] for s in STYLES}
    misses: list[tuple[Case, Ranked]] = []
    for case in cases:
        ranked = search(case.question)
        tally = tallies[case.style]
        tally[0] += 1
        tally[3] += ranked.confident
        if not case.expect:
            tally[4] += ranked.confident
            if ranked.confident:
                misses.append((case, ranked))
            continue
        top1 = bool(ranked.ids) and ranked.ids[0] in case.expect
        tally[1] += top1
        tally[2] += any(i in case.expect for i in ranked.ids[:3])
        tally[4] += ranked.confident and not top1
        if not top1:
            misses.append((case, ranked))
    scores = {s: StyleScore(s, *t) for s, t in tallies.items() if t[0]}
    return Report(scores, tuple(misses))


# -- real questions people posted (tests/knowledge/policy_real) --------------------------

REAL_SPLITS = ("dev", "test")


@dataclass(frozen=True)
class RealCase:
    id: str
    question: str
    source: str
    answerable: bool
    expect_any: tuple[str, ...]
    asks: str
    style: str
    length: str


@dataclass(frozen=True)
class FollowUp:
    id: str
    first: str
    then: str
    leans: bool
    expect_any: tuple[str, ...]
    style: str


def load_real(folder: Path, split: str) -> tuple[list[RealCase], list[FollowUp]]:
    """Every case of one split (`dev` or `test`), from all the parts' files."""
    if split not in REAL_SPLITS:
        raise ValueError(f"split must be one of {', '.join(REAL_SPLITS)}, got {split!r}")
    cases: list[RealCase] = []
    follow_ups: list[FollowUp] = []
    for path in sorted(folder.glob(f"{split}_*.yaml")):
        for i, item in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            where = f"{path.name}: case {i}"
            if not isinstance(item, dict):
                raise ValueError(f"{where}: expected a mapping")
            expect = tuple(str(x) for x in item.get("expect_any") or [])
            if "then" in item:
                follow_ups.append(FollowUp(
                    str(item["id"]), str(item["first"]), str(item["then"]),
                    bool(item.get("leans", True)), expect, str(item.get("style", ""))))
                continue
            if "q" not in item:
                raise ValueError(f"{where}: no q")
            answerable = bool(item.get("answerable", bool(expect)))
            cases.append(RealCase(
                str(item.get("id", f"{path.stem}-{i}")), str(item["q"]),
                str(item.get("source", "")), answerable and bool(expect), expect,
                str(item.get("asks", "other")), str(item.get("style", "")),
                str(item.get("length", ""))))
    return cases, follow_ups


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def has_figure(reply: str, expect_any: Iterable[str]) -> bool:
    """Does the reply state one of the expected figures or phrases? Compared without case
    and spacing differences ("750.000 đồng" states "750.000"), diacritics kept."""
    body = _plain(reply)
    return any(_plain(e) in body for e in expect_any if e.strip())
