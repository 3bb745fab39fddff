"""Diacritics restored from the articles' own words, for the meaning encoder."""

from __future__ import annotations

from knowledge.restore import Restorer


def test_domain_words_get_their_marks_back_from_the_articles() -> None:
    restorer = Restorer.from_texts([
        "Trợ cấp xã hội hằng tháng cho người khuyết tật nặng.",
        "Người cao tuổi thuộc hộ nghèo được trợ cấp.",
        "Còn con dưới 4 tuổi thì hệ số 2,5.",
    ])
    assert restorer.text("tro cap nguoi khuyet tat nang") == "trợ cấp người khuyết tật nặng"
    assert restorer.text("nguoi cao tuoi ho ngheo") == "người cao tuổi hộ nghèo"


def test_words_typed_with_marks_and_unknown_words_stay_as_typed() -> None:
    restorer = Restorer.from_texts(["Trợ cấp cho người khuyết tật."])
    assert restorer.text("trợ cap abcxyz 2024") == "trợ cấp abcxyz 2024"
    assert restorer.text("giá vàng") == "giá vàng"
