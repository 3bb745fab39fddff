"""The triage floors, measured on tests/knowledge/triage_eval.yaml (hand-labelled messages).

Recall: a critical message must be assessed critical; an urgent one urgent or critical.
False alarm: a message labelled none that is assessed urgent or critical.
Run benchmarks/triage_bench.py for the figures per category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.text import Abbreviations, fold
from knowledge.triage import LEVELS, Assessment, TriageRules

ROOT = Path(__file__).resolve().parents[2]
RANK = {level: n for n, level in enumerate(LEVELS)}

CRITICAL_RECALL_FLOOR = 1.0
URGENT_RECALL_FLOOR = 0.95
FALSE_ALARM_CEILING = 0.05
CATEGORY_FLOOR = 0.97  # of the messages labelled urgent or critical


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    data = yaml.safe_load((ROOT / "tests/knowledge/triage_eval.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def results(cases: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Assessment]]:
    abbreviations = Abbreviations.load(ROOT / "knowledge/teencode.yaml")
    triage = TriageRules.load(ROOT / "knowledge/triage.yaml", abbreviations)
    return [(case, triage.assess(case["text"])) for case in cases]


def _misses(results: list[tuple[dict[str, Any], Assessment]], level: str) -> list[str]:
    return [
        f"{c['text']!r} -> {a.level}"
        for c, a in results
        if c["level"] == level and RANK[a.level] < RANK[level]
    ]


def test_the_set_is_large_varied_and_well_formed(cases: list[dict[str, Any]]) -> None:
    assert len(cases) >= 250
    assert {c["level"] for c in cases} == set(LEVELS)
    assert {c["style"] for c in cases} == {"accented", "unaccented", "teencode"}
    unaccented = [c for c in cases if c["style"] == "unaccented"]
    assert len(unaccented) * 3 >= len(cases)
    assert all(fold(c["text"]) == c["text"].lower() for c in unaccented)
    assert all(c["category"] is None for c in cases if c["level"] == "none")
    assert len({c["text"] for c in cases}) == len(cases), "duplicate messages"


def test_every_labelled_category_exists(cases: list[dict[str, Any]]) -> None:
    triage = TriageRules.load(
        ROOT / "knowledge/triage.yaml", Abbreviations.load(ROOT / "knowledge/teencode.yaml")
    )
    labelled = {c["category"] for c in cases} - {None}
    assert labelled <= set(triage.categories)
    assert set(triage.categories) <= labelled, "every category needs evaluation messages"


def test_every_critical_message_is_flagged_critical(
    results: list[tuple[dict[str, Any], Assessment]],
) -> None:
    total = sum(1 for c, _ in results if c["level"] == "critical")
    misses = _misses(results, "critical")
    assert 1 - len(misses) / total >= CRITICAL_RECALL_FLOOR, "\n".join(misses)


def test_urgent_messages_are_flagged_at_least_urgent(
    results: list[tuple[dict[str, Any], Assessment]],
) -> None:
    total = sum(1 for c, _ in results if c["level"] == "urgent")
    misses = _misses(results, "urgent")
    assert 1 - len(misses) / total >= URGENT_RECALL_FLOOR, "\n".join(misses)


def test_false_alarms_on_ordinary_messages_stay_rare(
    results: list[tuple[dict[str, Any], Assessment]],
) -> None:
    ordinary = [(c, a) for c, a in results if c["level"] == "none"]
    alarms = [f"{c['text']!r} -> {a.level} {a.signals}" for c, a in ordinary if a.is_emergency]
    assert len(alarms) / len(ordinary) <= FALSE_ALARM_CEILING, "\n".join(alarms)


def test_the_category_shown_is_right_for_nearly_every_emergency(
    results: list[tuple[dict[str, Any], Assessment]],
) -> None:
    flagged = [(c, a) for c, a in results if c["level"] != "none"]
    wrong = [
        f"{c['text']!r}: {c['category']} -> {a.category}"
        for c, a in flagged
        if a.category != c["category"]
    ]
    assert 1 - len(wrong) / len(flagged) >= CATEGORY_FLOOR, "\n".join(wrong)
