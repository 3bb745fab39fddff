"""Emergency numbers shown by the emergency flow for each triage category."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
import yaml

from knowledge.check import check_knowledge
from knowledge.directory import Directory, DirectoryDataError, Hotline

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
CHILD = frozenset({"child"})


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
    # 111 for domestic violence only when a child may be involved (it was always shown).
    assert numbers(directory.numbers_for("domestic_violence"))[:2] == ["113", "1900 969 680"]
    assert numbers(directory.numbers_for("domestic_violence", facets=CHILD))[:3] == [
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


def test_the_child_line_is_shown_only_when_a_child_may_be_involved(directory: Directory) -> None:
    for category in ("domestic_violence", "sexual_abuse", "violence", "online_exploitation",
                     "homeless", "suicide"):
        assert "111" not in numbers(directory.numbers_for(category)), category
        assert "111" in numbers(directory.numbers_for(category, facets=CHILD)), category
    for category in ("child_abuse", "missing_child", "abandoned_child", "child_labour"):
        assert numbers(directory.numbers_for(category))[0] == "111", category  # implied child
    # 111 is also the national anti-trafficking line: shown for adults too.
    assert "111" in numbers(directory.numbers_for("trafficking"))


def test_the_new_categories_have_their_numbers(directory: Directory) -> None:
    assert numbers(directory.numbers_for("child_labour")) == ["111", "113"]
    assert numbers(directory.numbers_for("online_exploitation")) == ["113"]
    assert numbers(directory.numbers_for("online_exploitation", facets=CHILD)) == ["113", "111"]
    assert numbers(directory.numbers_for("elder_abuse")) == ["113", "115"]


def test_an_unverified_number_is_never_shown_even_in_its_province(directory: Directory) -> None:
    hanoi = directory.get("hanoi_social_work")
    assert hanoi.verified is False and hanoi.province == "ha_noi"
    assert all(h.verified for h in directory.hotlines.values() if h is not hanoi)
    for category in [None, *directory.by_category]:
        for facets in (frozenset(), CHILD, frozenset({"done", "third_party"})):
            shown = directory.numbers_for(category, facets=facets, province="ha_noi")
            assert "024 3352 5662" not in numbers(shown), category


def test_kb_check_warns_about_unverified_numbers() -> None:
    from datetime import date

    warnings = [str(p) for p in check_knowledge(KNOWLEDGE, date(2026, 12, 1))
                if p.severity == "warning" and "directory.yaml" in p.where]
    assert warnings == [
        "warning: knowledge/directory.yaml: hotline 'hanoi_social_work' (024 3352 5662) is not"
        " verified: it is never shown to citizens"
    ]


def test_a_provincial_number_is_shown_only_in_its_province(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "hotlines:\n"
        "  - {id: police, name: Công an, number: '113', purpose: p, source: s, verified: true}\n"
        "  - {id: dn, name: Trung tâm CTXH thử, number: '0236 000 000', purpose: p, source: s,"
        " verified: true, province: da_nang}\n"
        "categories: {violence: [police, dn]}\n"
        "default: [police]\n",
        encoding="utf-8",
    )
    local = Directory.load(path, provinces=KNOWLEDGE / "provinces.yaml")
    assert numbers(local.numbers_for("violence")) == ["113"]  # province unknown: not shown
    assert numbers(local.numbers_for("violence", province="ha_noi")) == ["113"]
    assert numbers(local.numbers_for("violence", province="da_nang")) == ["113", "0236 000 000"]


def test_a_province_id_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    path.write_text(
        "hotlines:\n"
        "  - {id: x, name: X, number: '0236 000 000', purpose: p, source: s, province: atlantis}\n"
        "categories: {}\ndefault: [x]\n",
        encoding="utf-8",
    )
    with pytest.raises(DirectoryDataError, match=r"hotlines\[0\]\.province: 'atlantis'"):
        Directory.load(path, provinces=KNOWLEDGE / "provinces.yaml")


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("Tôi ở Hà Nội", "ha_noi"),
        ("nha em o ha noi", "ha_noi"),
        ("số 5 ngõ 10 Láng Hạ, HN", "ha_noi"),
        ("Sài Gòn", "ho_chi_minh"),
        ("quận 3, TP.HCM", "ho_chi_minh"),
        ("tphcm", "ho_chi_minh"),
        ("Đà Nẵng", "da_nang"),
        ("xa x, da nang", "da_nang"),
        ("Hạ Long, Quảng Ninh", "quang_ninh"),
        ("ben tre", "ben_tre"),
        ("hn em buon qua", None),  # "hn" is teencode for "hôm nay", not Hà Nội
        ("chị hue ơi", None),  # a name typed flat, not the city of Huế
        ("Huế", "hue"),
        ("quê Nghệ An, đang ở Hà Nội", None),  # two provinces: not sure
        ("ở nhà", None),
    ],
)
def test_the_province_is_found_in_what_people_type(
    directory: Directory, text: str, province: str | None
) -> None:
    assert directory.province_in(text) == province


def test_ngay_mai_keeps_its_hours(directory: Directory) -> None:
    ngay_mai = directory.get("ngay_mai")
    assert ngay_mai.limited_hours and "13h–20h30" in ngay_mai.limited_hours
    assert directory.get("police").limited_hours is None  # 24/7 needs no hours line
