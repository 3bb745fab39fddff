"""The rule families repaired after messages written by others were missed: teencode typed
with diacritics, Southern and Central speech, negation within its clause, and the cues that
a message is a film, news, the past, a professional's question or a joke. Invisible
characters hide nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.text import Abbreviations
from knowledge.triage import TriageRules

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="module")
def rules() -> TriageRules:
    return TriageRules.load(KNOWLEDGE / "triage.yaml",
                            Abbreviations.load(KNOWLEDGE / "teencode.yaml"))


@pytest.mark.parametrize("text", [
    "tôi mún chết",
    "e k mún sống nữa",
    "e hok mún sốg nữa đâu",
    "bít rùi, e mún chít cho xong",
])
def test_teencode_typed_with_diacritics_is_read(rules: TriageRules, text: str) -> None:
    assert rules.assess(text).level != "none", text


def test_a_word_with_marks_is_never_taken_for_a_short_form(rules: TriageRules) -> None:
    # "có" must stay "có" although "co" is nothing special: only listed accented forms expand.
    abbreviations = Abbreviations.load(KNOWLEDGE / "teencode.yaml")
    assert abbreviations.expand("có mún đi không") == "có muốn đi không"
    assert abbreviations.expand("mún") == "muốn"


@pytest.mark.parametrize(("text", "category"), [
    ("ổng say rượu rồi đánh tui, tui sợ quá", "domestic_violence"),
    ("tau đang ngồi trên cầu, chừ tau nhảy", "suicide"),
    ("chồng tui hông cho tui ra khỏi nhà, giữ hết giấy tờ", "domestic_violence"),
])
def test_southern_and_central_speech_is_read(rules: TriageRules, text: str,
                                            category: str) -> None:
    result = rules.assess(text)
    assert (result.is_emergency, result.category) == (True, category), text


@pytest.mark.parametrize("text", [
    "tôi không có ý định tự tử, tôi hỏi cho bạn thôi",
    "em chưa bao giờ nghĩ đến chuyện tự tử",
    "tôi không hề bị ai đánh cả",
])
def test_a_denial_cancels_what_it_denies(rules: TriageRules, text: str) -> None:
    assert rules.assess(text).level == "none", text


@pytest.mark.parametrize("text", [
    "tôi không muốn sống nữa",
    "chẳng thiết gì nữa, chắc mình biến đi cho xong",
    "không ai thương em, em muốn chết",
])
def test_negation_inside_the_wish_is_still_ideation(rules: TriageRules, text: str) -> None:
    result = rules.assess(text)
    assert (result.level, result.category) == ("urgent", "suicide"), text


@pytest.mark.parametrize("text", [
    "làm sao để biết học sinh bị bạo hành ở nhà?",
    "tôi là giáo viên mầm non, dấu hiệu nào cho thấy trẻ bị xâm hại",
    "báo đăng vụ ông bố say rượu đánh con, bé đang được chăm sóc",
    "e moi xem xong bo anime co nv chinh tu sat o tap cuoi",
    "bai tap nhiu wa, chac e phai tu tu vs dong nay mat =))",
    "ông nội tôi đột quỵ tuần trước, giờ đã xuất viện rồi",
    "nhóm mình quyên góp chăn ấm cho người ngủ ngoài đường, gửi đồ ở đâu ạ",
])
def test_professional_news_film_joke_and_past_are_not_emergencies(
    rules: TriageRules, text: str
) -> None:
    assert rules.assess(text).level == "none", text


def test_invisible_characters_hide_no_signal(rules: TriageRules) -> None:
    hidden = "chồng đ\u200bang đ\u200dánh em\u202e, c\ufeffứu"
    assert rules.assess(hidden).level == "critical"


def test_sexual_abuse_disclosed_hesitantly_is_raised(rules: TriageRules) -> None:
    text = "cậu em cứ bắt em cởi đồ mỗi lần nhà vắng người, em không dám kể với ai"
    assert rules.assess(text).level == "urgent"


def test_the_reading_says_who_it_is_about_and_what_is_done(rules: TriageRules) -> None:
    friend = rules.read("bạn tôi nói đã uống hết vỉ thuốc ngủ rồi")
    assert {"third_party", "done"} <= friend.facets
    child = rules.read("em mới 12 tuổi, bố em đánh em")
    assert "child" in child.facets
    assert rules.read("tôi buồn quá, chồng tôi hay chửi tôi").situation
    assert not rules.read("trợ cấp người cao tuổi bao nhiêu").situation
