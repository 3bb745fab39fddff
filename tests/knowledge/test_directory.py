"""Emergency numbers shown by the emergency flow for each triage category."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
import yaml

from knowledge.directory import Directory, DirectoryDataError, Hotline

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(KNOWLEDGE / "directory.yaml")


def numbers(hotlines: tuple[Hotline, ...]) -> list[str]:
    return [h.number for h in hotlines]


def test_unknown_or_missing_category_shows_police_ambulance_and_child_line(
    directory: Directory,
) -> None:
    assert numbers(directory.numbers_for(None)) == ["113", "115", "111"]
    assert numbers(directory.numbers_for("no_such_category")) == ["113", "115", "111"]


def test_each_category_shows_the_numbers_that_fit(directory: Directory) -> None:
    assert numbers(directory.numbers_for("suicide"))[:2] == ["115", "096 306 1414"]
    assert numbers(directory.numbers_for("domestic_violence"))[:3] == [
        "113",
        "111",
        "1900 969 680",
    ]
    assert numbers(directory.numbers_for("child_abuse"))[:2] == ["111", "113"]
    assert numbers(directory.numbers_for("missing_child"))[:2] == ["111", "113"]
    assert numbers(directory.numbers_for("trafficking"))[:2] == ["111", "113"]
    assert numbers(directory.numbers_for("medical")) == ["115"]
    assert numbers(directory.numbers_for("fire_rescue"))[:2] == ["114", "112"]


def test_every_triage_category_has_numbers(directory: Directory) -> None:
    triage = yaml.safe_load((KNOWLEDGE / "triage.yaml").read_text(encoding="utf-8"))
    for category in triage["categories"]:
        assert category["id"] in directory.by_category, category["id"]


def test_only_numbers_from_the_fact_sheet_are_listed(directory: Directory) -> None:
    assert {h.dial for h in directory.hotlines.values()} == {
        "113",
        "114",
        "115",
        "112",
        "111",
        "1900969680",
        "0963061414",
        "02433525662",
    }


def test_entries_say_what_they_are_for_and_where_the_fact_came_from(
    directory: Directory,
) -> None:
    for hotline in directory.hotlines.values():
        assert hotline.name and hotline.purpose and hotline.source


def test_unverified_facts_are_not_stated_as_facts(directory: Directory) -> None:
    binh_yen = directory.get("binh_yen")
    assert binh_yen.hours is None
    assert "unverified" in binh_yen.note.lower()
    assert "miễn phí" not in binh_yen.purpose
    assert "2022" in (directory.get("ngay_mai").hours or "")
    assert "unverified" in directory.get("hanoi_social_work").note.lower()


def test_hotline_is_immutable(directory: Directory) -> None:
    with pytest.raises(FrozenInstanceError):
        directory.get("police").number = "0"  # type: ignore[misc]


def test_a_category_naming_an_unknown_hotline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "hotlines:\n"
        "  - {id: police, name: Công an, number: '113', purpose: p, hours: '24/7', source: s}\n"
        "categories: {violence: [police, ghost]}\n"
        "default: [police]\n",
        encoding="utf-8",
    )
    with pytest.raises(DirectoryDataError, match=r"categories\.violence: 'ghost'"):
        Directory.load(path)


def test_a_hotline_without_a_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "hotlines:\n  - {id: police, name: Công an, number: '113', purpose: p}\n"
        "categories: {}\ndefault: [police]\n",
        encoding="utf-8",
    )
    with pytest.raises(DirectoryDataError, match=r"hotlines\[0\]\.source"):
        Directory.load(path)
