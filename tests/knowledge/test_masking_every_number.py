"""Masking for the knowledge-base gaps report: every number goes, not only those that identify
someone (made-up people)."""

from __future__ import annotations

from knowledge.masking import NAME, NUMBER, PHONE, mask


def test_every_number_masks_amounts_ages_years_and_short_numbers() -> None:
    text = ("gọi 113; trợ cấp 2.500.000 đồng/tháng từ 7/2024; con em 15 tuổi; tổng đài 1800 1567;"
            " hỗ trợ 3,5 triệu")
    assert mask(text, every_number=True) == (
        f"gọi {NUMBER}; trợ cấp {NUMBER} đồng/tháng từ {NUMBER}; con em {NUMBER} tuổi;"
        f" tổng đài {NUMBER} {NUMBER}; hỗ trợ {NUMBER} triệu")
    assert mask(text) == text  # the triage export keeps them: they matter to the level


def test_every_number_keeps_the_specific_marks_and_names() -> None:
    masked = mask("em là Thảo, sđt 0912 345 678, con 5 tuổi", ["Thảo"], every_number=True)
    assert masked == f"em là {NAME}, sđt {PHONE}, con {NUMBER} tuổi"
