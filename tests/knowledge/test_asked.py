"""Reading what a real question asks and who it is about (knowledge.asked)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.asked import Asked, Cues, read
from knowledge.text import Abbreviations

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="module")
def ask() -> object:
    cues = Cues.load(KNOWLEDGE / "asking.yaml")
    abbreviations = Abbreviations.load(KNOWLEDGE / "teencode.yaml")
    return lambda text: read(text, cues, abbreviations)


def test_a_story_then_a_question_is_read_as_the_question_and_the_person(ask) -> None:  # type: ignore[no-untyped-def]
    asked: Asked = ask(
        "Chào ban biên tập. Mẹ tôi năm nay 81 tuổi, bố tôi mất đã lâu, ruộng nương cho "
        "các em làm cả. Mẹ tôi không có lương hưu, ở một mình tại quê. Hôm trước đi khám ở "
        "bệnh viện huyện hết nhiều tiền. Xin hỏi mẹ tôi có được nhận trợ cấp gì không?"
    )
    assert asked.person.relation == "mẹ" and asked.person.age == 81
    assert {"no_pension", "alone"} <= asked.person.traits
    assert "trợ cấp" in asked.focus and "bệnh viện" not in asked.focus
    assert asked.asks == "eligibility"
    assert asked.sentences >= 4


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Người khuyết tật nặng được trợ cấp bao nhiêu một tháng?", "amount"),
        ("nkt nang dc tc bn 1 thang", "amount"),
        ("Làm hồ sơ trợ cấp cho bố cần giấy tờ gì?", "dossier"),
        ("nop ho so tro cap o dau", "where"),
        ("Bao lâu thì có kết quả xét duyệt?", "how_long"),
        ("Tổng đài bảo vệ trẻ em là số nào?", "number"),
        ("Con tôi bị bại liệt có được hưởng trợ cấp không?", "eligibility"),
    ],
)
def test_the_kind_of_answer_wanted(ask, text: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert ask(text).asks == kind


def test_the_person_described_in_flat_text_and_teencode(ask) -> None:  # type: ignore[no-untyped-def]
    flat = ask("bo e 78t, nha thuoc ho can ngheo thi dc huong j ko")
    assert flat.person.relation == "bố" and flat.person.age == 78
    assert flat.person.traits == frozenset({"near_poor", "elderly"})  # "cận" is not "nghèo"
    child = ask("Con tôi 3 tuổi bị khuyết tật đặc biệt nặng, nhà nghèo")
    assert child.person.relation == "con" and child.person.age == 3
    assert {"disability_very_severe", "poor"} <= child.person.traits
    assert "disabled" not in child.person.traits  # the level says more


def test_follow_ups_that_lean_on_the_previous_answer(ask) -> None:  # type: ignore[no-untyped-def]
    for text in ("còn hồ sơ thì sao?", "Còn người khuyết tật đặc biệt nặng thì sao",
                 "vậy còn con dưới 4 tuổi", "nếu mẹ tôi 85 tuổi thì sao", "con ho so thi sao ad"):
        assert ask(text).leans, text
    for text in ("Tổng đài bảo vệ trẻ em là số nào?", "Thế nào là trẻ em có hoàn cảnh đặc biệt?",
                 "Con tôi bị khuyết tật có được trợ cấp không?"):
        assert not ask(text).leans, text


def test_an_age_under_a_limit_is_below_it(ask) -> None:  # type: ignore[no-untyped-def]
    group = ask("Trẻ dưới 16 tuổi mất cha hoặc mất mẹ có được trợ cấp hằng tháng không?")
    assert group.person.age == 15 and "child" in group.person.traits
    assert "adult" not in group.person.traits
    assert ask("tre duoi 3 tuoi ho ngheo dc tro cap ko").person.age == 2
    assert ask("Bố tôi 80 tuổi có được trợ cấp không?").person.age == 80


def test_still_is_not_child_when_typed_with_marks(ask) -> None:  # type: ignore[no-untyped-def]
    assert ask("Còn tôi 62 tuổi thì được gì").person.relation is None
    assert ask("Con tôi 6 tuổi được gì").person.relation == "con"


def test_a_very_long_message_is_read_from_its_end_quickly(ask) -> None:  # type: ignore[no-untyped-def]
    story = "Nhà tôi ở xa lắm, đường đi khó khăn. " * 600  # about 22,000 characters
    asked = ask(story + "Vậy người khuyết tật nặng được trợ cấp bao nhiêu?")
    assert asked.asks == "amount" and "khuyết tật" in asked.focus
    assert len(asked.focus.split()) <= 80
